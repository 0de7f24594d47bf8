// Tests of the multivariate two-layer network: evaluation and divergence on a hand-computed
// case (the kink conventions included), divergence against finite differences, the SM and DSM
// objectives by hand, agreement with Network1D in one dimension, and the per-coordinate
// assembly of architecture (a).

#include "convexscore/model/network_nd.h"

#include <cmath>
#include <random>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/data/denoising_data.h"
#include "testutil/random_network.h"
#include "testutil/error_of.h"

namespace convexscore {
namespace {

using ::testing::HasSubstr;
using testutil::ErrorOf;

// f(x) = relu(x1) (1, 2) + relu(x1 - x2 + 1) (0, -1) + (0.5, -1) + diag(-1, -2) x.
NetworkND HandRelu() {
  NetworkND net = NetworkND::Zero(Activation::kRelu, 2);
  net.w.resize(2, 2);
  net.w << 1.0, 0.0, 1.0, -1.0;
  net.b.resize(2);
  net.b << 0.0, 1.0;
  net.a.resize(2, 2);
  net.a << 1.0, 2.0, 0.0, -1.0;
  net.output_bias << 0.5, -1.0;
  net.skip = Eigen::MatrixXd(2, 2);
  *net.skip << -1.0, 0.0, 0.0, -2.0;
  return net;
}

using testutil::RandomNetworkND;

TEST(NetworkND, HandComputedScoreAndDivergence) {
  const NetworkND net = HandRelu();
  net.Validate();
  EXPECT_EQ(net.dimension(), 2);
  EXPECT_EQ(net.neurons(), 2);
  // x = (2, 1): pre-activations 2 and 2; f = (0.5, -1) + (-2, -2) + 2 (1, 2) + 2 (0, -1).
  // div = tr V + a_1 . w_1 + a_2 . w_2 = -3 + 1 + 1.
  const Eigen::Vector2d x1(2.0, 1.0);
  EXPECT_EQ(net.Score(x1), Eigen::Vector2d(0.5, -1.0));
  EXPECT_EQ(net.Divergence(x1), -1.0);
  // x = (0, 3): the first unit sits exactly on its kink (relu'(0) = 1 counts it), the second
  // is off (pre-activation -2). f = (0.5, -1) + (0, -6); div = -3 + 1.
  const Eigen::Vector2d x2(0.0, 3.0);
  EXPECT_EQ(net.Score(x2), Eigen::Vector2d(0.5, -7.0));
  EXPECT_EQ(net.Divergence(x2), -2.0);
}

TEST(NetworkND, AbsKinkTakesTheDerivativeOnThePositiveSide) {
  // a |w . x| with w = (-1, 0), a = (2, 0): at x1 = 0 abs'(0) = +1 gives a . w = -2, the
  // one-sided derivative in the direction where the pre-activation grows.
  NetworkND net = NetworkND::Zero(Activation::kAbs, 2);
  net.w = RowMatrixXd{{-1.0, 0.0}};
  net.b = Eigen::VectorXd::Zero(1);
  net.a = RowMatrixXd{{2.0, 0.0}};
  const Eigen::Vector2d at_kink(0.0, 5.0);
  EXPECT_EQ(net.Divergence(at_kink), -2.0);
  const double h = 1e-7;  // x1 = -h: pre-activation +h, on the side the convention picks
  const double one_sided =
      (net.Score(Eigen::Vector2d(-h, 5.0))[0] - net.Score(at_kink)[0]) / -h;
  EXPECT_NEAR(one_sided, -2.0, 1e-9);
}

TEST(NetworkND, DivergenceMatchesFiniteDifferences) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal;
  for (Activation activation : {Activation::kRelu, Activation::kAbs}) {
    const NetworkND net = RandomNetworkND(activation, 3, 12, true, rng);
    for (int trial = 0; trial < 20; ++trial) {
      const Eigen::Vector3d x(normal(rng), normal(rng), normal(rng));
      // Central differences: exact for a piecewise-linear f unless a kink lies within h of x
      // (probability about 1e-6 here).
      const double h = 1e-6;
      double trace = 0.0;
      for (int k = 0; k < 3; ++k) {
        const Eigen::Vector3d e = Eigen::Vector3d::Unit(k) * h;
        trace += (net.Score(Eigen::Vector3d(x + e))[k] - net.Score(Eigen::Vector3d(x - e))[k]) /
                 (2.0 * h);
      }
      EXPECT_NEAR(net.Divergence(x), trace, 1e-6) << "trial " << trial;
    }
  }
}

TEST(NetworkND, ScoreIsTheMatrixFormInEveryDimension) {
  // Dimensions 1-3 have their own unrolled evaluation, larger ones the general loop: both must
  // be A^T act(W x + b) + c0 + V x, computed here with Eigen's matrix products.
  std::mt19937_64 rng(21);
  for (int d = 1; d <= 5; ++d) {
    for (Activation activation : {Activation::kRelu, Activation::kAbs}) {
      const NetworkND net = RandomNetworkND(activation, d, 9, d % 2 == 1, rng);
      for (int trial = 0; trial < 5; ++trial) {
        const Eigen::VectorXd x = Eigen::VectorXd::Random(d) * 2.0;
        Eigen::VectorXd pre = net.w * x + net.b;
        if (activation == Activation::kRelu) {
          pre = pre.cwiseMax(0.0);
        } else {
          pre = pre.cwiseAbs();
        }
        Eigen::VectorXd expected = net.a.transpose() * pre + net.output_bias;
        if (net.skip) expected += *net.skip * x;
        EXPECT_LT((net.Score(x) - expected).norm(), 1e-12 * (1.0 + expected.norm()))
            << "d = " << d << ", trial " << trial;
      }
    }
  }
}

TEST(NetworkND, BatchScoreIsTheScoreOfEachRow) {
  std::mt19937_64 rng(3);
  const NetworkND net = RandomNetworkND(Activation::kRelu, 4, 7, true, rng);
  const Eigen::MatrixXd points = Eigen::MatrixXd::Random(9, 4);
  const Eigen::MatrixXd scores = net.ScoreRows(points);
  ASSERT_EQ(scores.rows(), 9);
  ASSERT_EQ(scores.cols(), 4);
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(Eigen::VectorXd(scores.row(i).transpose()),
              net.Score(Eigen::VectorXd(points.row(i).transpose())));
  }
}

