#!/usr/bin/env python3
"""Convex versus non-convex denoising score matching in 2-D: the circle and the spiral (issue 7
item 6; shared theory.md section 7).

For each data set this script

  1. fits the convex DSM models, one exact per-coordinate ReLU network per noise level
     (`convexscore fit --objective dsm --sigmas ...`, all activation patterns of the noisy
     inputs), keeping each level's certificate (status, relative duality gap, the rebuilt
     network's objective);
  2. checks that `train` sees the same numbers: started at the convex networks (--init-model,
     one epoch at learning rate 1e-12) it must report the rebuilt networks' objectives;
  3. trains non-convex networks of the same width from SEEDS random initialisations (`convexscore
     train`, shared hidden layer, biases free as in the convex program, full-batch Adam), one
     network per level on the same noisy inputs (level l: noise seed + l, as `fit` draws them).
     The width at a level is the convex model's number of active neurons at that level, summed
     over the two output coordinates: a per-coordinate model is a shared-layer network whose
     second layer is block diagonal (each unit feeds one coordinate), so the non-convex network
     has as many units as the convex one and a larger family of weights (docs/theory.md
     section 10). The levels are assembled into one noise-levels file (io/noise_levels_json.h);
  4. samples every model with annealed Langevin (`sample --annealed`, the same particles, steps,
     step sizes, start and seeds for both kinds of model: non-convex run s and the convex model
     both with sampling seed SAMPLE_SEED + s - 1);
  5. scores the samples against the data (`metrics --reference`: MMD^2 with one fixed kernel
     bandwidth for every comparison of a data set, and sliced W1). Floor: a perfect sampler of
     the smallest level's target law, the data convolved with N(0, sigma_L^2 I), drawn directly;
  6. draws the data, the convex samples and the samples of the median non-convex run (`plot
     scatter`) into docs/figures/dsm2d_<data>_data.png and dsm2d_<study>_{convex,nonconvex}.png
     (<study> = circle_noise<S> or spiral).

Data (written by this script as CSV): the circle, n points at angles uniform on [0, 2 pi)
(Python random, seed 1), radius 1; the spiral of theory.md section 7, phi_i = i pi / 20,
r_i = 10 (P - i) / P for i = 0, STRIDE, 2 STRIDE, ... < P (docs/data.md indexes from 0 as here);
STRIDE 1 with P = 100 is the paper's set, a larger stride keeps the 2.5 turns with fewer points.

Sizes are command-line options (the defaults finish in well under a minute on the loaded
2-core machine and give docs/results.md its first section; the paper's spiral is --spiral-stride 1
--spiral-copies 5 --spiral-sigmas 0.5,0.1,0.05,0.03,0.01 --spiral-beta 0.1, whose small sigmas
are still out of reach of the solver). The circle is studied once per noise seed in
--circle-noise-seeds. A run with other sizes can be written to a section and figures of its own
with --variant TAG (heading "... in 2-D, variant TAG ...", figures docs/figures/dsm2d_TAG_*), so
that it does not replace the default run's. Run from the repository root after building:

    python3 experiments/dsm_2d.py            # writes docs/results.md and docs/figures/dsm2d_*
    python3 experiments/dsm_2d.py --quick    # tiny run, prints only
"""

import json
import math
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convex_vs_nonconvex import (ROOT, ACTIVATION, run, fmt, write_section,  # noqa: E402
                                 command_line_parser, parse_built)
from convex_vs_nonconvex_dsm import setup_lines, uptime  # noqa: E402

HEADING = ("## Convex versus non-convex DSM in 2-D: circle and spiral, annealed Langevin "
           "(issue 7, item 6)")
VARIANT_HEADING = ("## Convex versus non-convex DSM in 2-D, variant %s: annealed Langevin "
                   "(issue 7, item 6)")
FIGURES = os.path.join(ROOT, "docs", "figures")
OPTIMIZER = "adam"
SAMPLE_SEED = 7
METRIC_SEED = 1
SAME_OBJECTIVE_TOLERANCE = 1e-9


def sigma_list(text):
    return [float(s) for s in text.split(",")]


def variant_tag(text):
    if not text or any(c not in "abcdefghijklmnopqrstuvwxyz0123456789_" for c in text):
        raise ValueError("variant tag: lower-case letters, digits and _ only")
    return text


