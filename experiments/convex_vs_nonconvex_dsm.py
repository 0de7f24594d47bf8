#!/usr/bin/env python3
"""Convex versus non-convex training, univariate denoising score matching (issue 4 item 3,
issue 7 item 6).

The DSM sibling of convex_vs_nonconvex.py (whose helpers it imports). For Gaussian,
two-component mixture and Laplace data (seed 1) at a few noise levels sigma and weight decays
beta, it solves the convex DSM program once (`convexscore fit --objective dsm`, one level) and
trains the same ReLU network (no skip) from SEEDS random initialisations (`convexscore train
--objective dsm`, full-batch Adam) on the same noisy data: both get the same --sigma, --copies
and --noise-seed, and a one-level fit draws its noise with the seed itself (level 0: seed + 0).
That they minimise the same objective on the same numbers is checked in every row: `train`
started at the convex network (--init-model, one epoch at learning rate 1e-12) must report
the convex optimum to 1e-9 relative. It compares

- objectives: the convex optimum J* against the final non-convex objectives (median, worst,
  share within 1e-6 relative, the minimum excess over all runs and epochs: never negative);
- wall time of one `fit` and of one `train` process;
- unadjusted Langevin samples from the convex model and from the median non-convex run, scored
  against the law the data were drawn from (`metrics --target KIND`: W1, KL).

The Gaussian part (issue 7, item 6): on N(0, 1) data at a small sigma, the least-squares slope
of each score over the central 95% of the data against the slope of the noised law's score,
-1 / (1 + sigma^2); the score curves and sample histograms as PNG figures from
`convexscore plot` (docs/figures/dsm_gaussian_*.png).

Standard library only. Run from the repository root after building:

    python3 experiments/convex_vs_nonconvex_dsm.py            # full run, writes docs/results.md
                                                              # and docs/figures/dsm_gaussian_*
    python3 experiments/convex_vs_nonconvex_dsm.py --quick    # small run, prints only
"""

import datetime
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convex_vs_nonconvex import (ROOT, CLI, DATA_SEED, ACTIVATION, RELATIVE_TOLERANCE,  # noqa: E402
                                 STEP_SIZE, SAMPLE_INIT, SAMPLE_SEED, run, data_args,
                                 kinks_in_data_range, relative_excess, langevin_metrics, fmt,
                                 write_section, parse_command_line)

HEADING = ("## Convex versus non-convex training, univariate denoising score matching "
           "(issue 4 item 3, issue 7 item 6)")
GAUSSIAN_HEADING = ("## Gaussian data: does convex DSM recover the linear score? "
                    "(issue 7, item 6)")

DATASETS = ["gaussian", "mixture", "laplace"]
WIDTH = 50
OPTIMIZER = "adam"
LEARNING_RATE = 0.01
NOISE_SEED = 11
FIGURES = os.path.join(ROOT, "docs", "figures")

FULL = {"n": 200, "copies": 5, "sigmas": [0.5, 0.1], "betas": [0.01, 0.1], "seeds": 10,
        "epochs": 3000, "particles": 20000, "steps": 2000,
        "gaussian": {"n": 200, "sigma": 0.05, "copies": 50, "betas": [0.1],
                     "sweep_sigmas": [0.5, 0.2, 0.1, 0.05], "sweep_copies": [5, 50],
                     "sweep_betas": [0.01, 0.1, 0.5], "noisy": (0.05, 5, 0.01)}}
QUICK = {"n": 50, "copies": 2, "sigmas": [0.1], "betas": [0.1], "seeds": 3, "epochs": 300,
         "particles": 2000, "steps": 200,
         "gaussian": {"n": 50, "sigma": 0.1, "copies": 5, "betas": [0.1],
                      "sweep_sigmas": [0.1], "sweep_copies": [2], "sweep_betas": [0.1],
                      "noisy": (0.1, 2, 0.1)}}


def dsm_args(copies):
    return ["--copies", copies, "--noise-seed", NOISE_SEED]


