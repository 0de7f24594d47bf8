#!/usr/bin/python3
"""Peer check of non-convex training against PyTorch autograd (issue 4, item 4).

Not needed by the build or the tests. Needs the Debian package python3-torch and a built
`build/convexscore`. Two parts:

1. Agreement. For fixed networks read from our model files (random starts trained for a few
   epochs by `convexscore train`, and a convex optimum from `convexscore fit`, whose kinks sit
   exactly on data points), the SM objective and its gradient computed by PyTorch (float64)
   are compared with ours. PyTorch gets f'(x) by autograd with respect to x
   (create_graph=True) and the parameter gradient by autograd again; the activations are
   written with torch.where(z >= 0, ...) so that the kink conventions relu'(0) = 1 and
   abs'(0) = +1 are the library's (torch.relu has relu'(0) = 0). Our objective is the
   "initial_objective" that `train --init-model M` records for M; our gradient is
   theta_0 - theta_1 after one step of `train --init-model M --optimizer gd --lr 1 --epochs 1`.
   Printed: the relative difference of the objectives and max_k |g_ours - g_torch| / max_k
   |g_torch| (normwise; theta_0 - theta_1 loses about 1e-16 |theta| to rounding).

2. Timing of the usual workflow on one data set (n = 100 standard normal points, Python
   `random`, seed 1; mean-form beta = 0.1, ReLU, no skip): Adam in PyTorch (m = 200, 5000
   full-batch steps, lr 0.01, nn.Linear's default initialisation, one thread, float32 and
   float64), our `train` with the same settings, and the convex `fit`. The final objectives are
   evaluated in float64 and compared with the convex optimum.

    /usr/bin/python3 bench/pytorch_peer_check.py   # the Debian python3 that has python3-torch
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "build", "convexscore")


def run(args):
    started = time.perf_counter()
    proc = subprocess.run([CLI] + [str(a) for a in args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    if proc.returncode != 0:
        sys.exit("convexscore %s failed:\n%s" % (" ".join(map(str, args)), proc.stderr))
    return time.perf_counter() - started


def read_model(path):
    with open(path) as f:
        return json.load(f)


def network_tensors(model, dtype=torch.float64):
    net = model["network"]
    w = torch.tensor([u["w"] for u in net["neurons"]], dtype=dtype)
    b = torch.tensor([u["b"] for u in net["neurons"]], dtype=dtype)
    a = torch.tensor([u["a"] for u in net["neurons"]], dtype=dtype)
    c0 = torch.tensor(net["output_bias"], dtype=dtype)
    v = torch.tensor(net["skip"], dtype=dtype)
    return net["activation"], [w, b, a, c0, v]


def sm_objective(params, x, beta, activation):
    """Mean-form SM objective; f'(x) by autograd in x, kink conventions of the library."""
    w, b, a, c0, v = params
    x = x.clone().requires_grad_(True)
    z = x[:, None] * w[None, :] + b[None, :]
    act = torch.where(z >= 0, z, torch.zeros_like(z) if activation == "relu" else -z)
    f = act @ a + c0 + v * x
    (fprime,) = torch.autograd.grad(f.sum(), x, create_graph=True)
    return (fprime + 0.5 * f * f).mean() + 0.5 * beta * ((w * w).sum() + (a * a).sum())


def flat(params, skip):
    w, b, a, c0, v = params
    parts = [w, b, a, c0.reshape(1)] + ([v.reshape(1)] if skip else [])
    return torch.cat(parts)