def heading(args):
    return HEADING if args.variant is None else VARIANT_HEADING % args.variant


def figure_name(args, name):
    """docs/figures/dsm2d_<name>.png, or dsm2d_<variant>_<name>.png for a variant run."""
    return "dsm2d_%s%s.png" % ("" if args.variant is None else args.variant + "_", name)


def parse_args():
    parser = command_line_parser(__doc__)
    add = parser.add_argument
    add("--only", choices=["circle", "spiral"],
        help="run one data set (the section written then holds it alone)")
    add("--circle-n", type=int, default=24, help="circle points (default 24)")
    add("--circle-copies", type=int, default=2, help="noisy copies per point (default 2)")
    add("--circle-sigmas", type=sigma_list, default=[0.5, 0.2, 0.1],
        help="circle noise levels, decreasing (default 0.5,0.2,0.1)")
    add("--circle-beta", type=float, default=0.2, help="circle weight decay (default 0.2)")
    add("--spiral-points", type=int, default=100, help="P of the spiral formula (default 100)")
    add("--spiral-stride", type=int, default=3,
        help="use every STRIDE-th spiral point (default 3: 34 points)")
    add("--spiral-copies", type=int, default=2, help="noisy copies per point (default 2)")
    add("--spiral-sigmas", type=sigma_list, default=[1.0, 0.5, 0.25],
        help="spiral noise levels, decreasing (default 1,0.5,0.25)")
    add("--spiral-beta", type=float, default=0.5, help="spiral weight decay (default 0.5)")
    # Two circle noise seeds: chosen when the earlier cone group lasso solver stalled at two
    # levels with seed 1 and one with seed 2; the planar-atoms solver certifies all of them.
    add("--circle-noise-seeds", type=lambda t: [int(v) for v in t.split(",")], default=[2, 1],
        help="noise seeds of level 0, one circle study each (default 2,1)")
    add("--spiral-noise-seed", type=int, default=1, help="noise seed of level 0 (default 1)")
    add("--max-iterations", type=int, help="fit's solver iteration limit (default: fit's)")
    add("--variant", type=variant_tag, metavar="TAG",
        help="write the section under its own heading and the figures as dsm2d_TAG_* (TAG: "
             "lower-case letters, digits and _), leaving the default run's section alone")
    add("--seeds", type=int, default=10, help="non-convex runs per data set (default 10)")
    add("--epochs", type=int, default=5000, help="Adam epochs per level (default 5000)")
    add("--lr", type=float, default=0.01, help="Adam learning rate (default 0.01)")
    add("--particles", type=int, default=2000, help="Langevin chains (default 2000)")
    add("--steps", type=int, default=200, help="Langevin steps per level (default 200)")
    add("--step-factor", type=float, default=0.1,
        help="step size at level i = FACTOR sigma_i^2 (default 0.1)")
    add("--bandwidth-factor", type=float, default=0.5,
        help="MMD bandwidth = FACTOR x the median distance between the data points' nearest "
             "neighbours (default 0.5)")
    args = parse_built(parser)
    if args.quick:
        args.circle_n, args.circle_sigmas = 10, [0.5, 0.2]
        args.spiral_stride, args.spiral_sigmas = 10, [0.5, 0.2]
        args.seeds, args.epochs, args.particles, args.steps = 2, 300, 300, 50
    return args


# ---- data -----------------------------------------------------------------------------------

def circle_points(n, seed=1):
    rng = random.Random(seed)
    return [(math.cos(t), math.sin(t)) for t in (rng.uniform(0.0, 2.0 * math.pi)
                                                 for _ in range(n))]


def spiral_points(points, stride):
    """theory.md section 7, indexed from 0 (docs/data.md): phi_i = i pi / 20,
    r_i = 10 (P - i) / P."""
    out = []
    for i in range(0, points, stride):
        phi, r = i * math.pi / 20.0, 10.0 * (points - i) / points
        out.append((r * math.cos(phi), r * math.sin(phi)))
    return out


def write_points(path, points):
    with open(path, "w") as f:
        f.write("x,y\n")
        for x, y in points:
            f.write("%r,%r\n" % (x, y))


