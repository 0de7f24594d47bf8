// Fit time of univariate convex denoising score matching (issue 7, item 1).
//
// Cases: Gaussian-mixture data (Generate1D("mixture", n, seed 1)), 5 noisy copies per point
// (N = 5 n noisy inputs), sigma = 0.5 and 0.1, ReLU and absolute value, no skip term, beta = 0.1
// (mean form). N = 1e2, 1e3, 1e4 and 1e5. The timed region is FitDenoisingScoreMatching1D on
// prepared noisy data: sorting, the Lasso solve, the certificate and the reconstruction.
//
// Counters of the last fit: iterations (working-set rounds), rel_gap, kkt_residual,
// active_neurons, optimal (1 if the status is optimal), beta_over_beta_max, and peak_rss_mb
// (getrusage ru_maxrss after the case; the cases run in increasing N, so it bounds the case).
//
// Usage: denoising_score_matching_1d_benchmark [--max_n=N] [Google Benchmark flags]
//   --max_n=N skips the cases with N > N (noisy inputs).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "convexscore/common.h"
#include "convexscore/data/denoising_data.h"
#include "convexscore/data/generators.h"
#include "convexscore/programs/denoising_score_matching_1d.h"

namespace {

using convexscore::Activation;

constexpr int kCopies = 5;

double PeakRssMegabytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

void FitBenchmark(benchmark::State& state, int noisy_inputs, double sigma,
                  Activation activation) {
  const std::vector<double> x =
      convexscore::Generate1D("mixture", noisy_inputs / kCopies, /*seed=*/1);
  const convexscore::DenoisingData1D data =
      convexscore::MakeDenoisingData1D(x, sigma, kCopies, /*seed=*/1);
  const convexscore::DenoisingScoreMatching1DOptions options{.activation = activation,
                                                             .beta = 0.1};
  convexscore::DenoisingScoreMatching1DResult result;
  for (auto _ : state) {
    result = convexscore::FitDenoisingScoreMatching1D(data, options);
    benchmark::DoNotOptimize(result.summary.objective);
  }
  state.counters["iterations"] = result.summary.iterations;
  state.counters["rel_gap"] = result.summary.relative_gap;
  state.counters["kkt_residual"] = result.summary.kkt_residual;
  state.counters["active_neurons"] = result.active_neurons;
  state.counters["optimal"] = result.summary.status == convexscore::SolveStatus::kOptimal;
  state.counters["beta_over_beta_max"] = options.beta / result.beta_max;
  state.counters["peak_rss_mb"] = PeakRssMegabytes();
}

}  // namespace

int main(int argc, char** argv) {
  long max_n = 100000;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--max_n=", 8) == 0) {
      max_n = std::atol(argv[i] + 8);
    } else {
      rest.push_back(argv[i]);
    }
  }
  for (int n : {100, 1000, 10000, 100000}) {
    if (n > max_n) continue;
    for (double sigma : {0.5, 0.1}) {
      for (Activation activation : {Activation::kRelu, Activation::kAbs}) {
        const std::string name = "DSM1D/" + std::string(convexscore::ActivationName(activation)) +
                                 "/sigma:" + (sigma == 0.5 ? "0.5" : "0.1") +
                                 "/N:" + std::to_string(n);
        benchmark::RegisterBenchmark(name.c_str(), FitBenchmark, n, sigma, activation)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime()
            ->Repetitions(n <= 10000 ? 3 : 1)
            ->Iterations(n <= 1000 ? 10 : 1)
            ->ReportAggregatesOnly(n <= 10000);
      }
    }
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