TEST(NetworkND, ScoreMatchingObjectiveByHand) {
  const NetworkND net = HandRelu();
  Eigen::MatrixXd x(2, 2);
  x << 2.0, 1.0, 0.0, 3.0;
  // Data terms (values above): -1 + (0.25 + 1) / 2 = -0.375 and -2 + (0.25 + 49) / 2 = 22.625,
  // mean 11.125. Decay: ||W||^2 + ||A||^2 = 3 + 6 = 9, times beta / 2 = 0.25: 2.25. The biases
  // add b^2 = 1 when penalized: 2.5.
  EXPECT_DOUBLE_EQ(ScoreMatchingObjective(net, x, 0.5), 13.375);
  EXPECT_DOUBLE_EQ(ScoreMatchingObjective(net, x, 0.5, BiasDecay::kPenalized), 13.625);
  EXPECT_DOUBLE_EQ(ScoreMatchingObjective(net, x, 0.0), 11.125);
  EXPECT_THAT(ErrorOf([&] { ScoreMatchingObjective(net, Eigen::MatrixXd::Zero(2, 3), 0.5); }),
              HasSubstr("dimension 2"));
}

TEST(NetworkND, DenoisingObjectiveByHand) {
  const NetworkND net = HandRelu();
  Eigen::MatrixXd inputs(2, 2), targets(2, 2);
  inputs << 2.0, 1.0, 0.0, 3.0;
  targets << 1.0, 1.0, 0.0, 0.0;
  // Residuals (-0.5, -2) and (0.5, -7): squared norms 4.25 and 49.25; half their mean 13.375.
  EXPECT_DOUBLE_EQ(DenoisingScoreMatchingObjective(net, inputs, targets, 0.5), 15.625);
  EXPECT_DOUBLE_EQ(
      DenoisingScoreMatchingObjective(net, inputs, targets, 0.5, BiasDecay::kPenalized), 15.875);
  EXPECT_THAT(ErrorOf([&] {
                DenoisingScoreMatchingObjective(net, inputs, targets.topRows(1), 0.5);
              }),
              HasSubstr("do not fit"));
}

