// Tests of non-convex training: the hand-derived gradients against central finite differences,
// the objective values against model/network1d.h, the optimiser steps against their formulas,
// the seeded initialisation, and the errors for bad input and diverging runs.
#include "convexscore/training/nonconvex_training_1d.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "convexscore/data/denoising_data.h"
#include "convexscore/data/generators.h"
#include "testutil/error_of.h"

namespace convexscore {
namespace {

using ::testing::HasSubstr;
using testutil::ErrorOf;

Network1D RandomNetwork(Activation activation, int width, bool skip, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<double> normal;
  Network1D network;
  network.activation = activation;
  network.neurons.resize(static_cast<std::size_t>(width));
  for (Neuron1D& u : network.neurons) u = {normal(engine), normal(engine), normal(engine)};
  network.output_bias = normal(engine);
  network.skip = skip ? normal(engine) : 0.0;
  return network;
}

// Smallest |w x + b| over units and points: central differences with step h see a smooth
// function only when no unit's z changes sign between theta - h and theta + h.
double KinkMargin(const Network1D& network, const std::vector<double>& x) {
  double margin = std::numeric_limits<double>::infinity();
  for (const Neuron1D& u : network.neurons) {
    for (double xi : x) margin = std::min(margin, std::abs(u.w * xi + u.b));
  }
  return margin;
}

struct GradientCase {
  Activation activation;
  bool skip;
  bool denoising;
};

class GradientTest : public ::testing::TestWithParam<GradientCase> {};

TEST_P(GradientTest, MatchesCentralFiniteDifferencesAwayFromKinks) {
  const GradientCase& c = GetParam();
  const std::vector<double> x = Generate1D("mixture", 40, 3);
  const DenoisingData1D noisy = MakeDenoisingData1D(x, 0.3, 2, 5);
  const std::vector<double>& points = c.denoising ? noisy.inputs : x;
  const double beta = 0.07;
  const double h = 1e-6;
  int checked = 0;
  for (std::uint64_t seed = 1; seed <= 50 && checked < 5; ++seed) {
    const Network1D network = RandomNetwork(c.activation, 7, c.skip, seed);
    // A shift of h in w or b moves z by at most h (1 + max |x|) < 1e-5: keep a margin of 10x.
    if (KinkMargin(network, points) < 1e-4) continue;
    ++checked;
    const auto objective = [&](const Network1D& net) {
      return c.denoising ? DenoisingScoreMatchingObjective(net, noisy.inputs, noisy.targets, beta)
                         : ScoreMatchingObjective(net, x, beta);
    };
    Eigen::VectorXd gradient;
    const double value =
        c.denoising
            ? DenoisingObjectiveAndGradient(network, c.skip, noisy.inputs, noisy.targets, beta,
                                            gradient)
            : ScoreMatchingObjectiveAndGradient(network, c.skip, x, beta, gradient);
    // The value is the objective of model/network1d.h, summed in another order.
    EXPECT_NEAR(value, objective(network), 1e-12 * std::max(1.0, std::abs(value)));

    const Eigen::VectorXd theta = PackParameters(network, c.skip);
    ASSERT_EQ(gradient.size(), theta.size());
    for (Eigen::Index k = 0; k < theta.size(); ++k) {
      Network1D plus = network, minus = network;
      Eigen::VectorXd shifted = theta;
      shifted[k] += h;
      UnpackParameters(shifted, c.skip, plus);
      shifted[k] -= 2 * h;
      UnpackParameters(shifted, c.skip, minus);
      const double numeric = (objective(plus) - objective(minus)) / (2 * h);
      EXPECT_NEAR(gradient[k], numeric, 1e-6 * std::max(1.0, std::abs(numeric)))
          << "parameter " << k << ", seed " << seed;
    }
  }
  EXPECT_EQ(checked, 5) << "too few random networks without a kink near a point";
}

INSTANTIATE_TEST_SUITE_P(
    AllObjectives, GradientTest,
    ::testing::Values(GradientCase{Activation::kRelu, false, false},
                      GradientCase{Activation::kRelu, true, false},
                      GradientCase{Activation::kAbs, false, false},
                      GradientCase{Activation::kAbs, true, false},
                      GradientCase{Activation::kRelu, false, true},
                      GradientCase{Activation::kAbs, true, true}),
    [](const ::testing::TestParamInfo<GradientCase>& info) {
      return std::string(info.param.denoising ? "dsm_" : "sm_") +
             std::string(ActivationName(info.param.activation)) +
             (info.param.skip ? "_skip" : "");
    });

// The claim of docs/theory.md: for ReLU the trace term (1/n) sum_i f'(x_i) is piecewise
// constant in a first-layer bias b_j, so its derivative in b_j is zero almost everywhere; it
// jumps by a_j w_j / n each time the kink -b_j/w_j crosses a data point.
TEST(NonconvexTraining1DTest, ReluTraceTermIsPiecewiseConstantInTheBias) {
  const std::vector<double> x = {-1.0, -0.25, 0.5, 2.0};
  Network1D network;
  network.activation = Activation::kRelu;
  network.neurons = {{1.5, 0.0, -0.8}, {-0.5, 0.3, 1.1}};
  const auto trace = [&](double b) {
    Network1D shifted = network;
    shifted.neurons[0].b = b;
    double sum = 0.0;
    for (double xi : x) sum += shifted.ScoreDerivative(xi);
    return sum / static_cast<double>(x.size());
  };
  const double w = network.neurons[0].w, a = network.neurons[0].a;
  // Kinks of unit 0 at -b/w; put them strictly between data points and compare neighbours.
  const std::vector<double> kinks_between = {-2.0, -0.5, 0.0, 1.0, 3.0};
  for (std::size_t k = 0; k < kinks_between.size(); ++k) {
    const double b = -w * kinks_between[k];
    EXPECT_EQ(trace(b - 1e-3), trace(b + 1e-3)) << "constant between data points";
    if (k + 1 < kinks_between.size()) {
      const double b_next = -w * kinks_between[k + 1];
      // Moving the kink right past one data point removes that point from the active side.
      EXPECT_NEAR(trace(b_next) - trace(b), -a * w / static_cast<double>(x.size()), 1e-15);
    }
  }
}

TEST(NonconvexTraining1DTest, BiasGradientIsTheDataTermAloneForRelu) {
  // The SM gradient in b_j equals the gradient of (1/n) sum f^2/2 alone: the trace term adds
  // nothing. The DSM gradient with targets 0 is exactly that data term.
  const std::vector<double> x = Generate1D("gaussian", 30, 2);
  const std::vector<double> zeros(x.size(), 0.0);
  const Network1D network = RandomNetwork(Activation::kRelu, 6, false, 11);
  Eigen::VectorXd sm, data_term;
  ScoreMatchingObjectiveAndGradient(network, false, x, 0.2, sm);
  DenoisingObjectiveAndGradient(network, false, x, zeros, 0.2, data_term);
  const Eigen::Index m = 6;
  EXPECT_EQ(sm.segment(m, m), data_term.segment(m, m));
  EXPECT_NE(sm.segment(0, m), data_term.segment(0, m)) << "w does see the trace term";
}

TEST(NonconvexTraining1DTest, PackAndUnpackAreInverse) {
  const Network1D network = RandomNetwork(Activation::kAbs, 4, true, 9);
  const Eigen::VectorXd theta = PackParameters(network, true);
  ASSERT_EQ(theta.size(), 3 * 4 + 2);
  EXPECT_EQ(theta[4 + 2], network.neurons[2].b);
  Network1D back;
  back.activation = Activation::kAbs;
  UnpackParameters(theta, true, back);
  EXPECT_EQ(PackParameters(back, true), theta);
  EXPECT_EQ(PackParameters(network, false).size(), 3 * 4 + 1);
}

TEST(NonconvexTraining1DTest, InitialisationIsSeededAndInItsRanges) {
  const Network1D one = InitialNetwork1D(Activation::kRelu, 25, 42);
  const Network1D again = InitialNetwork1D(Activation::kRelu, 25, 42);
  const Network1D other = InitialNetwork1D(Activation::kRelu, 25, 43);
  EXPECT_EQ(PackParameters(one, false), PackParameters(again, false));
  EXPECT_NE(PackParameters(one, false), PackParameters(other, false));
  const double output_scale = 1.0 / 5.0;
  double largest_a = 0.0;
  for (const Neuron1D& u : one.neurons) {
    EXPECT_LT(std::abs(u.w), 1.0);
    EXPECT_LT(std::abs(u.b), 1.0);
    EXPECT_LT(std::abs(u.a), output_scale);
    largest_a = std::max(largest_a, std::abs(u.a));
  }
  EXPECT_GT(largest_a, 0.5 * output_scale) << "the output layer fills its interval";
  EXPECT_LT(std::abs(one.output_bias), output_scale);
  EXPECT_EQ(one.skip, 0.0);
}

NonconvexTraining1DOptions SmallOptions() {
  NonconvexTraining1DOptions options;
  options.width = 8;
  options.beta = 0.1;
  options.learning_rate = 0.01;
  options.epochs = 50;
  return options;
}

TEST(NonconvexTraining1DTest, OneGradientDescentStepIsThetaMinusLearningRateTimesGradient) {
  const std::vector<double> x = Generate1D("laplace", 25, 4);
  NonconvexTraining1DOptions options = SmallOptions();
  options.optimizer = Optimizer::kGradientDescent;
  options.epochs = 1;
  options.skip = true;
  const Network1D start = RandomNetwork(Activation::kRelu, 5, true, 3);
  Eigen::VectorXd gradient;
  ScoreMatchingObjectiveAndGradient(start, true, x, options.beta, gradient);
  const TrainingResult1D result = TrainScoreMatching1D(x, options, start);
  const Eigen::VectorXd expected = PackParameters(start, true) - options.learning_rate * gradient;
  EXPECT_EQ(PackParameters(result.network, true), expected);
  EXPECT_EQ(result.summary.steps, 1);
}

TEST(NonconvexTraining1DTest, FirstAdamStepMovesEveryParameterByTheLearningRate) {
  // After one step the bias-corrected moments are g and g^2, so the step is
  // -lr g / (|g| + eps): the learning rate against the gradient's sign.
  const std::vector<double> x = Generate1D("gaussian", 25, 4);
  NonconvexTraining1DOptions options = SmallOptions();
  options.epochs = 1;
  const Network1D start = RandomNetwork(Activation::kAbs, 5, false, 8);
  options.activation = Activation::kAbs;
  Eigen::VectorXd gradient;
  ScoreMatchingObjectiveAndGradient(start, false, x, options.beta, gradient);
  const TrainingResult1D result = TrainScoreMatching1D(x, options, start);
  const Eigen::VectorXd moved = PackParameters(result.network, false) - PackParameters(start, false);
  for (Eigen::Index k = 0; k < moved.size(); ++k) {
    const double expected =
        -options.learning_rate * gradient[k] / (std::abs(gradient[k]) + options.adam_epsilon);
    EXPECT_NEAR(moved[k], expected, 1e-15) << "parameter " << k;
  }
}

TEST(NonconvexTraining1DTest, SameSeedSameRunAndTheObjectiveGoesDown) {
  const std::vector<double> x = Generate1D("mixture", 60, 6);
  for (const bool minibatch : {false, true}) {
    NonconvexTraining1DOptions options = SmallOptions();
    options.epochs = 120;
    options.history_every = 25;
    if (minibatch) options.batch = 16;
    const TrainingResult1D one = TrainScoreMatching1D(x, options);
    const TrainingResult1D two = TrainScoreMatching1D(x, options);
    EXPECT_EQ(PackParameters(one.network, false), PackParameters(two.network, false));
    EXPECT_EQ(one.summary.final_objective, two.summary.final_objective);
    options.init_seed = 2;
    EXPECT_NE(TrainScoreMatching1D(x, options).summary.final_objective,
              one.summary.final_objective);

    const TrainingSummary1D& s = one.summary;
    EXPECT_NEAR(s.initial_objective,
                ScoreMatchingObjective(InitialNetwork1D(Activation::kRelu, 8, 1), x, 0.1),
                1e-12 * std::abs(s.initial_objective));
    EXPECT_NEAR(s.final_objective, ScoreMatchingObjective(one.network, x, 0.1),
                1e-12 * std::abs(s.final_objective));
    EXPECT_LT(s.final_objective, s.initial_objective - 0.1);
    EXPECT_LE(s.best_objective, s.final_objective);
    EXPECT_EQ(s.epochs_run, 120);
    EXPECT_EQ(s.steps, minibatch ? 120 * 4 : 120) << "60 points in batches of 16: 4 steps";
    ASSERT_EQ(s.history.size(), 6u);  // epochs 0, 25, 50, 75, 100 and the last, 120
    EXPECT_EQ(s.history.front(), std::make_pair(0, s.initial_objective));
    EXPECT_EQ(s.history[2].first, 50);
    EXPECT_EQ(s.history.back(), std::make_pair(120, s.final_objective));
    EXPECT_GE(s.seconds, 0.0);
  }
}

TEST(NonconvexTraining1DTest, DenoisingTrainingLowersTheDenoisingObjective) {
  const std::vector<double> x = Generate1D("gaussian", 40, 1);
  const DenoisingData1D data = MakeDenoisingData1D(x, 0.5, 3, 2);
  NonconvexTraining1DOptions options = SmallOptions();
  options.skip = true;
  options.epochs = 200;
  const TrainingResult1D result = TrainDenoisingScoreMatching1D(data, options);
  EXPECT_NEAR(result.summary.final_objective,
              DenoisingScoreMatchingObjective(result.network, data.inputs, data.targets, 0.1),
              1e-12 * result.summary.final_objective);
  EXPECT_LT(result.summary.final_objective, result.summary.initial_objective);
}

TEST(NonconvexTraining1DTest, BadInputNamesTheProblem) {
  const std::vector<double> x = Generate1D("gaussian", 20, 1);
  const auto error = [&](auto change) {
    NonconvexTraining1DOptions options = SmallOptions();
    change(options);
    return ErrorOf([&] { TrainScoreMatching1D(x, options); });
  };
  EXPECT_THAT(error([](auto& o) { o.width = 0; }), HasSubstr("width must be at least 1"));
  EXPECT_THAT(error([](auto& o) { o.learning_rate = 0.0; }), HasSubstr("learning rate"));
  EXPECT_THAT(error([](auto& o) { o.learning_rate = -1.0; }), HasSubstr("learning rate"));
  EXPECT_THAT(error([](auto& o) { o.learning_rate = std::nan(""); }), HasSubstr("learning rate"));
  EXPECT_THAT(error([](auto& o) { o.epochs = 0; }), HasSubstr("epochs must be at least 1"));
  EXPECT_THAT(error([](auto& o) { o.batch = 0; }), HasSubstr("batch size must be at least 1"));
  EXPECT_THAT(error([](auto& o) { o.beta = -0.1; }), HasSubstr("beta"));
  EXPECT_THAT(ErrorOf([&] { TrainScoreMatching1D(std::vector<double>{}, SmallOptions()); }),
              HasSubstr("no data point"));
  EXPECT_THAT(ErrorOf([&] {
                TrainScoreMatching1D(std::vector<double>{1.0, std::nan("")}, SmallOptions());
              }),
              HasSubstr("data point 1 is not finite"));
  EXPECT_EQ(error([](auto&) {}), "");
}

TEST(NonconvexTraining1DTest, ADivergingRunStopsAndNamesTheEpoch) {
  const std::vector<double> x = Generate1D("gaussian", 30, 1);
  for (const bool minibatch : {false, true}) {
    NonconvexTraining1DOptions options = SmallOptions();
    options.optimizer = Optimizer::kGradientDescent;
    options.learning_rate = 50.0;
    options.epochs = 5000;
    if (minibatch) options.batch = 7;
    const std::string message = ErrorOf([&] { TrainScoreMatching1D(x, options); });
    EXPECT_THAT(message, ::testing::MatchesRegex("training diverged at epoch [1-9][0-9]*: the "
                                                 "objective is .* \\(try a smaller learning "
                                                 "rate\\)"));
  }
}

}  // namespace
}  // namespace convexscore
