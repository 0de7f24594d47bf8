#!/usr/bin/env bash
# Builds the benchmark (Release, in build-bench/) and runs it, writing the Google Benchmark JSON
# to build-bench/score_matching_1d_benchmark.json, then prints the Markdown tables of
# docs/benchmarks.md (bench/table.py).
#
# Usage: bench/run_benchmarks.sh [--max_n=N] [other Google Benchmark flags]
#   --max_n=10000 skips n = 1e5 and 1e6 (a run of about a minute).
# The repetitions are fixed in the benchmark itself: 5 (median reported) for n <= 1e4, a single
# fit for n >= 1e5. The whole run takes a few minutes on one core.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${root}/build-bench"
out="${build}/score_matching_1d_benchmark.json"

cmake -S "${root}" -B "${build}" -DCMAKE_BUILD_TYPE=Release \
  -DCONVEXSCORE_BUILD_TESTS=OFF -DCONVEXSCORE_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "${build}" --target score_matching_1d_benchmark -j "$(nproc)" >/dev/null

# The library is single-threaded (no OpenMP, Eigen without threads): the times are one core's.
"${build}/score_matching_1d_benchmark" \
  --benchmark_out="${out}" --benchmark_out_format=json "$@" >&2

python3 "${root}/bench/table.py" "${out}"