def smoothed_draws(points, sigma, count, seed):
    """`count` draws of the data convolved with N(0, sigma^2 I): what a perfect score model at
    noise level sigma samples."""
    rng = random.Random(seed)
    draws = []
    for _ in range(count):
        x, y = rng.choice(points)
        draws.append((x + sigma * rng.gauss(0.0, 1.0), y + sigma * rng.gauss(0.0, 1.0)))
    return draws


def nearest_neighbour_median(points):
    return statistics.median(min(math.dist(p, q) for j, q in enumerate(points) if j != i)
                             for i, p in enumerate(points))


def bounding_box(points, margin):
    lo = min(min(p) for p in points) - margin
    hi = max(max(p) for p in points) + margin
    return "uniform:%.6g:%.6g" % (lo, hi)


# ---- the models -------------------------------------------------------------------------------

def dsm_args(d, level=None):
    """--sigmas (all levels) or --sigma (one level, with that level's noise seed)."""
    if level is None:
        noise = ["--sigmas", ",".join("%r" % s for s in d["sigmas"]), "--noise-seed",
                 d["noise_seed"]]
    else:
        noise = ["--sigma", repr(d["sigmas"][level]), "--noise-seed", d["noise_seed"] + level]
    return (["--data", d["data"], "--columns", "x,y", "--objective", "dsm", "--copies",
             d["copies"], "--activation", ACTIVATION, "--beta", d["beta"]] + noise)


def fit_convex(d, args, work):
    out = os.path.join(work, d["tag"] + "-convex.json")
    extra = [] if args.max_iterations is None else ["--max-iterations", args.max_iterations]
    _, seconds = run(["fit"] + dsm_args(d) + extra + ["--quiet", "--out", out])
    with open(out) as f:
        levels = json.load(f)["noise_levels"]
    return {"path": out, "seconds": seconds, "levels": [{
        "sigma": e["sigma"], "status": e["status"], "objective": e["objective"],
        "network_objective": e["network_objective"], "gap": e["relative_gap"],
        "kkt": e["kkt_residual"], "neurons": e["active_neurons"],
        "patterns": e["patterns"]["count"], "seconds": e["seconds"]} for e in levels]}


def check_same_objective(d, convex, work):
    """`train` started at the convex networks reports their objectives: both commands see the
    same noisy inputs and targets at every level."""
    out = os.path.join(work, d["tag"] + "-check.json")
    run(["train"] + dsm_args(d) + ["--init-model", convex["path"], "--lr", 1e-12, "--epochs", 1,
                                   "--optimizer", OPTIMIZER, "--quiet", "--out", out])
    with open(out) as f:
        levels = json.load(f)["noise_levels"]
    worst = 0.0
    for entry, level in zip(levels, convex["levels"]):
        start = entry["training"]["initial_objective"]
        deviation = abs(start - level["network_objective"]) / max(1.0, abs(start))
        if deviation > SAME_OBJECTIVE_TOLERANCE:
            sys.exit("train and fit disagree at sigma %g: %.12g against %.12g" % (
                level["sigma"], start, level["network_objective"]))
        worst = max(worst, deviation)
    return worst


def train_nonconvex(d, convex, seed, args, work):
    """One network per level, width = the convex model's active neurons there; returns the
    assembled noise-levels file and the per-level results."""
    entries, levels, seconds = [], [], 0.0
    for l, level in enumerate(convex["levels"]):
        out = os.path.join(work, "%s-seed%d-level%d.json" % (d["tag"], seed, l))
        _, took = run(["train"] + dsm_args(d, l) +
                      ["--width", max(1, level["neurons"]), "--init-seed", seed, "--lr", args.lr,
                       "--epochs", args.epochs, "--optimizer", OPTIMIZER, "--history-every",
                       args.epochs, "--quiet", "--out", out])
        seconds += took
        with open(out) as f:
            model = json.load(f)
        model["sigma"] = level["sigma"]
        entries.append(model)
        levels.append({"objective": model["objective"],
                       "best": model["training"]["best_objective"], "seconds": took})
    document = {"format": entries[0]["format"], "version": entries[0]["version"],
                "dimension": 2, "coordinate_names": entries[0]["coordinate_names"],
                "noise_levels": entries}
    path = os.path.join(work, "%s-seed%d-nonconvex.json" % (d["tag"], seed))
    with open(path, "w") as f:
        json.dump(document, f)
    return {"path": path, "seed": seed, "levels": levels, "seconds": seconds}


