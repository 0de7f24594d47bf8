#include "convexscore/programs/score_matching_nd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "convexscore/data/portable_random.h"
#include "testutil/random_points.h"
#include "convexscore/data/sample1d.h"
#include "convexscore/programs/score_matching_1d.h"

namespace convexscore {
namespace {

using testutil::RandomPoints;

// In one dimension architecture (a) is the univariate program: same optimal value.
TEST(SMND, OneDimensionAgreesWithUnivariateProgram) {
  const Eigen::MatrixXd x = RandomPoints(12, 1, 21);
  std::vector<double> values(x.data(), x.data() + x.size());
  for (Activation activation : {Activation::kRelu, Activation::kAbs}) {
    for (double beta : {0.3, 0.6}) {
      ScoreMatching1DOptions one;
      one.activation = activation;
      one.beta = beta;
      const ScoreMatching1DResult reference = FitScoreMatching1D(MakeSample1D(values), one);
      ASSERT_EQ(StatusName(reference.summary.status), "optimal");
      ScoreMatchingNDOptions nd;
      nd.activation = activation;
      nd.beta = beta;
      const ScoreMatchingNDResult result = FitScoreMatchingND(x, nd);
      ASSERT_EQ(StatusName(result.summary.status), "optimal") << result.summary.message;
      EXPECT_NEAR(result.summary.objective, reference.summary.objective,
                  1e-8 * std::max(1.0, std::abs(reference.summary.objective)))
          << ActivationName(activation) << " beta " << beta;
    }
  }
}

// The coordinates' programs run on separate threads; the fit and the thresholds are identical
// (not merely close) for 1, 2 and 3 threads.
TEST(SMND, CoordinatesOnSeveralThreadsGiveTheSameFitAndThresholds) {
  const Eigen::MatrixXd x = RandomPoints(6, 3, 24);
  ScoreMatchingNDOptions options;
  options.beta = 0.6;
  options.sample_patterns = true;
  options.sampled_directions = 15;
  options.threads = 1;
  const ScoreMatchingNDResult one = FitScoreMatchingND(x, options);
  ASSERT_EQ(StatusName(one.summary.status), "optimal") << one.summary.message;
  const ScoreMatchingNDThresholdsResult one_t = ScoreMatchingNDAllThresholds(x, options, 0.1);
  for (int threads : {2, 3}) {
    options.threads = threads;
    const ScoreMatchingNDResult many = FitScoreMatchingND(x, options);
    EXPECT_EQ(many.summary.objective, one.summary.objective) << threads << " threads";
    ASSERT_EQ(many.coordinates.size(), 3u);
    for (std::size_t c = 0; c < 3; ++c) {
      EXPECT_TRUE(many.coordinates[c].positive == one.coordinates[c].positive) << "coordinate " << c;
      EXPECT_TRUE(many.coordinates[c].negative == one.coordinates[c].negative) << "coordinate " << c;
    }
    const ScoreMatchingNDThresholdsResult many_t = ScoreMatchingNDAllThresholds(x, options, 0.1);
    EXPECT_EQ(many_t.beta_max, one_t.beta_max);
    EXPECT_EQ(many_t.beta_min_lower, one_t.beta_min_lower);
    EXPECT_EQ(many_t.beta_min_upper, one_t.beta_min_upper);
  }
  // Below beta_min: the same coordinate is reported unbounded, with the same certificate.
  options.beta = 0.5 * one_t.beta_min_lower;
  options.threads = 1;
  const ScoreMatchingNDResult unbounded = FitScoreMatchingND(x, options);
  ASSERT_EQ(StatusName(unbounded.summary.status), "unbounded") << unbounded.summary.message;
  for (int threads : {2, 3}) {
    options.threads = threads;
    const ScoreMatchingNDResult many = FitScoreMatchingND(x, options);
    EXPECT_EQ(many.unbounded_coordinate, unbounded.unbounded_coordinate) << threads << " threads";
    EXPECT_EQ(many.beta_min_lower, unbounded.beta_min_lower) << threads << " threads";
    EXPECT_EQ(many.summary.message, unbounded.summary.message) << threads << " threads";
    EXPECT_EQ(many.coordinates.size(), unbounded.coordinates.size()) << threads << " threads";
  }
}

// Certificates on random plane data: gap, feasibility, and the reconstructed networks'
// non-convex objective equal to the convex value.
TEST(SMND, ReconstructedNetworksAttainTheCertifiedConvexValue) {
  const Eigen::MatrixXd x = RandomPoints(10, 2, 22);
  for (Activation activation : {Activation::kRelu, Activation::kAbs}) {
    ScoreMatchingNDOptions options;
    options.activation = activation;
    options.beta = 0.6;
    const ScoreMatchingNDResult result = FitScoreMatchingND(x, options);
    ASSERT_EQ(StatusName(result.summary.status), "optimal") << result.summary.message;
    EXPECT_EQ(result.patterns, 10 * 9 + 2);
    EXPECT_EQ(result.pattern_method, PatternMethod::kExact);
    for (const ConeGroupLassoSolution& s : result.coordinates) {
      EXPECT_LE(std::abs(s.summary.relative_gap), 1e-10);
      EXPECT_LE(s.certificate.dual_infeasibility, 1e-10);
      EXPECT_LE(s.certificate.primal_infeasibility, 1e-10);
    }
    // The assembled network f: R^2 -> R^2 has the per-coordinate networks' neurons, and its own
    // SM objective (biases free) is the convex value.
    ASSERT_EQ(result.network.dimension(), 2);
    EXPECT_EQ(result.network.neurons(),
              result.networks[0].b.size() + result.networks[1].b.size());
    const double nonconvex = ScoreMatchingObjective(result.network, x, options.beta);
    EXPECT_NEAR(nonconvex, result.summary.objective, 1e-8 * std::max(1.0, std::abs(nonconvex)));
    // Its score is the per-coordinate networks' scores side by side.
    for (int i = 0; i < x.rows(); ++i) {
      const Eigen::VectorXd f = result.network.Score(Eigen::VectorXd(x.row(i).transpose()));
      for (int c = 0; c < 2; ++c) {
        EXPECT_NEAR(f[c], result.networks[c].Score(x.row(i).transpose()), 1e-12);
      }
    }
    // No network does better: random perturbations of the optimum stay above the convex value.
    std::mt19937_64 engine(5);
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<ScalarNetworkND> perturbed = result.networks;
      for (ScalarNetworkND& net : perturbed) {
        for (int j = 0; j < net.a.size(); ++j) {
          net.a[j] += 0.05 * StandardNormal(engine);
          net.b[j] += 0.05 * StandardNormal(engine);
          for (int c = 0; c < net.w.cols(); ++c) net.w(j, c) += 0.05 * StandardNormal(engine);
        }
        net.output_bias += 0.05 * StandardNormal(engine);
      }
      EXPECT_GE(ScoreMatchingObjective(AssemblePerCoordinate(perturbed), x, options.beta),
                result.summary.objective - 1e-9);
    }
  }
}

// beta_max: at and above it the zero network is optimal (objective 0); just below, not.
TEST(SMND, BetaMaxSeparatesTheZeroNetwork) {
  const Eigen::MatrixXd x = RandomPoints(9, 2, 23);
  ScoreMatchingNDOptions options;
  const PatternSet patterns = ScoreMatchingNDPatterns(x, options);
  double beta_max = 0.0;
  for (int c = 0; c < 2; ++c)
    beta_max = std::max(beta_max, ScoreMatchingNDBetaMax(x, patterns, Activation::kRelu, c));
  EXPECT_GT(beta_max, 0.0);
  options.beta = beta_max * 1.001;
  const ScoreMatchingNDResult above = FitScoreMatchingND(x, options);
  ASSERT_EQ(StatusName(above.summary.status), "optimal");
  EXPECT_NEAR(above.summary.objective, 0.0, 1e-12);
  options.beta = beta_max * 0.95;
  const ScoreMatchingNDResult below = FitScoreMatchingND(x, options);
  ASSERT_EQ(StatusName(below.summary.status), "optimal");
  EXPECT_LT(below.summary.objective, -1e-6);
}

TEST(SMND, RejectsRankDeficientAndBadInput) {
  Eigen::MatrixXd line(5, 2);
  line << 0, 0, 1, 2, 2, 4, -1, -2, 3, 6;  // all points on one line
  ScoreMatchingNDOptions options;
  EXPECT_THROW(FitScoreMatchingND(line, options), Error);
  options.beta = -1.0;
  EXPECT_THROW(FitScoreMatchingND(RandomPoints(5, 2, 1), options), Error);
}

}  // namespace
}  // namespace convexscore
