// Multivariate score matching, architecture (a) (issue 6, item 8): wall time of
// FitScoreMatchingND in 2-D with exact patterns (n(n-1)+2 of them), ReLU, beta = 0.5, on
// standard normal data from a fixed seed (n = 9, 50, 200), and on the reference set mix2d_n9.
// Counters: patterns, the summed relative duality gap, the worst KKT measure, status (1 =
// optimal), proximal-gradient steps.
// Usage: score_matching_nd_benchmark [Google Benchmark flags]
#include <random>

#include <benchmark/benchmark.h>

#include "convexscore/data/portable_random.h"
#include "convexscore/programs/score_matching_nd.h"

namespace {

Eigen::MatrixXd GaussianPoints(int n) {
  std::mt19937_64 engine(2026);
  Eigen::MatrixXd x(n, 2);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < 2; ++c) x(i, c) = convexscore::StandardNormal(engine);
  return x;
}

void BM_ScoreMatchingND2D(benchmark::State& state) {
  const Eigen::MatrixXd x = GaussianPoints(static_cast<int>(state.range(0)));
  convexscore::ScoreMatchingNDOptions options;
  options.activation = convexscore::Activation::kRelu;
  options.beta = 0.5;
  convexscore::ScoreMatchingNDResult result;
  for (auto _ : state) {
    result = convexscore::FitScoreMatchingND(x, options);
    benchmark::DoNotOptimize(result.summary.objective);
  }
  state.counters["patterns"] = result.patterns;
  state.counters["rel_gap"] = result.summary.relative_gap;
  state.counters["kkt"] = result.summary.kkt_residual;
  state.counters["optimal"] = result.summary.status == convexscore::SolveStatus::kOptimal;
  state.counters["steps"] = result.summary.iterations;
}
BENCHMARK(BM_ScoreMatchingND2D)->Arg(9)->Arg(50)->Arg(200)->Unit(benchmark::kSecond)
    ->Iterations(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
