// Multivariate score matching, architecture (a) (issue 6, item 8): FitScoreMatchingND on
// standard normal data from a fixed seed, ReLU, beta = 0.5:
//   BM_ScoreMatchingND2D/n      d = 2, exact patterns (n(n-1)+2), n = 9, 50, 200;
//   BM_ScoreMatchingNDSampled   d = 5, n = 1000, patterns of 1000 sampled directions (seed 1).
// Counters: patterns, the summed relative duality gap, the worst KKT measure, status (1 =
// optimal), proximal-gradient steps, cpu_s (the fit's process CPU time) and peak_rss_mb
// (getrusage ru_maxrss after the case: the cases run in the order above, so it bounds the case;
// run one case per process with --benchmark_filter for a per-case figure).
// Usage: score_matching_nd_benchmark [Google Benchmark flags]
#include <sys/resource.h>

#include <ctime>
#include <random>

#include <benchmark/benchmark.h>

#include "convexscore/data/portable_random.h"
#include "convexscore/programs/score_matching_nd.h"

namespace {

Eigen::MatrixXd GaussianPoints(int n, int d) {
  std::mt19937_64 engine(2026);
  Eigen::MatrixXd x(n, d);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < d; ++c) x(i, c) = convexscore::StandardNormal(engine);
  return x;
}

double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

void Fit(benchmark::State& state, const Eigen::MatrixXd& x,
         const convexscore::ScoreMatchingNDOptions& options) {
  convexscore::ScoreMatchingNDResult result;
  double cpu = 0.0;
  for (auto _ : state) {
    const std::clock_t start = std::clock();
    result = convexscore::FitScoreMatchingND(x, options);
    cpu += static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
    benchmark::DoNotOptimize(result.summary.objective);
  }
  state.counters["patterns"] = result.patterns;
  state.counters["rel_gap"] = result.summary.relative_gap;
  state.counters["kkt"] = result.summary.kkt_residual;
  state.counters["optimal"] = result.summary.status == convexscore::SolveStatus::kOptimal;
  state.counters["steps"] = result.summary.iterations;
  state.counters["cpu_s"] = cpu / static_cast<double>(state.iterations());
  state.counters["peak_rss_mb"] = PeakRssMb();
}

void BM_ScoreMatchingND2D(benchmark::State& state) {
  convexscore::ScoreMatchingNDOptions options;
  options.activation = convexscore::Activation::kRelu;
  options.beta = 0.5;
  Fit(state, GaussianPoints(static_cast<int>(state.range(0)), 2), options);
}
BENCHMARK(BM_ScoreMatchingND2D)->Arg(9)->Arg(50)->Arg(200)->Unit(benchmark::kSecond)
    ->Iterations(1)->UseRealTime();

void BM_ScoreMatchingNDSampled(benchmark::State& state) {
  convexscore::ScoreMatchingNDOptions options;
  options.activation = convexscore::Activation::kRelu;
  options.beta = 0.5;
  options.sample_patterns = true;
  options.sampled_directions = 1000;
  options.seed = 1;
  Fit(state, GaussianPoints(1000, 5), options);
}
BENCHMARK(BM_ScoreMatchingNDSampled)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
