// The certificate of theory brief section 6: the convex optimum of FitScoreMatching1D is a lower
// bound for every non-convex training run (any seed, any width, any optimiser), and the network
// reconstructed from it is a point that training cannot improve.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "convexscore/data/generators.h"
#include "convexscore/data/sample1d.h"
#include "convexscore/programs/score_matching_1d.h"
#include "convexscore/training/nonconvex_training_1d.h"

namespace convexscore {
namespace {

struct DataCase {
  const char* kind;
  int n;
  std::uint64_t seed;
};

struct ModelCase {
  Activation activation;
  bool skip;
};

const DataCase kData[] = {{"gaussian", 20, 1}, {"mixture", 40, 2}, {"laplace", 60, 3}};
const ModelCase kModels[] = {{Activation::kRelu, false}, {Activation::kAbs, false},
                             {Activation::kRelu, true}, {Activation::kAbs, true}};
// Multiples of beta_min and absolute values, all kept in [beta_min, beta_max) below.
const double kBetaOverBetaMin[] = {3.0};
const double kBetas[] = {0.1, 0.4};

std::string Describe(const DataCase& data, const ModelCase& model, double beta) {
  return std::string(data.kind) + " n=" + std::to_string(data.n) + " " +
         std::string(ActivationName(model.activation)) + (model.skip ? "+skip" : "") +
         " beta=" + std::to_string(beta);
}

NonconvexTraining1DOptions TrainingOptions(const ModelCase& model, double beta) {
  NonconvexTraining1DOptions options;
  options.activation = model.activation;
  options.skip = model.skip;
  options.beta = beta;
  return options;
}

template <typename Body>
void ForEachCase(Body body) {
  for (const DataCase& data : kData) {
    const std::vector<double> x = Generate1D(data.kind, data.n, data.seed);
    const Sample1D sample = MakeSample1D(x);
    for (const ModelCase& model : kModels) {
      const Thresholds1D thresholds =
          ScoreMatching1DThresholds(sample, model.activation, model.skip);
      std::vector<double> betas;
      for (double factor : kBetaOverBetaMin) betas.push_back(factor * thresholds.beta_min);
      for (double beta : kBetas) betas.push_back(beta);
      for (double beta : betas) {
        if (beta >= thresholds.beta_max) continue;  // only the zero network: nothing to learn
        ScoreMatching1DOptions options;
        options.activation = model.activation;
        options.skip = model.skip;
        options.beta = beta;
        const ScoreMatching1DResult fit = FitScoreMatching1D(sample, options);
        SCOPED_TRACE(Describe(data, model, beta));
        ASSERT_EQ(fit.summary.status, SolveStatus::kOptimal);
        body(x, model, beta, fit);
      }
    }
  }
}

TEST(GlobalOptimalityTest, NoTrainingRunEndsBelowTheConvexOptimum) {
  int runs = 0;
  double closest = std::numeric_limits<double>::infinity();  // smallest relative excess seen
  ForEachCase([&](const std::vector<double>& x, const ModelCase& model, double beta,
                  const ScoreMatching1DResult& fit) {
    const double optimum = fit.summary.objective;
    const double floor = optimum - 1e-9 * std::max(1.0, std::abs(optimum));
    for (const int width : {2, 8, 32}) {
      for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        NonconvexTraining1DOptions options = TrainingOptions(model, beta);
        options.width = width;
        options.init_seed = seed;
        options.epochs = 300;
        // Mostly full-batch Adam; every fifth seed plain GD, every seventh minibatch Adam.
        options.optimizer = seed % 5 == 0 ? Optimizer::kGradientDescent : Optimizer::kAdam;
        options.learning_rate = seed % 5 == 0 ? 0.02 : 0.03;
        if (seed % 7 == 0) options.batch = 8;
        const TrainingSummary1D summary = TrainScoreMatching1D(x, options).summary;
        ++runs;
        // The best objective of any epoch, not only the last, must respect the bound.
        EXPECT_GE(summary.best_objective, floor)
            << "width " << width << ", seed " << seed << ": a run went below the optimum "
            << optimum;
        EXPECT_GE(summary.final_objective, summary.best_objective);
        closest = std::min(closest, (summary.best_objective - optimum) /
                                        std::max(1.0, std::abs(optimum)));
      }
    }
  });
  EXPECT_GE(runs, 20 * 3 * 3 * 4);  // at least one beta below beta_max per model
  // The bound is approached, not just respected far away: some run gets within 10% of it
  // (a test whose runs all stayed far above the optimum would show nothing).
  EXPECT_LT(closest, 0.1);
  std::printf("[ info ] %d runs; the closest ended %.3g (relative) above the convex optimum\n",
              runs, closest);
}

// Started at the network rebuilt from the convex solution, small steps of either optimiser do
// not lower the objective. The rebuilt network has kinks exactly on data points (the closed
// columns, z = w x + b = 0 exactly there) and just beside them (the shifted columns). At z = 0
// the code's gradient is the one-sided derivative towards z > 0 (relu'(0) = 1, abs'(0) = +1:
// the point stays on the active side). A step either keeps that side, where the one-sided
// derivative at an optimum is not a descent direction, or crosses the point, which swaps the
// column for its partner and costs k/n |a w| (complementary slackness chose the cheaper side).
TEST(GlobalOptimalityTest, TrainingFromTheConvexOptimumDoesNotLowerTheObjective) {
  int starts = 0;
  ForEachCase([&](const std::vector<double>& x, const ModelCase& model, double beta,
                  const ScoreMatching1DResult& fit) {
    if (fit.network.neurons.empty()) return;
    const double start_objective = ScoreMatchingObjective(fit.network, x, beta);
    const double scale = std::max(1.0, std::abs(start_objective));
    ASSERT_NEAR(start_objective, fit.summary.objective, 1e-10 * scale);
    for (const Optimizer optimizer : {Optimizer::kGradientDescent, Optimizer::kAdam}) {
      for (const double learning_rate : {1e-8, 1e-5}) {
        NonconvexTraining1DOptions options = TrainingOptions(model, beta);
        options.optimizer = optimizer;
        options.learning_rate = learning_rate;
        options.epochs = 3;
        const TrainingSummary1D summary = TrainScoreMatching1D(x, options, fit.network).summary;
        ++starts;
        EXPECT_NEAR(summary.initial_objective, start_objective, 1e-14 * scale);
        for (const auto& [epoch, objective] : summary.history) {
          EXPECT_GE(objective, start_objective - 1e-12 * scale)
              << OptimizerName(optimizer) << ", lr " << learning_rate << ", epoch " << epoch;
        }
      }
    }
  });
  EXPECT_GE(starts, 3 * 4 * 4);
}

}  // namespace
}  // namespace convexscore
