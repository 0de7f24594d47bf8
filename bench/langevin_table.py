#!/usr/bin/env python3
"""Markdown table from the JSON of langevin_benchmark (Python standard library only).

Usage: langevin_table.py RESULTS.json [RESULTS.json ...]

Run the benchmark with repetitions and keep every repetition, e.g.
  langevin_benchmark --benchmark_repetitions=15 --benchmark_out=r.json --benchmark_out_format=json
One row per case: the median particle-steps per second over the repetitions in which the
process kept its threads busy (cpu_use >= 0.9 x threads). On a shared machine other work can
take a core for a while; those repetitions measure the machine, not the sampler, and are
counted in the "dropped" column instead. The speed-up column divides the 2-thread median by
the 1-thread median of the same model. "per CPU-second" is the median over all repetitions
(kept or not) of particle-steps per second of process CPU time (items_per_second / cpu_use):
the sampler's own cost, which a busy machine slows much less than the wall-clock rate; it
cannot show a speed-up, only the overhead of more threads. The model is identified by its dimension (the
`dimension` counter; 1 when absent, as in runs before the 2-D cases existed) and its neurons.
"""
import json
import statistics
import sys


def main(paths):
    runs = {}
    for path in paths:
        with open(path) as f:
            for run in json.load(f)["benchmarks"]:
                if run.get("run_type") != "iteration":
                    continue
                fields = dict(p.split(":", 1) for p in run["run_name"].split("/")[1:] if ":" in p)
                key = (int(run.get("dimension", 1)), int(fields["neurons"]),
                       int(fields["threads"]))
                runs.setdefault(key, []).append(run)
    medians = {}
    print("| dimension | neurons | threads | particle-steps/s | per thread | speed-up "
          "| per CPU-second | kept | dropped |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (dimension, neurons, threads), group in sorted(runs.items()):
        per_cpu = statistics.median(r["items_per_second"] / r["cpu_use"] for r in group)
        kept = [r for r in group if r["cpu_use"] >= 0.9 * threads]
        if not kept:
            print(f"| {dimension} | {neurons} | {threads} | - | - | - | {per_cpu:.3g} | 0 "
                  f"| {len(group)} |")
            continue
        rate = statistics.median(r["items_per_second"] for r in kept)
        medians[(dimension, neurons, threads)] = rate
        base = medians.get((dimension, neurons, 1))
        speedup = f"{rate / base:.2f}x" if threads > 1 and base else ""
        print(f"| {dimension} | {neurons} | {threads} | {rate:.3g} | {rate / threads:.3g} | "
              f"{speedup} | {per_cpu:.3g} | {len(kept)} | {len(group) - len(kept)} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