def sample_and_score(d, model_path, seed, args, work):
    draws = model_path.replace(".json", "-draws-%d.csv" % seed)
    sigma_last = d["sigmas"][-1]
    run(["sample", "--model", model_path, "--annealed", "--particles", args.particles,
         "--steps", args.steps, "--step-size", repr(args.step_factor * sigma_last ** 2),
         "--init", d["init"], "--seed", seed, "--quiet", "--out", draws])
    return dict(score(d, draws, work), draws=draws)


def score(d, draws, work):
    text, _ = run(["metrics", "--samples", draws, "--reference", d["data"], "--columns", "x,y",
                   "--bandwidth", repr(d["bandwidth"]), "--seed", METRIC_SEED])
    metrics = json.loads(text)["metrics"]
    return {"mmd2": metrics["mmd2"]["value"], "sliced_w": metrics["sliced_w"]["value"]}


# ---- one data set ---------------------------------------------------------------------------

def study(d, args, work):
    started = time.perf_counter()
    write_points(d["data"], d["points"])
    d["bandwidth"] = args.bandwidth_factor * nearest_neighbour_median(d["points"])
    convex = fit_convex(d, args, work)
    for level in convex["levels"]:
        print("%s sigma %g: %s, objective %.9g, gap %.2g, %d neurons, %.1f s" % (
            d["tag"], level["sigma"], level["status"], level["objective"], level["gap"],
            level["neurons"], level["seconds"]), flush=True)
    check = check_same_objective(d, convex, work)
    runs = []
    for s in range(1, args.seeds + 1):
        r = train_nonconvex(d, convex, s, args, work)
        r["samples"] = sample_and_score(d, r["path"], SAMPLE_SEED + s - 1, args, work)
        r["convex_samples"] = sample_and_score(d, convex["path"], SAMPLE_SEED + s - 1, args,
                                               work)
        print("%s seed %d: objectives %s; sliced W1 convex %.4g non-convex %.4g" % (
            d["tag"], s, ", ".join("%.6g" % l["objective"] for l in r["levels"]),
            r["convex_samples"]["sliced_w"], r["samples"]["sliced_w"]), flush=True)
        runs.append(r)
    floor_path = os.path.join(work, d["tag"] + "-floor.csv")
    write_points(floor_path, smoothed_draws(d["points"], d["sigmas"][-1], args.particles, 1))
    floor = score(d, floor_path, work)
    return {"data": d, "convex": convex, "check": check, "runs": runs, "floor": floor,
            "seconds": time.perf_counter() - started}


