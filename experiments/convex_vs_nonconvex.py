#!/usr/bin/env python3
"""Convex versus non-convex training of the same score networks (issue 4, item 3), univariate SM.

For Gaussian, two-component mixture and Laplace data (seed 1) at several n and beta, this
script solves the convex program once (`convexscore fit`) and trains the same ReLU network
(no skip) from SEEDS random initialisations (`convexscore train`, full-batch Adam), and
compares:

- objectives: the convex optimum J* against the distribution of final non-convex objectives
  (median, worst, share of runs within 1e-6 relative of J*: (J - J*) / max(1, |J*|) <= 1e-6);
- wall time: of one `fit` process and of one `train` process (median over the seeds), both
  measured around the subprocess, so program start-up and file output are included;
- samples: at one n, unadjusted Langevin samples (`convexscore sample`) from the convex model
  and from the non-convex run with the median final objective, compared with the data's law
  (`convexscore metrics --target KIND`: W1 and KL) when the model's stationary law is
  normalisable (`convexscore limit`).

Standard library only. Run from the repository root after building:

    python3 experiments/convex_vs_nonconvex.py            # full run, writes docs/results.md
    python3 experiments/convex_vs_nonconvex.py --quick    # small run, prints only
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "build", "convexscore")
HEADING = "## Convex versus non-convex training, univariate score matching (issue 4, item 3)"

DATASETS = ["gaussian", "mixture", "laplace"]
DATA_SEED = 1
ACTIVATION = "relu"
WIDTH = 50
OPTIMIZER = "adam"
LEARNING_RATE = 0.01
RELATIVE_TOLERANCE = 1e-6

FULL = {"ns": [50, 200, 1000], "betas": [0.05, 0.1, 0.3], "seeds": 10, "epochs": 3000,
        "sample_n": 200, "particles": 20000, "steps": 2000}
QUICK = {"ns": [50], "betas": [0.1], "seeds": 3, "epochs": 300,
         "sample_n": 50, "particles": 2000, "steps": 200}
STEP_SIZE = 0.01
SAMPLE_INIT = "uniform:-6:6"
SAMPLE_SEED = 7


def run(args):
    """Runs the CLI; returns (stdout, wall seconds). Exits on failure."""
    cmd = [CLI] + [str(a) for a in args]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit("command failed (%d): %s\n%s" % (proc.returncode, " ".join(cmd), proc.stderr))
    return proc.stdout, seconds


def data_args(kind, n):
    return ["--generate", kind, "--n", n, "--seed", DATA_SEED]


def convex(kind, n, beta, out):
    _, seconds = run(["fit"] + data_args(kind, n) +
                     ["--activation", ACTIVATION, "--beta", beta, "--quiet", "--out", out])
    with open(out) as f:
        model = json.load(f)
    return {"objective": model["objective"], "status": model["status"],
            "neurons": model["active_neurons"], "beta_min": model["beta_min"],
            "kinks": kinks_in_data_range(model),
            "seconds": seconds, "path": out}


def nonconvex(kind, n, beta, seed, epochs, out):
    _, seconds = run(["train"] + data_args(kind, n) +
                     ["--objective", "sm", "--activation", ACTIVATION, "--width", WIDTH,
                      "--beta", beta, "--optimizer", OPTIMIZER, "--lr", LEARNING_RATE,
                      "--epochs", epochs, "--init-seed", seed, "--history-every", epochs,
                      "--quiet", "--out", out])
    with open(out) as f:
        model = json.load(f)
    return {"objective": model["objective"], "best": model["training"]["best_objective"],
            "kinks": kinks_in_data_range(model),
            "seconds": seconds, "train_seconds": model["seconds"], "path": out}


def kinks_in_data_range(model):
    """Units that matter (|a w| above 1e-3 of the largest) with their kink inside the data."""
    units = [u for u in model["network"]["neurons"] if u["w"] != 0.0]
    if not units:
        return 0
    largest = max(abs(u["a"] * u["w"]) for u in units)
    lo, hi = model["data"]["min"], model["data"]["max"]
    return sum(1 for u in units
               if abs(u["a"] * u["w"]) > 1e-3 * largest and lo <= -u["b"] / u["w"] <= hi)


def relative_excess(value, optimum):
    return (value - optimum) / max(1.0, abs(optimum))


def normalisable(model_path, work):
    """(True, mean, std) if `limit` finds the stationary law normalisable, else (False, reason)."""
    cmd = [CLI, "limit", "--model", model_path, "--out", os.path.join(work, "density.csv")]
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    if proc.returncode != 0:
        # The message names the model by its temporary path; keep only the file name.
        reason = proc.stderr.strip().replace("error: ", "")
        return False, reason.replace(model_path, os.path.basename(model_path))
    return True, ""


def langevin_metrics(kind, model_path, config, work):
    ok, reason = normalisable(model_path, work)
    if not ok:
        return {"note": reason}
    draws = os.path.join(work, "draws.csv")
    run(["sample", "--model", model_path, "--particles", config["particles"], "--steps",
         config["steps"], "--step-size", STEP_SIZE, "--init", SAMPLE_INIT, "--seed",
         SAMPLE_SEED, "--quiet", "--out", draws])
    text, _ = run(["metrics", "--samples", draws, "--target", kind])
    metrics = json.loads(text)["metrics"]
    # A metric is {"value": number or null, "estimator": ..., maybe "note": ...}.
    return {name: (metrics.get(name) or {}).get("value") for name in ("w1", "kl")}


def fmt(value, digits=4):
    if value is None:
        return "n/a"
    return "%.*g" % (digits, value)


def study(config, work):
    rows, sample_rows = [], []
    for kind in DATASETS:
        for n in config["ns"]:
            for beta in config["betas"]:
                tag = "%s-%d-%g" % (kind, n, beta)
                fit = convex(kind, n, beta, os.path.join(work, tag + "-convex.json"))
                runs = [nonconvex(kind, n, beta, seed, config["epochs"],
                                  os.path.join(work, "%s-seed%d.json" % (tag, seed)))
                        for seed in range(1, config["seeds"] + 1)]
                excess = sorted(relative_excess(r["objective"], fit["objective"]) for r in runs)
                row = {
                    "kind": kind, "n": n, "beta": beta, "fit": fit,
                    "median_objective": statistics.median(r["objective"] for r in runs),
                    "worst_objective": max(r["objective"] for r in runs),
                    "best_objective": min(r["best"] for r in runs),
                    "median_excess": statistics.median(excess),
                    "worst_excess": excess[-1],
                    "share_within": sum(e <= RELATIVE_TOLERANCE for e in excess) / len(excess),
                    "below_optimum": sum(r["best"] < fit["objective"] - 1e-9 *
                                         max(1.0, abs(fit["objective"])) for r in runs),
                    "median_kinks": statistics.median(r["kinks"] for r in runs),
                    "median_best_excess": statistics.median(
                        relative_excess(r["best"], fit["objective"]) for r in runs),
                    "train_seconds": statistics.median(r["seconds"] for r in runs),
                    "train_loop_seconds": statistics.median(r["train_seconds"] for r in runs),
                }
                rows.append(row)
                print("%-8s n=%-5d beta=%-5g J*=%.6f median %.6f worst %.6f within %.0f%% "
                      "fit %.3fs train %.3fs" % (kind, n, beta, fit["objective"],
                                                  row["median_objective"], row["worst_objective"],
                                                  100 * row["share_within"], fit["seconds"],
                                                  row["train_seconds"]), flush=True)
                if n == config["sample_n"]:
                    median_run = sorted(runs, key=lambda r: r["objective"])[(len(runs) - 1) // 2]
                    sample_rows.append({
                        "kind": kind, "n": n, "beta": beta,
                        "convex": langevin_metrics(kind, fit["path"], config, work),
                        "nonconvex": langevin_metrics(kind, median_run["path"], config, work),
                    })
    return rows, sample_rows


def markdown(config, rows, sample_rows, elapsed):
    lines = [HEADING, ""]
    lines.append(
        "The convex optimum J* of `fit` against non-convex training of the same network by "
        "`train` (theory.md, section 10), on the same data. One `fit` per row; %d `train` runs "
        "per row (init seeds 1..%d), each full-batch %s with learning rate %g for %d epochs, "
        "width %d, %s activation, no skip. Data: `--generate KIND --n N --seed %d` "
        "(docs/data.md)." % (config["seeds"], config["seeds"], OPTIMIZER, LEARNING_RATE,
                             config["epochs"], WIDTH, ACTIVATION, DATA_SEED))
    lines.append("")
    lines.append("- **Command:** `python3 experiments/convex_vs_nonconvex.py` (from the "
                 "repository root; calls `build/convexscore`; took %.0f s)." % elapsed)
    lines.append("- **Date:** %s (UTC)." % datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"))
    lines.append("- **Machine:** `nproc` = %d, %s; other sessions were building on the same "
                 "2 cores, so wall times are inflated." % (os.cpu_count(), platform.machine()))
    lines.append("- **Excess** is (J - J*) / max(1, |J*|) for the final objective J of a run; "
                 "*best-epoch excess* uses the run's lowest objective over all epochs instead; "
                 "*within 1e-6* is the share of runs with excess <= 1e-6. *Below J\\** counts "
                 "runs whose best objective at any epoch fell below J* - 1e-9 max(1, |J*|) "
                 "(the certificate; it must be 0).")
    lines.append("- **Kinks** counts the units whose kink -b/w lies inside the data range "
                 "and whose |a w| is above 1e-3 of the largest: for `fit` the active units "
                 "(those in the data range), for `train` the median over the runs. It shows "
                 "where the models bend (theory.md, section 10: the bias gradient does not see "
                 "the trace term).")
    lines.append("- **Times** are wall times of one process (start-up, data generation, the "
                 "solve or training loop, writing the model file); for `train` the median over "
                 "the seeds, with the training loop alone in brackets.")
    lines.append("")
    lines.append("| data | n | beta | J* (convex) | kinks convex | median J | worst J | "
                 "kinks trained | median excess | worst excess | median best-epoch excess | "
                 "within 1e-6 | below J* | fit time | train time (loop) |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        lines.append("| %s | %d | %g | %.6f | %d | %.6f | %.6f | %g | %s | %s | %s | %.0f%% | "
                     "%d | %.3f s | %.2f s (%.2f s) |" % (
                         r["kind"], r["n"], r["beta"], r["fit"]["objective"], r["fit"]["kinks"],
                         r["median_objective"], r["worst_objective"], r["median_kinks"],
                         fmt(r["median_excess"], 2), fmt(r["worst_excess"], 2),
                         fmt(r["median_best_excess"], 2),
                         100 * r["share_within"], r["below_optimum"],
                         r["fit"]["seconds"], r["train_seconds"], r["train_loop_seconds"]))
    lines.append("")
    lines.append(
        "Langevin samples at n = %d: `sample --particles %d --steps %d --step-size %g "
        "--init %s --seed %d` from the convex model and from the non-convex run with the "
        "median final objective, then `metrics --target KIND` (W1 and KL of the samples "
        "against the law the data were drawn from; docs/data.md). A model whose stationary "
        "law is not normalisable (`limit` refuses it) is not sampled; the note says why." % (
            config["sample_n"], config["particles"], config["steps"], STEP_SIZE, SAMPLE_INIT,
            SAMPLE_SEED))
    lines.append("")
    lines.append("| data | beta | W1 convex | W1 non-convex | KL convex | KL non-convex |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    notes = []
    for s in sample_rows:
        cells = []
        for metric in ("w1", "kl"):
            for which in ("convex", "nonconvex"):
                result = s[which]
                if "note" in result:
                    cells.append("not normalisable")
                    notes.append("%s, beta %g, %s: %s" % (s["kind"], s["beta"], which,
                                                          result["note"]))
                else:
                    cells.append(fmt(result[metric]))
        lines.append("| %s | %g | %s |" % (s["kind"], s["beta"], " | ".join(cells)))
    for note in sorted(set(notes)):
        lines.append("")
        lines.append("- " + note)
    lines.append("")
    return "\n".join(lines)


def write_section(section, heading=HEADING):
    """Replaces the section that starts with `heading` in docs/results.md, or appends it."""
    path = os.path.join(ROOT, "docs", "results.md")
    with open(path) as f:
        text = f.read()
    start = text.find(heading)
    if start >= 0:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section + ("" if end < 0 else text[end + 1:])
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)


def command_line_parser(doc):
    """The studies' common command line: --quick (a small run that prints and writes nothing).
    A study adds its own options to the parser and calls parse_built()."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small run; print, do not write")
    return parser


def parse_built(parser):
    """Parses the command line; exits when the program is not built."""
    args = parser.parse_args()
    if not os.access(CLI, os.X_OK):
        sys.exit("build the program first: %s not found" % CLI)
    return args


def parse_command_line(doc):
    """--quick only; returns True for --quick."""
    return parse_built(command_line_parser(doc)).quick


def main():
    quick = parse_command_line(__doc__)
    config = QUICK if quick else FULL
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="convex-vs-nonconvex-") as work:
        rows, sample_rows = study(config, work)
    section = markdown(config, rows, sample_rows, time.perf_counter() - started)
    if quick:
        print(section)
    else:
        write_section(section)
        print("wrote the section to docs/results.md")


if __name__ == "__main__":
    main()
