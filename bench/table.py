#!/usr/bin/env python3
"""Markdown tables from the JSON of score_matching_1d_benchmark (Python standard library only).

Usage: table.py RESULTS.json

One row per case: the median over the repetitions when the case was repeated (n <= 1e4), the
single run otherwise. Times are wall-clock (the benchmark uses real time) with the CPU time of
the process beside it; on a loaded machine the two differ. "iterations" is the solver's own
count (SolveSummary::iterations): interior-point iterations, plus the exact active-set solves
of the continuation when a fit needed it. A second table compares the worst time at each target
size with the targets of issue 2.
"""
import json
import sys

TARGETS_MS = {100: 1.0, 10000: 100.0, 1000000: 10000.0}


def parse_name(run_name):
    # Fit/relu/beta:0.1/n:100[/min_time:...][/repeats:5][/iterations:1][/real_time]
    parts = run_name.split("/")
    fields = {"activation": parts[1]}
    for p in parts[2:]:
        if ":" in p:
            key, value = p.split(":", 1)
            fields[key] = value
    return fields


def fmt_time(ms):
    if ms >= 1000.0:
        return f"{ms / 1000.0:.2f} s"
    if ms >= 10.0:
        return f"{ms:.0f} ms"
    return f"{ms:.2f} ms"


def fmt_gap(g):
    return f"{g:.1e}"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: table.py RESULTS.json")
    with open(sys.argv[1]) as f:
        doc = json.load(f)

    rows = {}  # run_name -> (record, repetitions)
    order = []
    for b in doc["benchmarks"]:
        run = b["run_name"]
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") != "median":
                continue
            reps = b.get("repetitions", 1)
        else:
            if run in rows:  # an aggregate or another repetition is already there
                continue
            reps = 1
        if run not in rows:
            order.append(run)
        rows[run] = (b, reps)

    ctx = doc.get("context", {})
    print(f"Run {ctx.get('date', '?')} on {ctx.get('num_cpus', '?')} CPUs at "
          f"{ctx.get('mhz_per_cpu', '?')} MHz; load average at the start "
          f"{', '.join(f'{x:.2f}' for x in ctx.get('load_avg', []))}.")
    print()
    print("| n | activation | beta | time (median) | CPU time | runs | iterations "
          "| relative gap | status | active neurons | peak RSS |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---|---:|---:|")
    worst = {}
    for run in order:
        b, reps = rows[run]
        f = parse_name(run)
        n = int(b["n"])
        real_ms = b["real_time"]
        cpu_ms = b["cpu_time"]
        assert b["time_unit"] == "ms", b["time_unit"]
        beta = f.get("beta", "?")
        if beta == "2beta_min":
            beta_text = f"2 beta_min = {b['beta']:.3g}"
        else:
            beta_text = beta
            if n in TARGETS_MS:
                worst[n] = max(worst.get(n, (0.0, 0.0)), (real_ms, cpu_ms))
        status = "optimal" if b["optimal"] >= 0.5 else "iteration_limit"
        print(f"| {n} | {f['activation']} | {beta_text} | {fmt_time(real_ms)} | "
              f"{fmt_time(cpu_ms)} | {reps} | {b['ipm_iterations']:.0f} | "
              f"{fmt_gap(b['rel_gap'])} | {status} | {b['active_neurons']:.0f} | "
              f"{b['peak_rss_mb']:.0f} MB |")

    print()
    print("| n | target | worst time, beta 0.1 and 0.5 (wall / CPU) | met (wall) | met (CPU) |")
    print("|---:|---:|---:|---|---|")
    for n, target in sorted(TARGETS_MS.items()):
        if n not in worst:
            print(f"| {n} | {fmt_time(target)} | not run | - | - |")
            continue
        real_ms, cpu_ms = worst[n]
        print(f"| {n} | {fmt_time(target)} | {fmt_time(real_ms)} / {fmt_time(cpu_ms)} | "
              f"{'yes' if real_ms <= target else 'no'} | {'yes' if cpu_ms <= target else 'no'} |")


if __name__ == "__main__":
    main()