def median_run(result):
    """The non-convex run with the median sliced W1 of its samples."""
    runs = sorted(result["runs"], key=lambda r: r["samples"]["sliced_w"])
    return runs[(len(runs) - 1) // 2]


def figures(result, args, out_dir):
    """The data (one figure per data set), the convex samples and the median non-convex run's
    samples (one each per study)."""
    d = result["data"]
    shown = median_run(result)
    label = "%s, noise seed %d" % (d["name"], d["noise_seed"])
    files = {}
    for which, samples, title, name in (
            ("data", d["data"], "%s data (%d points)" % (d["name"], len(d["points"])),
             figure_name(args, d["name"] + "_data")),
            ("convex", shown["convex_samples"]["draws"],
             "%s: convex DSM, sampling seed %d" % (label, SAMPLE_SEED + shown["seed"] - 1),
             figure_name(args, d["tag"] + "_convex")),
            ("nonconvex", shown["samples"]["draws"],
             "%s: non-convex DSM, init seed %d" % (label, shown["seed"]),
             figure_name(args, d["tag"] + "_nonconvex"))):
        reference = [] if which == "data" else ["--reference", d["data"],
                                                "--reference-columns", "x,y"]
        run(["plot", "scatter", "--samples", samples, "--columns", "x,y"] + reference +
            ["--title", title, "--width", 520, "--height", 520,
             "--out", os.path.join(out_dir, name)])
        files[which] = name
    return files


# ---- the report -------------------------------------------------------------------------------

def spread(values):
    values = sorted(values)
    return "%s (%s to %s)" % (fmt(statistics.median(values)), fmt(values[0]), fmt(values[-1]))


def table_header(columns):
    """A Markdown table's first two lines; the first column and those named "NAME:" are
    left-aligned, the others right-aligned."""
    names = [c.rstrip(":") for c in columns]
    aligns = ["---" if i == 0 or c.endswith(":") else "---:" for i, c in enumerate(columns)]
    return ["| " + " | ".join(names) + " |", "|" + "|".join(aligns) + "|"]


def markdown(args, results, figure_files, elapsed, loads):
    lines = [heading(args), ""]
    lines.append(
        "Annealed-Langevin samples of convex DSM models (`fit --objective dsm`, one exact "
        "per-coordinate ReLU network per noise level, all activation patterns of the noisy "
        "inputs, biases free) against those of non-convex networks of the same width trained "
        "by `train` (one shared hidden layer f: R^2 -> R^2, biases free, full-batch %s, "
        "learning rate %g, %d epochs per level, init seeds 1..%d), on the same noisy inputs "
        "(`--copies K --noise-seed S`, level l drawn with seed S + l by both commands; %s). "
        "**Width:** at each level the non-convex network has as many hidden units as the "
        "convex model has active neurons there, summed over the two output coordinates; a "
        "per-coordinate model is itself a shared-layer network whose second layer is block "
        "diagonal (each unit feeds one coordinate), so the two have the same number of units "
        "and the non-convex family is the larger one (docs/theory.md section 10)." % (
            OPTIMIZER, args.lr, args.epochs, args.seeds,
            ", ".join("S = %s for the %s" % (" and ".join(str(v) for v in seeds), name)
                      for name, seeds in (("circle", args.circle_noise_seeds),
                                          ("spiral", [args.spiral_noise_seed]))
                      if args.only in (None, name))))
    lines.append("")
    command = " ".join(["experiments/dsm_2d.py"] + sys.argv[1:])
    lines += setup_lines(None, elapsed, loads, command, "the whole script with the figures")
    lines.append(
        "- **Sampling:** `sample --annealed --particles %d --steps %d` per level, step size "
        "%g sigma_i^2 at level i (`--step-size` %g sigma_L^2), started uniform on a box 1.5 "
        "(circle) or 1 (spiral) beyond the data's range in each coordinate. Non-convex run s "
        "and the convex model are sampled with the same seed, %d + s - 1, so the convex "
        "column's spread is the Monte Carlo spread of the sampler alone." % (
            args.particles, args.steps, args.step_factor, args.step_factor, SAMPLE_SEED))
    lines.append(
        "- **Metrics** (`metrics --reference DATA --bandwidth H --seed %d`) against the n data "
        "points: MMD^2 (unbiased, RBF kernel with one bandwidth H per data set, %g x the median "
        "nearest-neighbour distance of the data points, so that it resolves the shape; the "
        "median heuristic would pick a scale of the whole set) and sliced W1 (200 directions). "
        "*Floor*: %d direct draws of the data convolved with N(0, sigma_L^2 I), the law a "
        "perfect score model of the last level samples; a value near it is as close as "
        "annealed DSM at sigma_L can get." % (METRIC_SEED, args.bandwidth_factor,
                                               args.particles))
    lines.append(
        "- **Same objective, same numbers:** `train --init-model` started at the convex "
        "networks (one epoch at learning rate 1e-12) reports the rebuilt networks' objectives; "
        "largest relative deviation %.1e (the script stops above %g)." % (
            max(r["check"] for r in results), SAME_OBJECTIVE_TOLERANCE))
    lines.append("")
    lines += table_header(["data", "noise seed", "n", "copies", "beta", "sigma", "patterns",
                           "status:",
                           "rel. gap", "convex J", "network J", "neurons = width",
                           "non-convex J, median (min to max)", "runs below convex J",
                           "fit s", "train s per run"])
    for r in results:
        d = r["data"]
        for l, level in enumerate(r["convex"]["levels"]):
            finals = [run_["levels"][l]["objective"] for run_ in r["runs"]]
            below = sum(j < level["objective"] for j in finals)
            lines.append("| %s | %d | %d | %d | %g | %g | %d | %s | %.1e | %.6f | %.6f | %d | %s | "
                         "%d of %d | %.2f | %.2f |" % (
                             d["name"], d["noise_seed"], len(d["points"]), d["copies"],
                             d["beta"],
                             level["sigma"], level["patterns"], level["status"], level["gap"],
                             level["objective"], level["network_objective"], level["neurons"],
                             spread(finals), below, len(finals), level["seconds"],
                             statistics.median(run_["levels"][l]["seconds"]
                                               for run_ in r["runs"])))
    lines.append("")
    lines += table_header(["data", "noise seed", "sigmas:", "MMD^2 convex", "MMD^2 non-convex",
                           "sliced W1 convex", "sliced W1 non-convex",
                           "seeds where convex is closer (MMD^2, SW1)", "floor MMD^2 / SW1",
                           "bandwidth H", "time"])
    for r in results:
        d = r["data"]
        cells = []
        for metric in ("mmd2", "sliced_w"):
            cells.append(spread(run_["convex_samples"][metric] for run_ in r["runs"]))
            cells.append(spread(run_["samples"][metric] for run_ in r["runs"]))
        wins = ["%d of %d" % (sum(run_["convex_samples"][m] < run_["samples"][m]
                                  for run_ in r["runs"]), len(r["runs"]))
                for m in ("mmd2", "sliced_w")]
        lines.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s / %s | %.3g | %.0f s |" % (
            d["name"], d["noise_seed"], ",".join("%g" % s for s in d["sigmas"]), cells[0],
            cells[1], cells[2],
            cells[3], ", ".join(wins), fmt(r["floor"]["mmd2"]), fmt(r["floor"]["sliced_w"]),
            d["bandwidth"], r["seconds"]))
    lines.append("")
    lines.append("Cells are the median over the seeds (min to max). Figures: the data, the "
                 "convex samples and the samples of the median non-convex run (by sliced W1), "
                 "each with the same sampling seed, over the data points.")
    lines.append("")
    drawn = set()
    for r in results:
        d = r["data"]
        files = figure_files.get(d["tag"], {})
        for which, caption in (("data", "%s data" % d["name"]),
                               ("convex", "%s, noise seed %d, convex DSM samples" % (
                                   d["name"], d["noise_seed"])),
                               ("nonconvex", "%s, noise seed %d, non-convex DSM samples "
                                             "(median run)" % (d["name"], d["noise_seed"]))):
            if which in files and files[which] not in drawn:
                drawn.add(files[which])
                lines.append("![%s](figures/%s)" % (caption, files[which]))
        lines.append("")
    return "\n".join(lines) + "\n"


