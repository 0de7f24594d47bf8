// Tests of multivariate non-convex training: the objective against model/network_nd.h's
// independent evaluation, the hand-derived gradient against central finite differences and, in
// d = 1, against the univariate trainer's gradient (itself checked against PyTorch autograd);
// the seeded initialisation, reproducibility, descent, and the errors for bad input.
#include "convexscore/training/nonconvex_training_nd.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "convexscore/data/denoising_data.h"
#include "convexscore/data/distribution_spec.h"
#include "convexscore/data/generators.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/training/nonconvex_training_1d.h"
#include "testutil/error_of.h"
#include "testutil/random_network.h"

namespace convexscore {
namespace {

using ::testing::HasSubstr;
using testutil::ErrorOf;

NetworkND RandomNetwork(Activation activation, int d, int width, bool skip, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  return testutil::RandomNetworkND(activation, d, width, skip, rng);
}

constexpr const char* kMixture = "gmm-d:0.5,-1/0,0.6;0.5,1.2/0.4,0.5";

Eigen::MatrixXd Data(const char* spec, int n, std::uint64_t seed) {
  return GenerateFromSpec(ParseDistributionSpec(spec), n, seed);
}

// Smallest |w_j . x_i + b_j|: central differences with step h see a smooth function only when no
// unit changes sign between theta - h and theta + h.
double KinkMargin(const NetworkND& network, const Eigen::MatrixXd& x) {
  Eigen::MatrixXd z = x * network.w.transpose();
  z.rowwise() += network.b.transpose();
  return z.cwiseAbs().minCoeff();
}

struct Case {
  Activation activation;
  bool skip;
  bool denoising;
  BiasDecay bias_decay;
};

class GradientNDTest : public ::testing::TestWithParam<Case> {};

TEST_P(GradientNDTest, ObjectiveMatchesTheNetworksOwnEvaluation) {
  const Case& c = GetParam();
  const Eigen::MatrixXd x = Data(kMixture, 30, 4);
  const DenoisingDataND noisy = MakeDenoisingDataND(x, 0.3, 2, 6);
  const NetworkND network = RandomNetwork(c.activation, 2, 5, c.skip, 8);
  Eigen::VectorXd gradient;
  const double beta = 0.3;
  const double mine =
      c.denoising ? ObjectiveAndGradientND(network, c.skip, noisy.inputs, noisy.targets, beta,
                                           c.bias_decay, &gradient)
                  : ObjectiveAndGradientND(network, c.skip, x, Eigen::MatrixXd(), beta,
                                           c.bias_decay, &gradient);
  const double reference =
      c.denoising ? DenoisingScoreMatchingObjective(network, noisy.inputs, noisy.targets, beta,
                                                    c.bias_decay)
                  : ScoreMatchingObjective(network, x, beta, c.bias_decay);
  EXPECT_NEAR(mine, reference, 1e-12 * std::max(1.0, std::abs(reference)));
}

TEST_P(GradientNDTest, MatchesCentralFiniteDifferencesAwayFromKinks) {
  const Case& c = GetParam();
  const Eigen::MatrixXd x = Data(kMixture, 25, 5);
  const DenoisingDataND noisy = MakeDenoisingDataND(x, 0.3, 2, 7);
  const Eigen::MatrixXd& points = c.denoising ? noisy.inputs : x;
  const Eigen::MatrixXd targets = c.denoising ? noisy.targets : Eigen::MatrixXd();
  const NetworkND network = RandomNetwork(c.activation, 2, 4, c.skip, 9);
  const double h = 1e-6;
  // The perturbation moves every z by at most h (1 + |x| + ...); the data keep far enough away.
  ASSERT_GT(KinkMargin(network, points), 1e-4);
  Eigen::VectorXd gradient;
  ObjectiveAndGradientND(network, c.skip, points, targets, 0.2, c.bias_decay, &gradient);
  const Eigen::VectorXd theta = PackParameters(network, c.skip);
  ASSERT_EQ(gradient.size(), theta.size());
  NetworkND probe = network;
  for (Eigen::Index k = 0; k < theta.size(); ++k) {
    Eigen::VectorXd plus = theta, minus = theta;
    plus[k] += h;
    minus[k] -= h;
    UnpackParameters(plus, c.skip, 2, probe);
    const double up = ObjectiveAndGradientND(probe, c.skip, points, targets, 0.2, c.bias_decay, nullptr);
    UnpackParameters(minus, c.skip, 2, probe);
    const double down = ObjectiveAndGradientND(probe, c.skip, points, targets, 0.2, c.bias_decay, nullptr);
    EXPECT_NEAR(gradient[k], (up - down) / (2 * h), 1e-6 * std::max(1.0, std::abs(gradient[k])))
        << "parameter " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllCases, GradientNDTest,
    ::testing::Values(Case{Activation::kRelu, false, false, BiasDecay::kFree},
                      Case{Activation::kRelu, true, false, BiasDecay::kPenalized},
                      Case{Activation::kAbs, false, false, BiasDecay::kPenalized},
                      Case{Activation::kAbs, true, false, BiasDecay::kFree},
                      Case{Activation::kRelu, false, true, BiasDecay::kPenalized},
                      Case{Activation::kRelu, true, true, BiasDecay::kFree},
                      Case{Activation::kAbs, false, true, BiasDecay::kFree},
                      Case{Activation::kAbs, true, true, BiasDecay::kPenalized}));

// In d = 1 with free biases the multivariate objective and gradient are the univariate ones,
// which the univariate tests check against PyTorch autograd.
TEST(NonconvexTrainingND, AgreesWithTheUnivariateTrainerInOneDimension) {
  const std::vector<double> x = Generate1D("mixture", 40, 3);
  const DenoisingData1D noisy = MakeDenoisingData1D(x, 0.3, 2, 5);
  for (bool denoising : {false, true}) {
    Network1D one;
    one.activation = Activation::kAbs;
    std::mt19937_64 engine(11);
    std::normal_distribution<double> normal;
    one.neurons.resize(6);
    for (Neuron1D& u : one.neurons) u = {normal(engine), normal(engine), normal(engine)};
    one.output_bias = normal(engine);
    one.skip = normal(engine);
    const NetworkND many = ToNetworkND(one);
    const std::vector<double>& points = denoising ? noisy.inputs : x;
    Eigen::MatrixXd px = Eigen::Map<const Eigen::VectorXd>(points.data(), points.size());
    Eigen::MatrixXd targets;
    if (denoising) targets = Eigen::Map<const Eigen::VectorXd>(noisy.targets.data(), noisy.targets.size());
    Eigen::VectorXd g1, gd;
    const double v1 = denoising ? DenoisingObjectiveAndGradient(one, true, points, noisy.targets, 0.4, g1)
                                : ScoreMatchingObjectiveAndGradient(one, true, points, 0.4, g1);
    const double vd = ObjectiveAndGradientND(many, true, px, targets, 0.4, BiasDecay::kFree, &gd);
    EXPECT_NEAR(vd, v1, 1e-12 * std::max(1.0, std::abs(v1)));
    // Both pack w, b, a, output bias, skip (d = 1: one entry each).
    ASSERT_EQ(gd.size(), g1.size());
    for (Eigen::Index k = 0; k < g1.size(); ++k) {
      EXPECT_NEAR(gd[k], g1[k], 1e-11 * std::max(1.0, std::abs(g1[k]))) << "parameter " << k;
    }
  }
}

TEST(NonconvexTrainingND, InitialisationIsSeededAndScaledLikePyTorch) {
  const NetworkND a = InitialNetworkND(Activation::kRelu, 3, 16, false, 5);
  const NetworkND b = InitialNetworkND(Activation::kRelu, 3, 16, false, 5);
  const NetworkND c = InitialNetworkND(Activation::kRelu, 3, 16, false, 6);
  EXPECT_EQ(PackParameters(a, false), PackParameters(b, false));
  EXPECT_NE(PackParameters(a, false), PackParameters(c, false));
  EXPECT_LT(a.w.cwiseAbs().maxCoeff(), 1.0 / std::sqrt(3.0));
  EXPECT_LT(a.b.cwiseAbs().maxCoeff(), 1.0 / std::sqrt(3.0));
  EXPECT_LT(a.a.cwiseAbs().maxCoeff(), 0.25);
  EXPECT_LT(a.output_bias.cwiseAbs().maxCoeff(), 0.25);
  EXPECT_GT(a.w.cwiseAbs().maxCoeff(), 0.25);  // not all squeezed to the output scale
  EXPECT_FALSE(a.skip.has_value());
  EXPECT_TRUE(InitialNetworkND(Activation::kRelu, 3, 4, true, 5).skip.has_value());
}

TEST(NonconvexTrainingND, GradientDescentDecreasesTheDenoisingObjective) {
  const Eigen::MatrixXd x = Data(kMixture, 40, 2);
  const DenoisingDataND noisy = MakeDenoisingDataND(x, 0.2, 3, 4);
  NonconvexTrainingOptions options;
  options.width = 16;
  options.beta = 0.05;
  options.optimizer = Optimizer::kGradientDescent;
  options.learning_rate = 1e-2;
  options.epochs = 200;
  const TrainingResultND result = TrainDenoisingScoreMatchingND(noisy.inputs, noisy.targets, options);
  ASSERT_EQ(result.summary.history.size(), 201u);
  // Small steps on a smooth-almost-everywhere objective: every epoch lowers it.
  for (std::size_t k = 1; k < result.summary.history.size(); ++k) {
    EXPECT_LE(result.summary.history[k].second, result.summary.history[k - 1].second + 1e-12);
  }
  EXPECT_LT(result.summary.final_objective, 0.9 * result.summary.initial_objective);
  EXPECT_NEAR(result.summary.final_objective,
              DenoisingScoreMatchingObjective(result.network, noisy.inputs, noisy.targets, 0.05),
              1e-10);
}

TEST(NonconvexTrainingND, MinibatchRunsAreReproducible) {
  const Eigen::MatrixXd x = Data(kMixture, 50, 3);
  NonconvexTrainingOptions options;
  options.width = 8;
  options.beta = 0.5;
  options.epochs = 20;
  options.batch = 16;
  options.learning_rate = 1e-3;
  options.init_seed = 9;
  options.bias_decay = BiasDecay::kPenalized;
  const TrainingResultND a = TrainScoreMatchingND(x, options);
  const TrainingResultND b = TrainScoreMatchingND(x, options);
  EXPECT_EQ(PackParameters(a.network, false), PackParameters(b.network, false));
  EXPECT_EQ(a.summary.steps, 20 * 4);
  options.init_seed = 10;
  const TrainingResultND c = TrainScoreMatchingND(x, options);
  EXPECT_NE(PackParameters(a.network, false), PackParameters(c.network, false));
  EXPECT_NEAR(a.summary.final_objective,
              ScoreMatchingObjective(a.network, x, 0.5, BiasDecay::kPenalized), 1e-10);
}

TEST(NonconvexTrainingND, StartsFromAGivenNetwork) {
  const Eigen::MatrixXd x = Data(kMixture, 30, 3);
  NonconvexTrainingOptions options;
  options.epochs = 1;
  options.optimizer = Optimizer::kGradientDescent;
  options.learning_rate = 1e-9;
  const NetworkND start = RandomNetwork(Activation::kRelu, 2, 3, false, 4);
  const TrainingResultND result = TrainScoreMatchingND(x, options, start);
  EXPECT_EQ(result.network.neurons(), 3);
  EXPECT_NEAR(result.summary.initial_objective, ScoreMatchingObjective(start, x, options.beta), 1e-10);
}

TEST(NonconvexTrainingND, RejectsBadInput) {
  const Eigen::MatrixXd x = Data(kMixture, 10, 3);
  NonconvexTrainingOptions options;
  options.epochs = 2;
  options.width = 0;
  EXPECT_THAT(ErrorOf([&] { TrainScoreMatchingND(x, options); }), HasSubstr("width"));
  options.width = 4;
  Eigen::MatrixXd bad = x;
  bad(3, 1) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(ErrorOf([&] { TrainScoreMatchingND(bad, options); }),
              HasSubstr("data point 3 is not finite"));
  EXPECT_THAT(ErrorOf([&] { TrainDenoisingScoreMatchingND(x, x.topRows(5), options); }),
              HasSubstr("targets"));
  const NetworkND three_d = RandomNetwork(Activation::kRelu, 3, 2, false, 1);
  EXPECT_THAT(ErrorOf([&] { TrainScoreMatchingND(x, options, three_d); }),
              HasSubstr("dimension 3"));
  options.learning_rate = 1e6;
  options.optimizer = Optimizer::kGradientDescent;
  options.epochs = 200;
  EXPECT_THAT(ErrorOf([&] { TrainScoreMatchingND(x, options); }), HasSubstr("diverged"));
}

// TrainLevelsND runs level l on the noise of seed noise_seed + l (the noisy data fit --objective
// dsm sees), from each level's start network; the document holds one entry per level.
TEST(NonconvexTrainingND, LevelsUseTheNoiseOfSeedPlusLevelIndex) {
  const Eigen::MatrixXd x = Data(kMixture, 12, 5);
  NonconvexTrainingOptions options;
  options.width = 3;
  options.epochs = 4;
  const std::vector<double> sigmas = {0.5, 0.2};
  const std::vector<TrainingLevelND> levels = TrainLevelsND(x, sigmas, 2, 7, options);
  ASSERT_EQ(levels.size(), 2u);
  for (std::size_t l = 0; l < 2; ++l) {
    const DenoisingDataND noisy = MakeDenoisingDataND(x, sigmas[l], 2, 7 + l);
    const TrainingResultND alone = TrainDenoisingScoreMatchingND(noisy.inputs, noisy.targets, options);
    EXPECT_EQ(levels[l].noise_seed, 7 + l);
    EXPECT_EQ(*levels[l].sigma, sigmas[l]);
    EXPECT_EQ(levels[l].result.summary.final_objective, alone.summary.final_objective);
    EXPECT_TRUE(levels[l].result.network.w.isApprox(alone.network.w, 0.0));
  }
  const nlohmann::json document =
      TrainedLevelsNDToJson(levels, options, "dsm", "", nlohmann::json::object(), {"u", "v"}, true);
  ASSERT_EQ(document["noise_levels"].size(), 2u);
  EXPECT_EQ(document["noise_levels"][1]["settings"]["noise_seed"], 8);
  EXPECT_EQ(document["coordinate_names"], nlohmann::json({"u", "v"}));
  EXPECT_EQ(LoadNoiseLevelsND(document).size(), 2u);
  EXPECT_THAT(ErrorOf([&] {
                TrainedLevelsNDToJson(levels, options, "dsm", "", nlohmann::json::object(), {}, false);
              }),
              HasSubstr("noise-levels document"));

  // SM: one level, no sigma; a start network is used as given (its objective is the first).
  const NetworkND start = RandomNetwork(Activation::kRelu, 2, 5, false, 2);
  const std::vector<TrainingLevelND> sm =
      TrainLevelsND(x, {}, 0, 0, options, [&](std::optional<double> sigma) {
        EXPECT_FALSE(sigma.has_value());
        return std::optional<NetworkND>(start);
      });
  ASSERT_EQ(sm.size(), 1u);
  EXPECT_FALSE(sm[0].sigma.has_value());
  EXPECT_EQ(sm[0].result.network.neurons(), 5);
  EXPECT_NEAR(sm[0].result.summary.initial_objective, ScoreMatchingObjective(start, x, options.beta),
              1e-10);
  EXPECT_EQ(TrainedLevelsNDToJson(sm, options, "sm", "", nlohmann::json::object(), {}, false)
                .count("noise_levels"),
            0u);

  EXPECT_THAT(ErrorOf([&] { TrainLevelsND(x.topRows(1), {}, 0, 0, options); }),
              HasSubstr("need at least 2 points (got 1)"));
  EXPECT_THAT(ErrorOf([&] { TrainLevelsND(x, sigmas, 0, 0, options); }),
              HasSubstr("copies must be at least 1"));
  EXPECT_THAT(ErrorOf([&] { CheckStartNetworkND(start, 3, std::nullopt, "init", "width"); }),
              HasSubstr("init has dimension 2 but the data have 3 columns"));
  EXPECT_THAT(ErrorOf([&] { CheckStartNetworkND(start, 2, 4, "init", "--width"); }),
              HasSubstr("init has 5 units but --width is 4"));
  EXPECT_EQ(ErrorOf([&] { CheckStartNetworkND(start, 2, 5, "init", "--width"); }), "");
}

}  // namespace
}  // namespace convexscore