def convex(kind, n, sigma, beta, copies, work, skip=False):
    """One-level convex DSM fit; also writes the level as a plain model file (for `sample`
    without --annealed, `limit`, `plot`), so both models are sampled the same way."""
    tag = "%s-%d-s%g-b%g-k%d%s" % (kind, n, sigma, beta, copies, "-skip" if skip else "")
    skip_args = ["--skip"] if skip else []
    levels = os.path.join(work, tag + "-levels.json")
    _, seconds = run(["fit"] + data_args(kind, n) +
                     ["--activation", ACTIVATION, "--beta", beta, "--objective", "dsm",
                      "--sigmas", sigma] + dsm_args(copies) + skip_args + ["--quiet", "--out", levels])
    with open(levels) as f:
        document = json.load(f)
    (entry,) = document["noise_levels"]
    model = {key: document[key] for key in ("format", "version", "dimension") if key in document}
    model.update({key: value for key, value in entry.items() if key != "sigma"})
    path = os.path.join(work, tag + "-convex.json")
    with open(path, "w") as f:
        json.dump(model, f)
    # J0: the objective of the best network without units (the free term alone), the optimum
    # at any beta >= beta_max. J0 - J* is what the units can gain; most of J is the noise.
    zero = os.path.join(work, tag + "-zero.json")
    run(["fit"] + data_args(kind, n) +
        ["--activation", ACTIVATION, "--beta", 2 * entry["beta_max"], "--objective", "dsm",
         "--sigmas", sigma] + dsm_args(copies) + skip_args + ["--quiet", "--out", zero])
    with open(zero) as f:
        (zero_entry,) = json.load(f)["noise_levels"]
    assert zero_entry["active_neurons"] == 0
    return {"objective": entry["objective"], "zero_objective": zero_entry["objective"], "status": entry["status"],
            "gap": entry["relative_gap"], "neurons": entry["active_neurons"],
            "beta_max": entry["beta_max"], "kinks": kinks_in_data_range(model),
            "seconds": seconds, "path": path}


def train(kind, n, sigma, beta, copies, out, seed=None, epochs=None, init_model=None):
    extra = (["--init-model", init_model, "--lr", 1e-12, "--epochs", 1] if init_model else
             ["--width", WIDTH, "--init-seed", seed, "--lr", LEARNING_RATE, "--epochs", epochs,
              "--history-every", epochs])
    _, seconds = run(["train"] + data_args(kind, n) +
                     ["--objective", "dsm", "--sigma", sigma] + dsm_args(copies) +
                     ["--activation", ACTIVATION, "--beta", beta, "--optimizer", OPTIMIZER] +
                     extra + ["--quiet", "--out", out])
    with open(out) as f:
        model = json.load(f)
    return {"objective": model["objective"], "best": model["training"]["best_objective"],
            "kinks": kinks_in_data_range(model), "seconds": seconds,
            "train_seconds": model["seconds"], "path": out}


def same_objective_check(kind, n, sigma, beta, copies, fit, work):
    """`train` from the convex network reports J*: the two commands see the same numbers."""
    start = train(kind, n, sigma, beta, copies, os.path.join(work, "check.json"),
                  init_model=fit["path"])
    deviation = abs(start["best"] - fit["objective"]) / max(1.0, abs(fit["objective"]))
    if deviation > 1e-9:
        sys.exit("train and fit disagree on the objective of the convex network (%s, sigma %g, "
                 "beta %g): %.12g against %.12g" % (kind, sigma, beta, start["best"],
                                                    fit["objective"]))
    return deviation