TEST(NetworkND, DenoisingObjectiveOnDenoisingData) {
  // At the zero network (f = 0) the DSM objective is half the mean squared target norm, and
  // the targets are -z / sigma: about d / (2 sigma^2) for many copies.
  Eigen::MatrixXd x(3, 2);
  x << 0.0, 1.0, 2.0, -1.0, 0.5, 0.5;
  const DenoisingDataND data = MakeDenoisingDataND(x, 0.5, 2000, 4);
  const NetworkND zero = NetworkND::Zero(Activation::kRelu, 2);
  const double objective = DenoisingScoreMatchingObjective(zero, data.inputs, data.targets, 1.0);
  EXPECT_DOUBLE_EQ(objective, 0.5 * data.targets.squaredNorm() / 6000.0);
  EXPECT_NEAR(objective, 2.0 / (2.0 * 0.25), 0.15);
}

TEST(NetworkND, OneDimensionalCaseAgreesWithNetwork1D) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  for (Activation activation : {Activation::kRelu, Activation::kAbs}) {
    Network1D net1;
    net1.activation = activation;
    for (int j = 0; j < 6; ++j) net1.neurons.push_back({normal(rng), normal(rng), normal(rng)});
    net1.neurons.push_back({2.0, -1.0, 0.7});  // a kink exactly at x = 0.5
    net1.output_bias = 0.3;
    net1.skip = -0.8;
    const NetworkND nd = ToNetworkND(net1);
    nd.Validate();
    std::vector<double> points = {0.5};
    for (int i = 0; i < 30; ++i) points.push_back(2.0 * normal(rng));
    Eigen::MatrixXd x(static_cast<Eigen::Index>(points.size()), 1);
    for (std::size_t i = 0; i < points.size(); ++i) {
      x(static_cast<Eigen::Index>(i), 0) = points[i];
      const Eigen::VectorXd xi = Eigen::VectorXd::Constant(1, points[i]);
      EXPECT_NEAR(nd.Score(xi)[0], net1.Score(points[i]), 1e-13);
      EXPECT_NEAR(nd.Divergence(xi), net1.ScoreDerivative(points[i]), 1e-13);
    }
    EXPECT_NEAR(ScoreMatchingObjective(nd, x, 0.2), ScoreMatchingObjective(net1, points, 0.2),
                1e-12);
    std::vector<double> targets(points.size());
    for (double& t : targets) t = normal(rng);
    const Eigen::MatrixXd t = Eigen::Map<const Eigen::MatrixXd>(
        targets.data(), static_cast<Eigen::Index>(targets.size()), 1);
    EXPECT_NEAR(DenoisingScoreMatchingObjective(nd, x, t, 0.2),
                DenoisingScoreMatchingObjective(net1, points, targets, 0.2), 1e-12);
  }
}

ScalarNetworkND Scalar(int d, int m, bool skip, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  ScalarNetworkND g;
  g.activation = Activation::kAbs;
  g.w = RowMatrixXd::NullaryExpr(m, d, [&] { return normal(rng); });
  g.b = Eigen::VectorXd::NullaryExpr(m, [&] { return normal(rng); });
  g.a = Eigen::VectorXd::NullaryExpr(m, [&] { return normal(rng); });
  g.output_bias = normal(rng);
  if (skip) g.skip = Eigen::VectorXd::NullaryExpr(d, [&] { return normal(rng); });
  return g;
}

