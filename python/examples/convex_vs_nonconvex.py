"""The 1-D convex-versus-non-convex figure from Python: the same two-layer ReLU score network
fitted once by the exact convex program and trained several times by Adam on the non-convex
score-matching objective, from different random initialisations; their score curves against
the true score, with each objective in the legend, and the training curves against the convex
optimum J*, which no run can go below (docs/theory.md, section 10).

    PYTHONPATH=build/python /usr/bin/python3 python/examples/convex_vs_nonconvex.py [OUT_DIR]
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt
import numpy as np

import convexscore as cs

WEIGHTS, MEANS, SDS = np.array([0.4, 0.6]), np.array([-2.0, 1.5]), np.array([0.5, 0.7])
BETA, WIDTH, LR, EPOCHS, SEEDS = 0.1, 50, 0.01, 2000, (1, 2, 3, 4)
COLORS = ("C0", "C1", "C2", "C4")  # C3 (red) is the convex fit's


def true_score(x):
    """d/dx log of the mixture 0.4 N(-2, 0.5^2) + 0.6 N(1.5, 0.7^2), in closed form."""
    z = (x[:, None] - MEANS) / SDS
    parts = WEIGHTS * np.exp(-0.5 * z ** 2) / SDS
    return (parts * (-z / SDS)).sum(axis=1) / parts.sum(axis=1)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(1)
    n = 200
    x = np.where(rng.random(n) < WEIGHTS[0], rng.normal(MEANS[0], SDS[0], n),
                 rng.normal(MEANS[1], SDS[1], n))

    convex = cs.fit(x, beta=BETA)
    optimum = convex.objective
    print(f"convex fit: status {convex.status}, J* = {optimum:.8f}, relative gap "
          f"{convex.relative_gap:.1e}, {convex.active_neurons} active neurons")
    runs = []
    for seed in SEEDS:
        run = cs.train(x, width=WIDTH, beta=BETA, lr=LR, epochs=EPOCHS, optimizer="adam",
                       seed=seed, history_every=10)
        runs.append(run)
        print(f"Adam seed {seed}: J = {run.objective:.8f} (J - J* = {run.objective - optimum:.2e})")
        assert run.training["best_objective"] >= optimum - 1e-9 * max(1.0, abs(optimum))

    grid = np.linspace(-4.5, 4.5, 601)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    left.plot(grid, true_score(grid), "k--", lw=1.8, label="true score")
    for seed, run, color in zip(SEEDS, runs, COLORS):
        left.plot(grid, run.score(grid), color=color, lw=1.1, alpha=0.85,
                  label=f"Adam, seed {seed}: J = {run.objective:.5f}")
    left.plot(grid, convex.score(grid), color="C3", lw=2.4,
              label=f"convex fit: J* = {optimum:.5f}")
    left.plot(x, np.full_like(x, -7.4), "|", color="0.4", ms=7, label="data")
    left.set_ylim(-8, 8)
    left.set_xlabel("x")
    left.set_ylabel("score")
    left.set_title(f"ReLU, width {WIDTH}, beta {BETA}, n {n}")
    left.legend(loc="upper right", fontsize=8)

    for seed, run, color in zip(SEEDS, runs, COLORS):
        epochs, values = np.array(run.training["history"]).T
        right.semilogy(epochs, np.maximum(values - optimum, 1e-12), color=color, lw=1.2,
                       label=f"Adam, seed {seed}")
    right.set_xlabel("epoch")
    right.set_ylabel("J(epoch) - J*")
    right.set_title("non-convex training against the convex optimum")
    right.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    path = os.path.join(out_dir, "convex_vs_nonconvex.png")
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out")
