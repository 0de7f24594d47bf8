"""The README's main job from Python: fit the built-in mixture by the exact convex program,
draw Langevin samples from the learned score, and plot both with matplotlib.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/main_job.py [OUT_DIR]
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt
import numpy as np

import convexscore as cs


def mixture_density(x):
    def normal(x, m, s):
        return np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    return 0.4 * normal(x, -2.0, 0.5) + 0.6 * normal(x, 1.5, 0.7)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(1)
    n = 1000
    left = rng.random(n) < 0.4
    x = np.where(left, rng.normal(-2.0, 0.5, n), rng.normal(1.5, 0.7, n))

    model = cs.fit(x, beta=0.1)
    print(f"status {model.status}, objective {model.objective:.10g}, "
          f"relative gap {model.relative_gap:.2e}, network objective {model.network_objective:.10g}")
    print(f"{model.active_neurons} active neurons; beta_min {model.beta_min:.4g}, beta_max {model.beta_max:.4g}")
    model.save(os.path.join(out_dir, "model.json"))

    grid = np.linspace(-5, 5, 801)
    h = 1e-5
    true_score = (np.log(mixture_density(grid + h)) - np.log(mixture_density(grid - h))) / (2 * h)
    draws = cs.sample(model, particles=20000, steps=1000, step_size=0.01, seed=1)
    law = cs.stationary_law(model)
    print(f"W1(samples, stationary law) {cs.w1(draws, law.sample(20000, 2)):.3f}")

    fig, (left_ax, right_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    left_ax.plot(grid, model.score(grid), lw=2.2, label="predicted score (convex fit)")
    left_ax.plot(grid, true_score, "--", lw=1.8, label="true score")
    left_ax.plot(x, np.full_like(x, -7.5), "|", color="0.3", ms=8, label="data")
    left_ax.set_ylim(-8, 8)
    left_ax.set_xlabel("x")
    left_ax.legend(loc="upper right")
    right_ax.hist(draws, bins=80, density=True, alpha=0.45, label="Langevin samples")
    right_ax.plot(grid, mixture_density(grid), lw=1.8, label="target mixture")
    right_ax.plot(grid, law.density(grid), "--", lw=1.8, label="stationary law of the model")
    right_ax.set_xlabel("x")
    right_ax.legend(loc="upper left")
    fig.tight_layout()
    path = os.path.join(out_dir, "main_job.png")
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out")