def agreement(work, x, data_csv):
    beta = 0.1
    cases = []
    for activation in ("relu", "abs"):
        for skip in (False, True):
            path = os.path.join(work, "start-%s-%d.json" % (activation, skip))
            run(["train", "--data", data_csv, "--objective", "sm", "--activation", activation,
                 "--width", 20, "--beta", beta, "--lr", 0.01, "--epochs", 50, "--init-seed", 3,
                 "--quiet", "--out", path] + (["--skip"] if skip else []))
            cases.append(("trained 50 epochs", activation, skip, path))
    for activation, skip in (("relu", False), ("abs", True)):
        path = os.path.join(work, "fit-%s-%d.json" % (activation, skip))
        run(["fit", "--data", data_csv, "--activation", activation, "--beta", beta, "--quiet",
             "--out", path] + (["--skip"] if skip else []))
        cases.append(("convex optimum (kinks on data)", activation, skip, path))

    print("Agreement with autograd (float64, n = %d, beta = %g):" % (len(x), beta))
    worst_objective = worst_gradient = 0.0
    for label, activation, skip, path in cases:
        start = read_model(path)
        step_path = path.replace(".json", "-step.json")
        run(["train", "--data", data_csv, "--objective", "sm", "--activation", activation,
             "--beta", beta, "--optimizer", "gd", "--lr", 1, "--epochs", 1, "--init-model", path,
             "--quiet", "--out", step_path] + (["--skip"] if skip else []))
        stepped = read_model(step_path)
        _, params0 = network_tensors(start)
        _, params1 = network_tensors(stepped)
        ours_gradient = flat(params0, skip) - flat(params1, skip)
        ours_objective = stepped["training"]["initial_objective"]

        leaves = [p.clone().requires_grad_(True) for p in params0]
        objective = sm_objective(leaves, x, beta, activation)
        grads = torch.autograd.grad(objective, leaves if skip else leaves[:4], allow_unused=True)
        torch_gradient = torch.cat([g.reshape(-1) for g in grads])
        objective_rel = abs(objective.item() - ours_objective) / max(1.0, abs(ours_objective))
        gradient_rel = ((ours_gradient - torch_gradient).abs().max() /
                        torch_gradient.abs().max()).item()
        worst_objective = max(worst_objective, objective_rel)
        worst_gradient = max(worst_gradient, gradient_rel)
        print("  %-31s %-4s %-7s units %3d  objective %.12f  rel. diff objective %.1e  "
              "gradient %.1e" % (label, activation, "skip" if skip else "no skip",
                                 len(params0[0]), ours_objective, objective_rel, gradient_rel))
    print("  max rel. difference: objective %.1e, gradient %.1e" % (worst_objective,
                                                                    worst_gradient))
    return worst_objective, worst_gradient


def torch_adam(x64, beta, width, steps, lr, dtype, seed):
    torch.manual_seed(seed)
    hidden = torch.nn.Linear(1, width).to(dtype)
    output = torch.nn.Linear(width, 1).to(dtype)
    x = x64.to(dtype)
    params = [hidden.weight, hidden.bias, output.weight, output.bias]
    optimizer = torch.optim.Adam(params, lr=lr)
    started = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad()
        w, b, a, c0 = (hidden.weight[:, 0], hidden.bias, output.weight[0], output.bias[0])
        loss = sm_objective([w, b, a, c0, torch.zeros((), dtype=dtype)], x, beta, "relu")
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - started
    with torch.no_grad():
        final = [p.detach().to(torch.float64) for p in
                 (hidden.weight[:, 0], hidden.bias, output.weight[0], output.bias[0])]
    final.append(torch.zeros((), dtype=torch.float64))
    return seconds, sm_objective(final, x64, beta, "relu").item()


def timing(work, x, data_csv):
    beta, width, steps, lr = 0.1, 200, 5000, 0.01
    torch.set_num_threads(1)
    fit_path = os.path.join(work, "timing-fit.json")
    fit_wall = run(["fit", "--data", data_csv, "--activation", "relu", "--beta", beta, "--quiet",
                    "--out", fit_path])
    fit = read_model(fit_path)
    optimum = fit["objective"]
    train_path = os.path.join(work, "timing-train.json")
    train_wall = run(["train", "--data", data_csv, "--objective", "sm", "--activation", "relu",
                      "--width", width, "--beta", beta, "--optimizer", "adam", "--lr", lr,
                      "--epochs", steps, "--history-every", steps, "--quiet", "--out",
                      train_path])
    trained = read_model(train_path)

    def excess(value):
        return 100.0 * (value - optimum) / abs(optimum)

    print("Timing (n = %d, m = %d, %d Adam steps, lr %g, beta %g, ReLU, one thread):" % (
        len(x), width, steps, lr, beta))
    print("  convex fit               %.3f s process (%.4f s solve), objective %.10f (optimum)" %
          (fit_wall, fit["seconds"], optimum))
    print("  convexscore train        %.3f s process (%.3f s loop),  objective %.10f (%+.2f%%)" %
          (train_wall, trained["seconds"], trained["objective"], excess(trained["objective"])))
    for dtype in (torch.float32, torch.float64):
        seconds, objective = torch_adam(x, beta, width, steps, lr, dtype, seed=1)
        print("  PyTorch Adam %-11s %.3f s loop,                objective %.10f (%+.2f%%)" % (
            str(dtype).replace("torch.", ""), seconds, objective, excess(objective)))


def main():
    if not os.access(CLI, os.X_OK):
        sys.exit("build the program first: %s not found" % CLI)
    print("torch %s, %s" % (torch.__version__, time.strftime("%Y-%m-%d %H:%M UTC",
                                                            time.gmtime())))
    rng = random.Random(1)
    values = [rng.gauss(0.0, 1.0) for _ in range(100)]
    x = torch.tensor(values, dtype=torch.float64)
    with tempfile.TemporaryDirectory(prefix="peer-check-") as work:
        data_csv = os.path.join(work, "data.csv")
        with open(data_csv, "w") as f:
            f.write("x\n" + "".join(repr(v) + "\n" for v in values))
        agreement(work, x, data_csv)
        timing(work, x, data_csv)


if __name__ == "__main__":
    main()