def datasets(args, work):
    out = []
    if args.only in (None, "circle"):
        points = circle_points(args.circle_n)
        for seed in args.circle_noise_seeds:
            out.append({"name": "circle", "tag": "circle_noise%d" % seed, "points": points,
                        "copies": args.circle_copies, "sigmas": args.circle_sigmas,
                        "beta": args.circle_beta, "noise_seed": seed,
                        "init": bounding_box(points, 1.5)})
    if args.only in (None, "spiral"):
        points = spiral_points(args.spiral_points, args.spiral_stride)
        out.append({"name": "spiral", "tag": "spiral", "points": points,
                    "copies": args.spiral_copies, "sigmas": args.spiral_sigmas,
                    "beta": args.spiral_beta, "noise_seed": args.spiral_noise_seed,
                    "init": bounding_box(points, 1.0)})
    for d in out:
        d["data"] = os.path.join(work, d["tag"] + ".csv")
    return out


def main():
    args = parse_args()
    loads = [uptime()]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dsm-2d-") as work:
        results = [study(d, args, work) for d in datasets(args, work)]
        out_dir = work if args.quick else FIGURES
        figure_files = {r["data"]["tag"]: figures(r, args, out_dir) for r in results}
        loads.append(uptime())
        section = markdown(args, results, figure_files, time.perf_counter() - started, loads)
    if args.quick:
        print(section)
    else:
        write_section(section, heading(args))
        print("wrote the section to docs/results.md and the figures to docs/figures/%s" %
              figure_name(args, "*"))


if __name__ == "__main__":
    main()
