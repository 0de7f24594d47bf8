// Fit time of univariate convex score matching (issue 2, item 9).
//
// Cases: Gaussian-mixture data (Generate1D("mixture", n, seed 1)), ReLU and absolute value, no
// skip term,
//   - beta = 0.1 and 0.5 for n = 1e2 .. 1e6;
//   - the hard regime beta = 2 beta_min for n = 1e2 .. 1e4 (beta_min = 1/n for distinct data).
// The timed region is FitScoreMatching1D on a prepared Sample1D (sorting and counting the data,
// MakeSample1D, is done once outside it). Small n are repeated 5 times (the JSON holds mean,
// median, stddev and cv); n >= 1e5 run a single fit.
//
// Counters of the last fit: ipm_iterations (SolveSummary::iterations: the interior-point
// iterations, plus the exact active-set solves of the continuation towards beta_min when a fit
// needs it), rel_gap (relative duality gap of the returned certificate), kkt_residual,
// active_neurons, optimal (1 if the status is optimal), polished, beta, and peak_rss_mb: getrusage(RUSAGE_SELF).ru_maxrss after the case. ru_maxrss is the
// process's peak so far, so the cases are registered in increasing n (and the data of a case
// is made inside it and freed after): the figure of a case then bounds the memory its own fit
// needed, plus the benchmark framework's own few MB.
//
// Usage: score_matching_1d_benchmark [--max_n=N] [Google Benchmark flags]
//   --max_n=N skips the cases with n > N (a quick run).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "convexscore/common.h"
#include "convexscore/data/generators.h"
#include "convexscore/data/sample1d.h"
#include "convexscore/programs/score_matching_1d.h"

namespace {

using convexscore::Activation;

enum class BetaRule { kFixed, kTwiceBetaMin };

struct Case {
  int n = 0;
  Activation activation = Activation::kRelu;
  BetaRule rule = BetaRule::kFixed;
  double beta = 0.0;  // for kFixed
};

double PeakRssMegabytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

void FitBenchmark(benchmark::State& state, Case c) {
  const std::vector<double> x = convexscore::Generate1D("mixture", c.n, /*seed=*/1);
  const convexscore::Sample1D data = convexscore::MakeSample1D(x);
  convexscore::ScoreMatching1DOptions options;
  options.activation = c.activation;
  options.skip = false;
  const convexscore::Thresholds1D thresholds =
      convexscore::ScoreMatching1DThresholds(data, c.activation, false);
  options.beta = c.rule == BetaRule::kFixed ? c.beta : 2.0 * thresholds.beta_min;

  convexscore::ScoreMatching1DResult result;
  for (auto _ : state) {
    result = convexscore::FitScoreMatching1D(data, options);
    benchmark::DoNotOptimize(result.summary.objective);
  }
  const convexscore::SolveSummary& s = result.summary;
  state.counters["n"] = c.n;
  state.counters["distinct"] = data.distinct();
  state.counters["beta"] = options.beta;
  state.counters["beta_min"] = thresholds.beta_min;
  state.counters["ipm_iterations"] = s.iterations;
  state.counters["rel_gap"] = s.relative_gap;
  state.counters["kkt_residual"] = s.kkt_residual;
  state.counters["active_neurons"] = result.active_neurons;
  state.counters["optimal"] = s.status == convexscore::SolveStatus::kOptimal ? 1.0 : 0.0;
  state.counters["polished"] = s.polished ? 1.0 : 0.0;
  state.counters["peak_rss_mb"] = PeakRssMegabytes();
  if (s.status != convexscore::SolveStatus::kOptimal) state.SetLabel(s.message);
}

std::string CaseName(const Case& c) {
  std::string name = "Fit/";
  name += c.activation == Activation::kRelu ? "relu" : "abs";
  if (c.rule == BetaRule::kTwiceBetaMin) {
    name += "/beta:2beta_min";
  } else {
    name += "/beta:" + std::string(c.beta == 0.1 ? "0.1" : c.beta == 0.5 ? "0.5" : "?");
  }
  name += "/n:" + std::to_string(c.n);
  return name;
}

void RegisterCases(long max_n) {
  std::vector<Case> cases;
  for (int n : {100, 1000, 10000, 100000, 1000000}) {
    if (n > max_n) continue;
    for (Activation a : {Activation::kRelu, Activation::kAbs}) {
      for (double beta : {0.1, 0.5}) cases.push_back({n, a, BetaRule::kFixed, beta});
      if (n <= 10000) cases.push_back({n, a, BetaRule::kTwiceBetaMin, 0.0});
    }
  }
  for (const Case& c : cases) {  // already in increasing n, which peak_rss_mb relies on
    auto* b = benchmark::RegisterBenchmark(CaseName(c).c_str(), FitBenchmark, c);
    b->Unit(benchmark::kMillisecond)->UseRealTime();
    if (c.n <= 10000) {
      b->Repetitions(5)->ReportAggregatesOnly(true)->MinTime(0.2);
    } else {
      b->Repetitions(1)->Iterations(1);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  long max_n = 1000000;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--max_n=", 8) == 0) {
      max_n = std::strtol(argv[i] + 8, nullptr, 10);
    } else {
      args.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(args.size());
  RegisterCases(max_n);
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
