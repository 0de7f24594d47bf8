#!/usr/bin/env python3
"""Multivariate score matching, architecture (a), end to end (issue 6, item 7).

For three 2-D data sets -- a standard Gaussian and a two-component Gaussian mixture (n = 40,
numpy seed 1) and the iris petals (data/iris_petals.csv, 150 rows, a real data set: see
docs/data.md) -- this script
  1. fits a per-coordinate ReLU score model by the exact convex program (`convexscore fit
     --columns x,y --objective sm`), keeping the certificate (relative gap, the rebuilt
     network's objective minus the convex value) and the beta_min bracket;
  2. draws Langevin samples from the fitted score (`convexscore sample --init data`);
  3. compares the samples with the data (`convexscore metrics --reference`: MMD^2, energy
     distance, sliced W1); for the synthetic sets also an independent second draw of the same
     law against the data, as the sampling floor of these metrics at this n;
  4. draws the fitted score field over the data (`plot quiver`) and the samples over the data
     (`plot scatter`) into docs/figures/smnd_<name>_{quiver,scatter}.png.
Iris is fitted with 1000 sampled pattern directions (exact patterns for 102 distinct points
would be about 10 000, too slow for the current solver, docs/benchmarks.md).

Run from anywhere after building build/convexscore; prints the Markdown table:
    /usr/bin/python3 experiments/score_matching_nd.py
"""

import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "build", "convexscore")
FIGURES = os.path.join(ROOT, "docs", "figures")
N = 40
# beta per data set: the mixture at 0.2 is within the uncertified beta_min bracket (the solver
# stops at its iteration limit there), so it is fitted above the bracket's upper end.
BETA = {"gaussian": 0.2, "mixture": 0.55, "iris": 0.2}
PARTICLES = 2000
STEPS = 2000
THRESHOLD_TOLERANCE = "0.5"


def run(args, cwd):
    cmd = [CLI] + [str(a) for a in args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    return proc.stdout


def write_points(path, x, header=("x", "y")):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for row in x:
            f.write(",".join(repr(float(v)) for v in row) + "\n")


def gaussian(rng, n):
    return rng.normal(size=(n, 2))


def mixture(rng, n):
    left = rng.random(n) < 0.5
    centre = np.where(left[:, None], [-1.5, 0.0], [1.5, 0.0])
    return centre + 0.5 * rng.normal(size=(n, 2))


def metrics(samples, reference, columns, cwd):
    report = json.loads(run(["metrics", "--samples", samples, "--reference", reference,
                             "--columns", columns, "--seed", 1], cwd))["metrics"]
    return {k: report[k]["value"] for k in ("mmd2", "energy", "sliced_w")}


def one(name, data, columns, step, extra, floor, tmp):
    model = os.path.join(tmp, f"{name}.json")
    text = run(["fit", "--data", data, "--columns", columns, "--objective", "sm",
                "--architecture", "per-coordinate", "--activation", "relu", "--beta", BETA[name],
                "--threshold-tolerance", THRESHOLD_TOLERANCE, "--out", model, "--quiet", *extra],
               tmp)
    m = json.load(open(model))
    draws = os.path.join(tmp, f"{name}_samples.csv")
    run(["sample", "--model", model, "--particles", PARTICLES, "--steps", STEPS, "--step-size",
         step, "--seed", 7, "--init", "data", "--data", data, "--columns", columns, "--quiet",
         "--out", draws], tmp)
    names = columns.split(",")
    result = {
        "name": name, "beta": BETA[name], "n": m["data"]["n"], "patterns": m["patterns"],
        "pattern_method": m["pattern_method"], "status": m["status"],
        "relative_gap": m["relative_gap"],
        "certificate": m["network_objective"] - m["objective"], "objective": m["objective"],
        "neurons": m["active_neurons"], "beta_min": [m["beta_min_lower"], m["beta_min_upper"]],
        "beta_max": m["beta_max"], "seconds": m["seconds"], "step": step,
        "samples_vs_data": metrics(draws, data, columns, tmp),
    }
    if floor is not None:
        result["floor"] = metrics(floor, data, columns, tmp)
    os.makedirs(FIGURES, exist_ok=True)
    run(["plot", "quiver", "--model", model, "--points", data, "--points-columns", columns,
         "--out", os.path.join(FIGURES, f"smnd_{name}_quiver.png")], tmp)
    run(["plot", "scatter", "--samples", draws, "--columns", ",".join(names), "--reference", data,
         "--reference-columns", columns, "--out", os.path.join(FIGURES, f"smnd_{name}_scatter.png")],
        tmp)
    return result


def main(only=None):
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, law in (("gaussian", gaussian), ("mixture", mixture)):
            if only and name not in only:
                continue
            rng = np.random.default_rng(1)
            data, floor = os.path.join(tmp, f"{name}.csv"), os.path.join(tmp, f"{name}_floor.csv")
            write_points(data, law(rng, N))
            write_points(floor, law(np.random.default_rng(2), PARTICLES))
            results.append(one(name, data, "x,y", 0.01, [], floor, tmp))
            print(json.dumps(results[-1]), flush=True)
        iris = os.path.join(ROOT, "data", "iris_petals.csv")
        if only and "iris" not in only:
            return print_table(results)
        results.append(one("iris", iris, "petal_length,petal_width", 0.002,
                           ["--patterns", "sampled", "--pattern-directions", 1000,
                            "--pattern-seed", 1], None, tmp))
        print(json.dumps(results[-1]), flush=True)
    print_table(results)


def print_table(results):
    print()
    print("| data | beta | n | patterns | status | rel. gap | network - convex | neurons | beta_min bracket "
          "| beta_max | fit s | MMD^2 samples/data | energy | sliced W1 | floor MMD^2 / energy / SW1 |")
    print("|---|---:|---:|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        s, f = r["samples_vs_data"], r.get("floor")
        floor = ("%.3g / %.3g / %.3g" % (f["mmd2"], f["energy"], f["sliced_w"])) if f else "n/a"
        print(f"| {r['name']} | {r['beta']} | {r['n']} | {r['patterns']} ({r['pattern_method']}) | {r['status']} "
              f"| {r['relative_gap']:.1e} | {r['certificate']:.1e} | {r['neurons']} "
              f"| [{r['beta_min'][0]:.3g}, {r['beta_min'][1]:.3g}] | {r['beta_max']:.3g} "
              f"| {r['seconds']:.1f} | {s['mmd2']:.3g} | {s['energy']:.3g} | {s['sliced_w']:.3g} "
              f"| {floor} |")


if __name__ == "__main__":
    main(sys.argv[1:])   # optional: the names of the data sets to run
