#include "convexscore/metrics/multivariate.h"

#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/common.h"
#include "convexscore/data/generators.h"
#include "convexscore/metrics/known_laws.h"
#include "convexscore/metrics/univariate.h"

namespace convexscore {
namespace {

using ::testing::HasSubstr;

Eigen::MatrixXd Points(std::initializer_list<std::initializer_list<double>> rows) {
  Eigen::MatrixXd points(static_cast<Eigen::Index>(rows.size()),
                         static_cast<Eigen::Index>(rows.begin()->size()));
  Eigen::Index i = 0;
  for (const auto& row : rows) {
    Eigen::Index k = 0;
    for (double v : row) points(i, k++) = v;
    ++i;
  }
  return points;
}

Eigen::MatrixXd Draw(std::string_view spec, int n, std::uint64_t seed) {
  return GenerateFromSpec(ParseDistributionSpec(spec), n, seed);
}

std::string ErrorOf(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(MmdTest, ThreePlusThreePointsByHand) {
  // x = {0, 1, 2}, y = {0, 1, 3}. Pooled pair distances: 0 (x2), 1 (x7), 2 (x4), 3 (x2); the
  // 8th of 15 is 1, so the median heuristic gives h = 1 and k(d) = exp(-d^2 / 2).
  const Eigen::MatrixXd x = Points({{0}, {1}, {2}});
  const Eigen::MatrixXd y = Points({{0}, {1}, {3}});
  const double e05 = std::exp(-0.5), e2 = std::exp(-2.0), e45 = std::exp(-4.5);
  const double xx = (2 * e05 + e2) / 3;       // pairs (0,1), (0,2), (1,2), each twice, / 6
  const double yy = (e05 + e45 + e2) / 3;     // pairs (0,1), (0,3), (1,3)
  const double xy = (2 + 4 * e05 + 2 * e2 + e45) / 9;
  EXPECT_EQ(MedianHeuristicBandwidth(x, y), 1.0);
  const MmdResult result = UnbiasedMmd2(x, y);
  EXPECT_EQ(result.bandwidth, 1.0);
  EXPECT_NEAR(result.mmd2, xx + yy - 2 * xy, 1e-15);
}

TEST(MmdTest, TwoDimensionalPointsByHandWithAGivenBandwidth) {
  // x = {(0,0), (3,4)}, y = {(0,0), (0,1)}, h = 1: squared distances 25 within x, 1 within y,
  // 0, 1, 25, 18 across.
  const Eigen::MatrixXd x = Points({{0, 0}, {3, 4}});
  const Eigen::MatrixXd y = Points({{0, 0}, {0, 1}});
  MmdOptions options;
  options.bandwidth = 1.0;
  const double expected = std::exp(-12.5) + std::exp(-0.5) -
                          2 * (1 + std::exp(-0.5) + std::exp(-12.5) + std::exp(-9.0)) / 4;
  EXPECT_NEAR(UnbiasedMmd2(x, y, options).mmd2, expected, 1e-15);
  // h = 2 halves every exponent's 1/(2 h^2) factor to 1/8.
  options.bandwidth = 2.0;
  const double wider = std::exp(-25.0 / 8) + std::exp(-1.0 / 8) -
                       2 * (1 + std::exp(-1.0 / 8) + std::exp(-25.0 / 8) + std::exp(-18.0 / 8)) / 4;
  EXPECT_NEAR(UnbiasedMmd2(x, y, options).mmd2, wider, 1e-15);
}

TEST(MmdTest, UnbiasedUnderEqualLawsWhereTheVStatisticIsNot) {
  // 400 independent pairs of 20 + 20 points from N(0, I_2), h = 1. The U-statistic averages to
  // 0 (standard error ~0.001 here); the V-statistic, which keeps the i = j terms, averages to
  // (1/n + 1/m)(1 - E k(X, X')) = 0.1 * (1 - 1/3), so the test can tell them apart.
  MmdOptions options;
  options.bandwidth = 1.0;
  double u_sum = 0.0, v_sum = 0.0;
  constexpr int kPairs = 400;
  for (int r = 0; r < kPairs; ++r) {
    const Eigen::MatrixXd x = Draw("gmm-d:1,0/0,1", 20, 2 * r + 1);
    const Eigen::MatrixXd y = Draw("gmm-d:1,0/0,1", 20, 2 * r + 2);
    u_sum += UnbiasedMmd2(x, y, options).mmd2;
    double xx = 0, yy = 0, xy = 0;
    for (int i = 0; i < 20; ++i) {
      for (int j = 0; j < 20; ++j) {
        xx += std::exp(-0.5 * (x.row(i) - x.row(j)).squaredNorm());
        yy += std::exp(-0.5 * (y.row(i) - y.row(j)).squaredNorm());
        xy += std::exp(-0.5 * (x.row(i) - y.row(j)).squaredNorm());
      }
    }
    v_sum += (xx + yy - 2 * xy) / 400;
  }
  EXPECT_NEAR(u_sum / kPairs, 0.0, 0.005);
  EXPECT_NEAR(v_sum / kPairs, 0.1 * 2.0 / 3.0, 0.01);
}

TEST(MmdTest, DetectsAShiftAndTheMedianSubsetIsSeeded) {
  const Eigen::MatrixXd x = Draw("gmm-d:1,0/0,1", 800, 1);
  const Eigen::MatrixXd y = Draw("gmm-d:1,1/0,1", 800, 2);
  const Eigen::MatrixXd same = Draw("gmm-d:1,0/0,1", 800, 3);
  EXPECT_GT(UnbiasedMmd2(x, y).mmd2, 0.05);
  EXPECT_LT(std::abs(UnbiasedMmd2(x, same).mmd2), 0.005);
  // 1600 pooled points > 1000: a seeded subset; the same seed gives the same bandwidth, and
  // any subset gives nearly the full median.
  const double a = MedianHeuristicBandwidth(x, y, 1000, 7);
  EXPECT_EQ(a, MedianHeuristicBandwidth(x, y, 1000, 7));
  EXPECT_NEAR(a, MedianHeuristicBandwidth(x, y, 2000, 7), 0.03 * a);
}

TEST(SlicedWassersteinTest, DirectionsAreUnitAndIsotropic) {
  const Eigen::MatrixXd directions = RandomDirections(3, 20000, 5);
  EXPECT_EQ(directions, RandomDirections(3, 20000, 5));
  for (Eigen::Index l = 0; l < directions.rows(); ++l) {
    ASSERT_NEAR(directions.row(l).norm(), 1.0, 1e-14);
  }
  // E theta = 0 and E theta theta^T = I / 3 (standard errors ~0.004 and ~0.002).
  const Eigen::Matrix3d second = directions.transpose() * directions / 20000.0;
  EXPECT_LT((second - Eigen::Matrix3d::Identity() / 3).cwiseAbs().maxCoeff(), 0.01);
  EXPECT_LT(directions.colwise().mean().cwiseAbs().maxCoeff(), 0.02);
}

TEST(SlicedWassersteinTest, IdenticalSamplesAndAShift) {
  const Eigen::MatrixXd x = Draw("moons:0.1", 300, 1);
  EXPECT_EQ(SlicedWasserstein1(x, x, 50, 1), 0.0);
  // A shift s moves every projection by <s, theta>: the estimate is mean |<s, theta_l>| exactly,
  // and E|<s, theta>| = |s| E|theta_1| = |s| 2/pi in 2-D, |s| / 2 in 3-D.
  const Eigen::Vector2d shift(0.6, -0.8);
  const Eigen::MatrixXd shifted = x.rowwise() + shift.transpose();
  const Eigen::MatrixXd directions = RandomDirections(2, 4000, 9);
  const double expected = (directions * shift).cwiseAbs().mean();
  EXPECT_NEAR(SlicedWasserstein1(x, shifted, directions), expected, 1e-12);
  // Monte-Carlo error: sd of |cos| is sqrt(1/2 - 4/pi^2) = 0.31, so 0.005 at L = 4000.
  EXPECT_NEAR(SlicedWasserstein1(x, shifted, 4000, 9), 2.0 / std::numbers::pi, 0.02);
  const Eigen::MatrixXd cloud = Draw("gmm-d:1,0/0/0,1", 200, 4);
  const Eigen::MatrixXd moved = cloud.rowwise() + Eigen::RowVector3d(0, 0, 2);
  EXPECT_NEAR(SlicedWasserstein1(cloud, moved, 4000, 3), 2 * 0.5, 0.03);
}

TEST(SlicedWassersteinTest, OneDimensionIsW1) {
  const Eigen::MatrixXd x = Draw("gaussian", 100, 1), y = Draw("laplace", 70, 2);
  const double w1 = Wasserstein1(std::span<const double>(x.data(), 100),
                                 std::span<const double>(y.data(), 70));
  EXPECT_NEAR(SlicedWasserstein1(x, y, 10, 1), w1, 1e-13);
}

TEST(EnergyDistanceDTest, ByHandAndAgainstTheSortedOneDimensionalRoute) {
  // x = {(0,0), (3,4)}, y = {(0,0)}: 2 * (0 + 5)/2 - (0 + 5 + 5 + 0)/4 - 0 = 2.5.
  EXPECT_DOUBLE_EQ(EnergyDistance(Points({{0, 0}, {3, 4}}), Points({{0, 0}})), 2.5);
  const Eigen::MatrixXd x = Draw("mixture", 150, 1), y = Draw("gaussian", 120, 2);
  EXPECT_NEAR(EnergyDistance(x, y),
              EnergyDistance(std::span<const double>(x.data(), 150),
                             std::span<const double>(y.data(), 120)),
              1e-12);
  const Eigen::MatrixXd cloud = Draw("circle:1:0.1", 200, 3);
  EXPECT_NEAR(EnergyDistance(cloud, cloud), 0.0, 1e-12);
  EXPECT_GT(EnergyDistance(cloud, Draw("circle:2:0.1", 200, 4)), 0.2);
}

TEST(FisherDivergenceDTest, ScoreErrors) {
  const GaussianMixtureLaw law =
      GaussianMixtureLaw::FromSpec(ParseDistributionSpec("gmm-d:1,0/0,1;1,2/1,0.5"));
  const Eigen::MatrixXd x = Draw("gmm-d:1,0/0,1;1,2/1,0.5", 500, 6);
  const ScoreField truth = [&](const Eigen::VectorXd& p) { return law.Score(p); };
  EXPECT_EQ(FisherDivergence(x, truth, truth), 0.0);
  // A score off by the constant vector c everywhere: |c|^2.
  const Eigen::Vector2d c(0.3, -0.4);
  EXPECT_NEAR(FisherDivergence(
                  x, [&](const Eigen::VectorXd& p) -> Eigen::VectorXd { return law.Score(p) + c; },
                  truth),
              0.25, 1e-12);
  EXPECT_THAT(ErrorOf([&] {
                FisherDivergence(
                    x, [](const Eigen::VectorXd&) { return Eigen::VectorXd::Zero(3).eval(); },
                    truth);
              }),
              HasSubstr("wrong dimension"));
}

TEST(MultivariateMetricsTest, BadInput) {
  const Eigen::MatrixXd two_d = Points({{0, 0}, {1, 1}});
  const Eigen::MatrixXd three_d = Points({{0, 0, 0}, {1, 1, 1}});
  EXPECT_EQ(ErrorOf([&] { EnergyDistance(two_d, three_d); }),
            "energy distance: the samples have different dimensions (2 and 3)");
  EXPECT_EQ(ErrorOf([&] { UnbiasedMmd2(two_d, Points({{0, 0}})); }),
            "MMD^2: need at least 2 point(s) in each sample (got 2 and 1)");
  Eigen::MatrixXd with_nan = two_d;
  with_nan(1, 0) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(ErrorOf([&] { SlicedWasserstein1(with_nan, two_d, 10, 1); }),
            "sliced W1: a sample contains a NaN or infinite value");
  EXPECT_THAT(ErrorOf([&] { UnbiasedMmd2(Points({{1, 1}, {1, 1}}), Points({{1, 1}, {1, 1}})); }),
              HasSubstr("median distance between points is 0"));
  EXPECT_THROW(SlicedWasserstein1(two_d, two_d, 0, 1), Error);
}

}  // namespace
}  // namespace convexscore
