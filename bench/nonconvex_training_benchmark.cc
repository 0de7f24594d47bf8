// Non-convex training cost (issue 4, item 5), n = 1000 mixture points (Generate1D("mixture",
// 1000, 1)), width m = 100, ReLU, no skip, beta = 0.1:
//
// - ObjectiveAndGradient/{sm,dsm}: one evaluation of the objective with its exact gradient on
//   all points, the work of one full-batch epoch (DSM: one noisy copy per point, sigma 0.3).
// - TrainEpochs/batch: TrainScoreMatching1D for 50 epochs of Adam, full batch (batch 0 in the
//   name) or minibatches of 100; the counter epochs_per_second gives the per-epoch time,
//   including the optimiser step and, for minibatches, the full objective after each epoch.
// - TimeToOptimum: convex FitScoreMatching1D against full-batch Adam (lr 0.01) with a budget of
//   5000 epochs: the epoch at which training first came within 1e-3 relative of the convex
//   optimum (0 if never), the estimated time to get there (loop time x epoch / 5000), and the
//   best relative excess reached. One iteration each.
//
// Usage: nonconvex_training_benchmark [Google Benchmark flags]
#include <algorithm>
#include <cmath>
#include <vector>

#include <benchmark/benchmark.h>

#include "convexscore/data/denoising_data.h"
#include "convexscore/data/generators.h"
#include "convexscore/data/sample1d.h"
#include "convexscore/programs/score_matching_1d.h"
#include "convexscore/training/nonconvex_training_1d.h"

namespace {

using namespace convexscore;

constexpr int kPoints = 1000;
constexpr int kWidth = 100;
constexpr double kBeta = 0.1;

const std::vector<double>& Data() {
  static const std::vector<double> x = Generate1D("mixture", kPoints, 1);
  return x;
}

void ObjectiveAndGradient(benchmark::State& state) {
  const bool denoising = state.range(0) == 1;
  const Network1D network = InitialNetwork1D(Activation::kRelu, kWidth, 1);
  const DenoisingData1D noisy = MakeDenoisingData1D(Data(), 0.3, 1, 1);
  Eigen::VectorXd gradient;
  for (auto _ : state) {
    const double value =
        denoising ? DenoisingObjectiveAndGradient(network, false, noisy.inputs, noisy.targets,
                                                  kBeta, gradient)
                  : ScoreMatchingObjectiveAndGradient(network, false, Data(), kBeta, gradient);
    benchmark::DoNotOptimize(value);
    benchmark::DoNotOptimize(gradient.data());
  }
  state.SetLabel(denoising ? "dsm" : "sm");
  state.counters["point_units_per_second"] =
      benchmark::Counter(static_cast<double>(kPoints) * kWidth, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(ObjectiveAndGradient)->ArgName("dsm")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void TrainEpochs(benchmark::State& state) {
  NonconvexTraining1DOptions options;
  options.width = kWidth;
  options.beta = kBeta;
  options.epochs = 50;
  if (state.range(0) > 0) options.batch = static_cast<int>(state.range(0));
  for (auto _ : state) {
    const TrainingResult1D result = TrainScoreMatching1D(Data(), options);
    benchmark::DoNotOptimize(result.summary.final_objective);
  }
  state.counters["epochs_per_second"] =
      benchmark::Counter(options.epochs, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(TrainEpochs)->ArgName("batch")->Arg(0)->Arg(100)->Unit(benchmark::kMillisecond);

void TimeToOptimum(benchmark::State& state) {
  const Sample1D sample = MakeSample1D(Data());
  ScoreMatching1DOptions fit_options;
  fit_options.beta = kBeta;
  NonconvexTraining1DOptions options;
  options.width = kWidth;
  options.beta = kBeta;
  options.epochs = 5000;
  for (auto _ : state) {
    const ScoreMatching1DResult fit = FitScoreMatching1D(sample, fit_options);
    const TrainingResult1D trained = TrainScoreMatching1D(Data(), options);
    const double optimum = fit.summary.objective;
    const double scale = std::max(1.0, std::abs(optimum));
    int reached = 0;
    for (const auto& [epoch, objective] : trained.summary.history) {
      if (objective - optimum <= 1e-3 * scale) {
        reached = epoch;
        break;
      }
    }
    state.counters["fit_seconds"] = fit.summary.seconds;
    state.counters["train_seconds"] = trained.summary.seconds;
    state.counters["epoch_within_1e-3"] = reached;
    state.counters["seconds_to_1e-3"] =
        reached == 0 ? 0.0 : trained.summary.seconds * reached / options.epochs;
    state.counters["best_relative_excess"] = (trained.summary.best_objective - optimum) / scale;
  }
}
BENCHMARK(TimeToOptimum)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
