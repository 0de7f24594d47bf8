// The cone-constrained group lasso over exact 2-D activation patterns (issues 6 and 7): wall
// time of SolveConeGroupLasso for
//   - score matching, architecture (a), coordinate 0 (g != 0, y = 0), ReLU, beta = 0.5, on
//     standard normal points from a fixed seed: n = 50, 100, 200 (n(n-1)+2 patterns);
//   - DSM (g = 0, y = targets), ReLU, beta = 0.01, one output coordinate, on a spiral of N / 5
//     points with 5 noisy copies each (sigma = 0.1, targets -z / sigma): N = 100, 200, 400;
//   - the issue-7 spiral study's whole fit (BM_SpiralFiveLevels, below).
// Pattern enumeration is outside the timed loop (reported as a counter). Counters: patterns,
// the enumeration seconds, the relative duality gap, status (1 = optimal), rounds, working set.
// Usage: cone_group_lasso_benchmark [Google Benchmark flags]
#include <chrono>
#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "convexscore/arrangements/patterns.h"
#include "convexscore/data/distribution_spec.h"
#include "convexscore/data/generators.h"
#include "convexscore/programs/denoising_score_matching_nd.h"
#include "convexscore/data/portable_random.h"
#include "convexscore/programs/score_matching_nd.h"
#include "convexscore/solvers/cone_group_lasso.h"

namespace {

using convexscore::ConeGroupLassoProblem;
using convexscore::ConeGroupLassoSolution;
using convexscore::PatternSet;

// The timed solves, then the counters of the last one.
void SolveAndReport(benchmark::State& state, const ConeGroupLassoProblem& problem,
                    double enumeration_seconds) {
  const PatternSet& patterns = *problem.patterns;
  ConeGroupLassoSolution solution;
  for (auto _ : state) {
    solution = convexscore::SolveConeGroupLasso(problem, {});
    benchmark::DoNotOptimize(solution.summary.objective);
  }
  state.counters["patterns"] = patterns.size();
  state.counters["enum_s"] = enumeration_seconds;
  state.counters["rel_gap"] = solution.summary.relative_gap;
  state.counters["optimal"] = solution.summary.status == convexscore::SolveStatus::kOptimal;
  state.counters["rounds"] = solution.rounds;
  state.counters["working_set"] = solution.working_set;
}

template <typename F>
std::pair<PatternSet, double> TimedPatterns(F&& make) {
  const auto start = std::chrono::steady_clock::now();
  PatternSet patterns = make();
  return {std::move(patterns),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
}

void BM_ScoreMatching2DExact(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::mt19937_64 engine(2026);
  Eigen::MatrixXd x(n, 2);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < 2; ++c) x(i, c) = convexscore::StandardNormal(engine);
  const auto [patterns, seconds] = TimedPatterns([&] { return convexscore::EnumeratePatterns(x); });
  const ConeGroupLassoProblem problem = convexscore::ScoreMatchingNDProblem(
      x, patterns, convexscore::Activation::kRelu, 0, 0.5);
  SolveAndReport(state, problem, seconds);
}
BENCHMARK(BM_ScoreMatching2DExact)->Arg(50)->Arg(100)->Arg(200)->Unit(benchmark::kSecond)
    ->Iterations(1)->UseRealTime();

void BM_DenoisingSpiral2DExact(benchmark::State& state) {
  const int copies = 5, points = static_cast<int>(state.range(0)) / copies;
  const double sigma = 0.1;
  std::mt19937_64 engine(2026);
  const int n = points * copies;
  Eigen::MatrixXd x(n, 2);
  Eigen::VectorXd target(n);
  for (int i = 0; i < points; ++i) {
    const double angle = 3.0 * std::numbers::pi * (i + 0.5) / points;
    const double radius = 0.2 + angle / (3.0 * std::numbers::pi);
    for (int c = 0; c < copies; ++c) {
      const double z0 = convexscore::StandardNormal(engine), z1 = convexscore::StandardNormal(engine);
      x(i * copies + c, 0) = radius * std::cos(angle) + sigma * z0;
      x(i * copies + c, 1) = radius * std::sin(angle) + sigma * z1;
      target[i * copies + c] = -z0 / sigma;
    }
  }
  const auto [patterns, seconds] = TimedPatterns([&] { return convexscore::EnumeratePatterns(x); });
  ConeGroupLassoProblem problem;
  problem.x = x;
  problem.patterns = &patterns;
  problem.target = target;
  problem.beta = 0.01;
  SolveAndReport(state, problem, seconds);
}
BENCHMARK(BM_DenoisingSpiral2DExact)->Arg(100)->Arg(200)->Arg(400)->Unit(benchmark::kSecond)
    ->Iterations(1)->UseRealTime();

// The issue-7 spiral study's fit (theory.md section 7): the paper's spiral of N points
// (generator spiral:N, seed 1), five noisy copies, sigmas 0.5, 0.1, 0.05, 0.03, 0.01, ReLU,
// beta = 0.1, both output coordinates, exact patterns: FitDenoisingLevelsND as `convexscore fit
// --objective dsm` runs it. Counters: per-level solve seconds (s_<level>), certified levels,
// the worst relative gap.
void BM_SpiralFiveLevels(benchmark::State& state) {
  const int points = static_cast<int>(state.range(0));
  const Eigen::MatrixXd x = convexscore::GenerateFromSpec(
      convexscore::ParseDistributionSpec("spiral:" + std::to_string(points)), points, 1);
  const std::vector<double> sigmas = {0.5, 0.1, 0.05, 0.03, 0.01};
  convexscore::DenoisingScoreMatchingNDOptions options;
  options.beta = 0.1;
  std::vector<convexscore::DenoisingLevelND> levels;
  for (auto _ : state) {
    levels = convexscore::FitDenoisingLevelsND(x, sigmas, 5, 1, options);
    benchmark::DoNotOptimize(levels.size());
  }
  int certified = 0;
  double worst_gap = 0.0;
  for (std::size_t l = 0; l < levels.size(); ++l) {
    const convexscore::SolveSummary& summary = levels[l].result.summary;
    certified += summary.status == convexscore::SolveStatus::kOptimal;
    worst_gap = std::max(worst_gap, std::abs(summary.relative_gap));
    state.counters["s_" + std::to_string(l)] = summary.seconds;
  }
  state.counters["certified"] = certified;
  state.counters["worst_rel_gap"] = worst_gap;
}
BENCHMARK(BM_SpiralFiveLevels)->Arg(10)->Arg(20)->Arg(40)->Unit(benchmark::kSecond)
    ->Iterations(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