def compare(kind, n, sigma, beta, config, work, copies=None, sample=True):
    copies = copies or config["copies"]
    fit = convex(kind, n, sigma, beta, copies, work)
    check = same_objective_check(kind, n, sigma, beta, copies, fit, work)
    runs = [train(kind, n, sigma, beta, copies,
                  os.path.join(work, "%s-%d-s%g-b%g-seed%d.json" % (kind, n, sigma, beta, seed)),
                  seed=seed, epochs=config["epochs"])
            for seed in range(1, config["seeds"] + 1)]
    excess = sorted(relative_excess(r["objective"], fit["objective"]) for r in runs)
    median_run = sorted(runs, key=lambda r: r["objective"])[(len(runs) - 1) // 2]
    median_run["seed"] = runs.index(median_run) + 1
    row = {
        "kind": kind, "n": n, "sigma": sigma, "beta": beta, "copies": copies, "fit": fit,
        "check": check,
        "median_objective": statistics.median(r["objective"] for r in runs),
        "worst_objective": max(r["objective"] for r in runs),
        "median_excess": statistics.median(excess), "worst_excess": excess[-1],
        # Share of the gain J0 - J* that the median run misses.
        "median_lost": (statistics.median(r["objective"] for r in runs) - fit["objective"]) /
                       (fit["zero_objective"] - fit["objective"]),
        "worst_lost": (max(r["objective"] for r in runs) - fit["objective"]) /
                      (fit["zero_objective"] - fit["objective"]),
        "min_excess": min(relative_excess(r["best"], fit["objective"]) for r in runs),
        "share_within": sum(e <= RELATIVE_TOLERANCE for e in excess) / len(excess),
        "share_within_1e3": sum(e <= 1e-3 for e in excess) / len(excess),
        "median_kinks": statistics.median(r["kinks"] for r in runs),
        "train_seconds": statistics.median(r["seconds"] for r in runs),
        "train_loop_seconds": statistics.median(r["train_seconds"] for r in runs),
        "median_run": median_run, "runs": runs,
    }
    print("%-8s sigma=%-4g beta=%-5g J*=%.6f (%d neurons) median %.6f worst %.6f min excess "
          "%.2g within %.0f%% fit %.2fs train %.2fs" % (
              kind, sigma, beta, fit["objective"], fit["neurons"], row["median_objective"],
              row["worst_objective"], row["min_excess"], 100 * row["share_within"],
              fit["seconds"], row["train_seconds"]), flush=True)
    if sample:
        row["samples"], row["draws"] = {}, {}
        for which, path in (("convex", fit["path"]), ("nonconvex", median_run["path"])):
            row["samples"][which] = langevin_metrics(kind, path, config, work)
            if "note" not in row["samples"][which]:  # else no draws were written
                row["draws"][which] = path.replace(".json", "-draws.csv")
                shutil.copyfile(os.path.join(work, "draws.csv"), row["draws"][which])
    return row


def score_line(model_path, lo, hi, work):
    """Least-squares line through the model's score on 401 points of [lo, hi], and the largest
    deviation from it: (slope, intercept, max |f - line|)."""
    out = os.path.join(work, "score.csv")
    run(["score", "--model", model_path, "--grid", "%r:%r:401" % (lo, hi), "--out", out])
    with open(out) as f:
        rows = [line.strip().split(",") for line in f][1:]
    xs, fs = [float(r[0]) for r in rows], [float(r[1]) for r in rows]
    mx, mf = statistics.fmean(xs), statistics.fmean(fs)
    slope = (sum((x - mx) * (y - mf) for x, y in zip(xs, fs)) /
             sum((x - mx) ** 2 for x in xs))
    intercept = mf - slope * mx
    return slope, intercept, max(abs(y - slope * x - intercept) for x, y in zip(xs, fs))




def gaussian_study(config, work):
    """Issue 7 item 6: the scores on N(0, 1) data at a small sigma, as lines."""
    g = config["gaussian"]
    rows = []
    for beta in g["betas"]:
        row = compare("gaussian", g["n"], g["sigma"], beta, config, work, copies=g["copies"])
        row["convex_line"] = score_line(row["fit"]["path"], -2.0, 2.0, work)
        row["run_lines"] = sorted(score_line(r["path"], -2.0, 2.0, work) for r in row["runs"])
        row["median_line"] = score_line(row["median_run"]["path"], -2.0, 2.0, work)
        with open(row["fit"]["path"]) as f:
            row["data"] = json.load(f)["data"]  # the clean data's mean and variance
        rows.append(row)
    return rows


def gaussian_sweep(config, work):
    """Convex fits only (they take a fraction of a second): when is the DSM score a line on
    the data? Across sigma, copies, beta, without and with the skip term."""
    g = config["gaussian"]
    sweep = []
    for skip in (False, True):
        for sigma in g["sweep_sigmas"]:
            for copies in g["sweep_copies"]:
                for beta in g["sweep_betas"]:
                    fit = convex("gaussian", g["n"], sigma, beta, copies, work, skip=skip)
                    sweep.append({"skip": skip, "sigma": sigma, "copies": copies, "beta": beta,
                                  "fit": fit, "line": score_line(fit["path"], -2.0, 2.0, work)})
    return sweep


def figures(config, row, sweep, out_dir):
    """The figures of issue 7 item 6 for one Gaussian row: score curves and histograms of the
    convex model and of the median non-convex run. Returns {name: file name}."""
    g = config["gaussian"]
    noised = "gaussian:0:%.6g" % math.sqrt(1.0 + g["sigma"] ** 2)
    written = {}
    for which, path in (("convex", row["fit"]["path"]), ("nonconvex", row["median_run"]["path"])):
        label = "convex DSM" if which == "convex" else "non-convex DSM (median run)"
        name = "dsm_gaussian_score_%s.png" % which
        run(["plot", "score", "--model", path] + data_args("gaussian", g["n"]) +
            ["--target", noised, "--range", "-3.5:3.5", "--width", 700, "--height", 460,
             "--title", "%s, N(0,1), n = %d, sigma = %g, %d copies, beta = %g" % (
                 label, g["n"], g["sigma"], g["copies"], row["beta"]),
             "--out", os.path.join(out_dir, name)])
        written["score_" + which] = name
        if which in row["draws"]:
            name = "dsm_gaussian_samples_%s.png" % which
            # The stationary-law curve only for the convex model: for trained networks with
            # kinks near 1e69 (units pushed off the data) `limit` returns a wrong law
            # (docs/results.md, what the DSM study shows).
            stationary = ["--model", path] if which == "convex" else []
            run(["plot", "samples", "--samples", row["draws"][which], "--target", "gaussian"] +
                stationary + ["--range", "-4:4", "--width", 700, "--height", 460,
                 "--title", "Langevin samples, %s" % label, "--out", os.path.join(out_dir, name)])
            written["samples_" + which] = name
    sigma, copies, beta = g["noisy"]
    (noisy,) = [e for e in sweep if not e["skip"] and (e["sigma"], e["copies"], e["beta"]) ==
                (sigma, copies, beta)]
    name = "dsm_gaussian_score_convex_noisy.png"
    run(["plot", "score", "--model", noisy["fit"]["path"]] + data_args("gaussian", g["n"]) +
        ["--target", "gaussian:0:%.6g" % math.sqrt(1.0 + sigma ** 2), "--range", "-3.5:3.5",
         "--width", 700, "--height", 460,
         "--title", "convex DSM, N(0,1), n = %d, sigma = %g, %d copies, beta = %g" % (
             g["n"], sigma, copies, beta), "--out", os.path.join(out_dir, name)])
    written["score_convex_noisy"] = name
    return written


def uptime():
    try:
        return subprocess.run(["uptime"], stdout=subprocess.PIPE, universal_newlines=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def sample_cells(s):
    cells = []
    for metric in ("w1", "kl"):
        for which in ("convex", "nonconvex"):
            result = s[which]
            cells.append("not normalisable" if "note" in result else fmt(result[metric]))
    return cells


def setup_lines(config, elapsed, loads, command="experiments/convex_vs_nonconvex_dsm.py",
                what="the whole script, both sections and the figures,"):
    return [
        "- **Command:** `python3 %s` (from the repository root; calls `build/convexscore`; %s "
        "took %.0f s)." % (command, what, elapsed),
        "- **Date:** %s (UTC)." % datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"),
        "- **Machine:** `nproc` = %d, %s; `uptime` at the start: `%s`; at the end: `%s`. Other "
        "sessions share the 2 cores, so wall times are inflated." % (
            os.cpu_count(), platform.machine(), loads[0], loads[1]),
    ]


def markdown(config, rows, gaussian_rows, sweep, figure_files, elapsed, loads):
    lines = [HEADING, ""]
    lines.append(
        "The convex DSM optimum J* of `fit --objective dsm` (one noise level; theory.md "
        "section 11) against non-convex training of the same network by `train --objective dsm` "
        "(section 10) on the same noisy data. Data: `--generate KIND --n %d --seed %d`; noise: "
        "`--copies %d --noise-seed %d` for both commands (N = %d noisy inputs; a one-level fit "
        "uses the seed itself; the last Gaussian row, from the next section, has more copies). Network: width %d, %s, no skip. Training: %d runs per row (init "
        "seeds 1..%d), full-batch %s, learning rate %g, %d epochs." % (
            config["n"], DATA_SEED, config["copies"], NOISE_SEED, config["n"] * config["copies"],
            WIDTH, ACTIVATION, config["seeds"], config["seeds"], OPTIMIZER, LEARNING_RATE,
            config["epochs"]))
    lines.append("")
    lines += setup_lines(config, elapsed, loads)
    lines.append(
        "- **Same objective, same numbers:** in every row `train --init-model` started at the "
        "convex network (one epoch at learning rate 1e-12) reports J* itself; the largest "
        "relative deviation over all rows was %.1e (the script stops above 1e-9)." % max(
            r["check"] for r in rows + gaussian_rows))
    lines.append(
        "- **Excess** is (J - J*) / max(1, |J*|) for a run's final objective J; *within 1e-6* "
        "and *within 1e-3* are the shares of runs whose final excess is at most that. *Min "
        "excess* is the smallest excess of any run at any epoch (its best objective): it must "
        "not be negative (the convex value is the infimum over all widths). J0 is the optimum "
        "without units (the free output bias alone: `fit` at 2 beta_max), so J0 - J* is what "
        "the network can gain over a constant; most of J is the irreducible noise of the "
        "targets, about 1 / (2 sigma^2), which makes relative excesses small. *Lost* is "
        "(J - J*) / (J0 - J*), the share of that gain a run misses.")
    lines.append(
        "- **Neurons** of the convex model are its active units (the width it needs); *kinks* "
        "count the units bending inside the data range (|a w| above 1e-3 of the largest), for "
        "`train` the median over the runs. **Times** are wall times of one process; for `train` "
        "the median over the seeds, the training loop alone in brackets.")
    lines.append("")
    lines.append("| data | sigma | copies | beta | beta_max | J* (convex) | J0 - J* | neurons | "
                 "kinks convex | median J | worst J | kinks trained | median excess | "
                 "worst excess | min excess | lost, median | lost, worst | within 1e-6 | "
                 "within 1e-3 | fit time | train time (loop) |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
                 "---:|---:|---:|---:|---:|---:|")
    for r in rows + gaussian_rows:
        lines.append("| %s | %g | %d | %g | %.4g | %.6f | %.4g | %d | %d | %.6f | %.6f | %g | %s | "
                     "%s | %s | %s | %s | %.0f%% | %.0f%% | %.3f s | %.2f s (%.2f s) |" % (
                         r["kind"], r["sigma"], r["copies"], r["beta"], r["fit"]["beta_max"],
                         r["fit"]["objective"], r["fit"]["zero_objective"] - r["fit"]["objective"],
                         r["fit"]["neurons"], r["fit"]["kinks"],
                         r["median_objective"], r["worst_objective"], r["median_kinks"],
                         fmt(r["median_excess"], 2), fmt(r["worst_excess"], 2),
                         fmt(r["min_excess"], 2), fmt(r["median_lost"], 2),
                         fmt(r["worst_lost"], 2), 100 * r["share_within"],
                         100 * r["share_within_1e3"], r["fit"]["seconds"], r["train_seconds"],
                         r["train_loop_seconds"]))
    lines.append("")
    lines.append(
        "Langevin samples: `sample --particles %d --steps %d --step-size %g --init %s --seed %d` "
        "from the convex model and from the non-convex run with the median final objective, "
        "then `metrics --target KIND`: W1 and KL of the samples against the law the data were "
        "drawn from (docs/data.md). A DSM model at sigma estimates the score of the data law "
        "convolved with N(0, sigma^2), so even a perfect model is off by that much (for "
        "N(0, 1) data at sigma = 0.5, W1 = sqrt(2/pi) (sqrt(1.25) - 1) = 0.094). A model whose "
        "stationary law is not normalisable (`limit` refuses it) is not sampled." % (
            config["particles"], config["steps"], STEP_SIZE, SAMPLE_INIT, SAMPLE_SEED))
    lines.append("")
    lines.append("| data | sigma | beta | W1 convex | W1 non-convex | KL convex | KL non-convex |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    notes = []
    for r in rows + gaussian_rows:
        lines.append("| %s | %g | %g | %s |" % (r["kind"], r["sigma"], r["beta"],
                                                " | ".join(sample_cells(r["samples"]))))
        for which in ("convex", "nonconvex"):
            if "note" in r["samples"][which]:
                notes.append("%s, sigma %g, beta %g, %s: %s" % (
                    r["kind"], r["sigma"], r["beta"], which, r["samples"][which]["note"]))
    for note in notes:
        lines.append("")
        lines.append("- " + note)
    lines.append("")
    section = "\n".join(lines)

    g = config["gaussian"]
    truth = -1.0 / (1.0 + g["sigma"] ** 2)
    lines = [GAUSSIAN_HEADING, ""]
    lines.append(
        "N(0, 1) data, `--generate gaussian --n %d --seed %d`, at the small noise level "
        "sigma = %g (`--copies %d --noise-seed %d`); the models are the last Gaussian row "
        "(sigma = %g) of the table above. The DSM target at sigma is the score of the noised law "
        "N(0, 1 + sigma^2), the line -x / (1 + sigma^2), slope %.5f. *Slope* and *intercept* "
        "are the least-squares line through the model's score on 401 points of [-2, 2] "
        "(`convexscore score`), where 95%% of the data lie; *max dev* is the largest distance "
        "of the score from that line there (0 for a line). For `train` the slope of the median "
        "run and the range over all %d runs." % (
            g["n"], DATA_SEED, g["sigma"], g["copies"], NOISE_SEED, g["sigma"], truth,
            config["seeds"]))
    lines.append("")
    data = gaussian_rows[0]["data"]
    sample_var = data["variance"] + g["sigma"] ** 2
    lines.append(
        "The data's own mean and variance (%.4f, %.4f) give the line the least-squares fit "
        "of the free terms alone would approach, -(x - %.4f) / %.4f: slope %.5f, intercept "
        "%.4f." % (data["mean"], data["variance"], data["mean"], sample_var, -1 / sample_var,
                   data["mean"] / sample_var))
    lines.append("")
    lines.append("| beta | neurons | convex slope | convex intercept | convex max dev | "
                 "slope / truth | trained slope (median run) | trained slopes (all runs) | "
                 "trained max dev (median run) | W1 convex | W1 trained |")
    lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in gaussian_rows:
        slope, intercept, dev = r["convex_line"]
        mslope, _, mdev = r["median_line"]
        lines.append("| %g | %d | %.4f | %.4f | %.4f | %.3f | %.4f | %.4f to %.4f | %.4f | %s | "
                     "%s |" % (
                         r["beta"], r["fit"]["neurons"], slope, intercept, dev, slope / truth,
                         mslope, r["run_lines"][0][0], r["run_lines"][-1][0], mdev,
                         sample_cells(r["samples"])[0], sample_cells(r["samples"])[1]))
    lines.append("")
    lines.append(
        "When is the convex DSM score a line on the data? Convex fits alone (a fraction of a "
        "second each), same data and noise seed, over sigma, the number of copies, beta, and "
        "with the skip term (`--skip`); slope and *max dev* as above, *truth* the slope "
        "-1 / (1 + sigma^2):")
    lines.append("")
    lines.append("| skip | sigma | copies | N | beta | neurons | slope | intercept | max dev | "
                 "slope / truth |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for e in sweep:
        slope, intercept, dev = e["line"]
        lines.append("| %s | %g | %d | %d | %g | %d | %.4f | %.4f | %.4f | %.3f |" % (
            "yes" if e["skip"] else "no", e["sigma"], e["copies"], g["n"] * e["copies"],
            e["beta"], e["fit"]["neurons"], slope, intercept, dev,
            slope * (1.0 + e["sigma"] ** 2) * -1.0))
    lines.append("")
    shown = gaussian_rows[0]
    lines.append(
        "Figures for beta = %g (`convexscore plot score --target gaussian:0:%.6g --range "
        "-3.5:3.5` and `plot samples --target gaussian --range -4:4`; the dashed curve is the "
        "true score of the noised law, the rug the data; in the histograms the green curve is "
        "the exact stationary law of the convex model; the median non-convex run is init seed "
        "%d):" % (shown["beta"], math.sqrt(1 + g["sigma"] ** 2), shown["median_run"]["seed"]))
    lines.append("")
    for key, caption in (("score_convex", "convex DSM score"),
                         ("score_nonconvex", "non-convex DSM score, median run"),
                         ("samples_convex", "Langevin samples of the convex model"),
                         ("samples_nonconvex", "Langevin samples of the non-convex model"),
                         ("score_convex_noisy", "convex DSM score with too few copies")):
        if key in figure_files:
            lines.append("![%s](figures/%s)" % (caption, figure_files[key]))
            lines.append("")
    return section, "\n".join(lines)


def main():
    quick = parse_command_line(__doc__)
    config = QUICK if quick else FULL
    loads = [uptime()]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="convex-vs-nonconvex-dsm-") as work:
        rows = [compare(kind, config["n"], sigma, beta, config, work)
                for kind in DATASETS for sigma in config["sigmas"] for beta in config["betas"]]
        gaussian_rows = gaussian_study(config, work)
        sweep = gaussian_sweep(config, work)
        out_dir = work if quick else FIGURES
        figure_files = figures(config, gaussian_rows[0], sweep, out_dir)
        loads.append(uptime())
        sections = markdown(config, rows, gaussian_rows, sweep, figure_files,
                            time.perf_counter() - started, loads)
    if quick:
        print("\n".join(sections))
    else:
        write_section(sections[0], HEADING)
        write_section(sections[1], GAUSSIAN_HEADING)
        print("wrote two sections to docs/results.md and the figures to docs/figures/")


if __name__ == "__main__":
    main()