TEST(NetworkND, AssemblePerCoordinateEvaluatesEachCoordinateNetwork) {
  std::mt19937_64 rng(9);
  const std::vector<ScalarNetworkND> coordinates = {Scalar(3, 4, true, rng),
                                                    Scalar(3, 0, false, rng),
                                                    Scalar(3, 2, false, rng)};
  const NetworkND net = AssemblePerCoordinate(coordinates);
  net.Validate();
  EXPECT_EQ(net.dimension(), 3);
  EXPECT_EQ(net.neurons(), 6);
  ASSERT_TRUE(net.skip.has_value());
  EXPECT_EQ(net.skip->row(1).squaredNorm(), 0.0);  // coordinate 2 has no skip
  // Each a_j has one nonzero entry, so ||a_j||^2 is the scalar a_j^2: the weight decay of
  // architecture (a) is the sum of the coordinates' decays.
  double decay = 0.0;
  for (const ScalarNetworkND& g : coordinates) decay += g.w.squaredNorm() + g.a.squaredNorm();
  EXPECT_NEAR(net.WeightDecaySum(false), decay, 1e-12);
  for (int trial = 0; trial < 10; ++trial) {
    const Eigen::Vector3d x = Eigen::Vector3d::Random() * 3.0;
    const Eigen::VectorXd f = net.Score(x);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(f[c], coordinates[c].Score(x), 1e-12);
  }
}

TEST(NetworkND, AssemblePerCoordinateRejectsInconsistentCoordinates) {
  std::mt19937_64 rng(2);
  std::vector<ScalarNetworkND> coordinates = {Scalar(2, 3, false, rng), Scalar(2, 3, false, rng)};
  coordinates[1].activation = Activation::kRelu;
  EXPECT_THAT(ErrorOf([&] { AssemblePerCoordinate(coordinates); }),
              HasSubstr("per-coordinate network 2: a different activation"));
  coordinates = {Scalar(3, 3, false, rng), Scalar(3, 3, false, rng)};  // 3 inputs, 2 outputs
  EXPECT_THAT(ErrorOf([&] { AssemblePerCoordinate(coordinates); }),
              HasSubstr("per-coordinate network 1: w is 3 x 3"));
  coordinates = {Scalar(2, 3, false, rng), Scalar(2, 3, false, rng)};
  coordinates[0].skip = Eigen::VectorXd::Zero(3);
  EXPECT_THAT(ErrorOf([&] { AssemblePerCoordinate(coordinates); }),
              HasSubstr("skip vector has 3 entries"));
  EXPECT_THAT(ErrorOf([&] { AssemblePerCoordinate({}); }), HasSubstr("at least one"));
}

TEST(NetworkND, ValidateNamesTheProblem) {
  NetworkND net = HandRelu();
  net.a.resize(3, 2);
  net.a.setZero();
  EXPECT_THAT(ErrorOf([&] { net.Validate(); }), HasSubstr("a is 3 x 2, expected 2 x 2"));
  net = HandRelu();
  net.skip = Eigen::MatrixXd::Zero(1, 2);
  EXPECT_THAT(ErrorOf([&] { net.Validate(); }), HasSubstr("skip matrix is 1 x 2"));
  net = HandRelu();
  net.b[1] = std::nan("");
  EXPECT_THAT(ErrorOf([&] { net.Validate(); }), HasSubstr("not finite"));
  net = HandRelu();
  net.output_bias.resize(0);
  EXPECT_THAT(ErrorOf([&] { net.Validate(); }), HasSubstr("at least 1"));
}

}  // namespace
}  // namespace convexscore
