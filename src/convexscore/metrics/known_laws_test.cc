#include "convexscore/metrics/known_laws.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "convexscore/common.h"

namespace convexscore {
namespace {

// Composite Simpson rule on [a, b], split at `breaks` (kinks and jumps of the integrand) so
// that every piece is smooth; a piece's end values are its one-sided limits.
double Integrate(const std::function<double(double)>& f, double a, double b,
                 std::vector<double> breaks = {}) {
  breaks.push_back(a);
  breaks.push_back(b);
  std::sort(breaks.begin(), breaks.end());
  double total = 0.0;
  for (std::size_t p = 0; p + 1 < breaks.size(); ++p) {
    const double lo = std::clamp(breaks[p], a, b), hi = std::clamp(breaks[p + 1], a, b);
    if (hi <= lo) continue;
    constexpr int kIntervals = 20000;
    const double h = (hi - lo) / kIntervals;
    double sum = f(std::nextafter(lo, hi)) + f(std::nextafter(hi, lo));
    for (int i = 1; i < kIntervals; ++i) sum += (i % 2 == 1 ? 4.0 : 2.0) * f(lo + i * h);
    total += sum * h / 3.0;
  }
  return total;
}

struct LawCase {
  std::string spec;
  std::vector<double> breaks;  // where the density has a kink or jump
};

class UnivariateLawTest : public ::testing::TestWithParam<LawCase> {
 protected:
  static constexpr double kFar = 40.0;  // every test law has negligible mass beyond it
  UnivariateLaw law_ = UnivariateLaw::FromSpec(ParseDistributionSpec(GetParam().spec));
};

TEST_P(UnivariateLawTest, DensityIntegratesToOneAndToTheCdf) {
  const auto& breaks = GetParam().breaks;
  const auto density = [&](double x) { return law_.Density(x); };
  EXPECT_NEAR(Integrate(density, -kFar, kFar, breaks), 1.0, 1e-9);
  for (double x : {-3.0, -1.0, 0.2, 1.0, 2.5}) {
    EXPECT_NEAR(law_.Cdf(x), Integrate(density, -kFar, x, breaks), 1e-9) << x;
  }
  EXPECT_NEAR(law_.Mean(), Integrate([&](double x) { return x * density(x); }, -kFar, kFar,
                                     breaks),
              1e-9);
}

TEST_P(UnivariateLawTest, LowerPartialMomentIsTheIntegralOfTheCdf) {
  const auto& breaks = GetParam().breaks;
  const auto cdf = [&](double x) { return law_.Cdf(x); };
  for (double x : {-3.0, -0.7, 0.0, 1.0, 4.0}) {
    EXPECT_NEAR(law_.LowerPartialMoment(x), Integrate(cdf, -kFar, x, breaks), 1e-9) << x;
  }
}

TEST_P(UnivariateLawTest, MeanAbsoluteDifferenceIsTwiceTheIntegralOfFTimesOneMinusF) {
  // E|Y - Y'| = 2 integral F (1 - F) dx for independent copies.
  const auto f_survival = [&](double x) { return law_.Cdf(x) * (1.0 - law_.Cdf(x)); };
  EXPECT_NEAR(law_.MeanAbsoluteDifference(),
              2.0 * Integrate(f_survival, -kFar, kFar, GetParam().breaks), 1e-9);
}

TEST_P(UnivariateLawTest, QuantileInvertsTheCdf) {
  for (double p : {1e-6, 0.01, 0.25, 0.5, 0.8, 0.999}) {
    EXPECT_NEAR(law_.Cdf(law_.Quantile(p)), p, 1e-12) << p;
  }
  EXPECT_THROW(law_.Quantile(0.0), Error);
  EXPECT_THROW(law_.Quantile(1.0), Error);
}

TEST_P(UnivariateLawTest, ScoreIsTheDerivativeOfTheLogDensity) {
  if (!law_.HasScore()) {
    EXPECT_THROW(law_.Score(0.5), Error);
    return;
  }
  for (double x : {-2.7, -0.3, 0.6, 1.9, 3.3}) {  // away from the Laplace kink
    const double h = 1e-5;
    const double slope = (law_.LogDensity(x + h) - law_.LogDensity(x - h)) / (2 * h);
    EXPECT_NEAR(law_.Score(x), slope, 1e-6) << x;
    EXPECT_NEAR(law_.LogDensity(x), std::log(law_.Density(x)), 1e-12) << x;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Specs, UnivariateLawTest,
    ::testing::Values(LawCase{"gaussian:0.5:2", {}}, LawCase{"laplace:1:0.5", {1.0}},
                      LawCase{"uniform:-1:3", {-1.0, 3.0}},
                      LawCase{"mixture:0.3,-2,0.5;0.7,1,1.5", {}},
                      LawCase{"gmm-d:1,0,1;2,3,0.5", {}}),
    [](const auto& info) { return "Law" + std::to_string(info.index); });

TEST(UnivariateLawClosedFormTest, KnownValues) {
  const auto law = [](const char* spec) {
    return UnivariateLaw::FromSpec(ParseDistributionSpec(spec));
  };
  const double sqrt_pi = std::sqrt(std::numbers::pi);
  EXPECT_NEAR(law("gaussian").MeanAbsoluteDifference(), 2.0 / sqrt_pi, 1e-15);
  EXPECT_NEAR(law("gaussian:0:3").MeanAbsoluteDifference(), 6.0 / sqrt_pi, 1e-14);
  EXPECT_EQ(law("laplace:0:2").MeanAbsoluteDifference(), 3.0);
  EXPECT_EQ(law("uniform:0:6").MeanAbsoluteDifference(), 2.0);
  EXPECT_NEAR(law("gaussian").Quantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(law("gaussian").LowerPartialMoment(0.0), 1.0 / std::sqrt(2 * std::numbers::pi),
              1e-15);
  // Far tails do not underflow: log N(50; 0, 1) = -1250 - log sqrt(2 pi).
  EXPECT_NEAR(law("gaussian").LogDensity(50.0), -1250.0 - 0.9189385332046727, 1e-9);
  EXPECT_NEAR(law("mixture:1,-1,1;1,1,1").Score(60.0), -59.0, 1e-9);
  EXPECT_EQ(law("uniform:0:1").LogDensity(1.5), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(law("laplace:1:2").Score(1.0), 0.0);
  EXPECT_EQ(law("laplace:1:2").Score(3.0), -0.5);
}

TEST(UnivariateLawClosedFormTest, OnlyUnivariateSpecs) {
  try {
    UnivariateLaw::FromSpec(ParseDistributionSpec("moons"));
    ADD_FAILURE() << "moons accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "'moons' is 2-dimensional with no closed-form density; a univariate law "
              "(gaussian, laplace, uniform, mixture) is needed here");
  }
  EXPECT_THROW(UnivariateLaw::FromSpec(ParseDistributionSpec("gmm-d:1,0/0,1")), Error);
}

TEST(GaussianMixtureLawTest, LogDensityAndScoreOfOneGaussian) {
  const GaussianMixtureLaw law =
      GaussianMixtureLaw::FromSpec(ParseDistributionSpec("gmm-d:1,1/-2,0.5/2"));
  ASSERT_EQ(law.Dimension(), 2);
  const Eigen::Vector2d x(0.3, 1.0);
  // Independent coordinates: log N(0.3; 1, 0.25) + log N(1; -2, 4).
  const double expected = -std::log(0.5) - 0.5 * std::pow((0.3 - 1) / 0.5, 2) - std::log(2.0) -
                          0.5 * std::pow(3.0 / 2.0, 2) - 2 * 0.9189385332046727;
  EXPECT_NEAR(law.LogDensity(x), expected, 1e-13);
  EXPECT_NEAR(law.Score(x)(0), -(0.3 - 1) / 0.25, 1e-13);
  EXPECT_NEAR(law.Score(x)(1), -(1.0 + 2.0) / 4.0, 1e-13);
}

TEST(GaussianMixtureLawTest, ScoreIsTheGradientOfTheLogDensity) {
  const GaussianMixtureLaw law = GaussianMixtureLaw::FromSpec(
      ParseDistributionSpec("gmm-d:1,-1/0/1,0.5;2,1/1/0,0.3/0.7/1;1,0/2/2,1"));
  for (const Eigen::Vector3d& x :
       {Eigen::Vector3d(0, 0, 0), Eigen::Vector3d(0.9, 1.2, -0.3), Eigen::Vector3d(-3, 4, 2)}) {
    const Eigen::VectorXd score = law.Score(x);
    for (int k = 0; k < 3; ++k) {
      const double h = 1e-5;
      const Eigen::Vector3d step = Eigen::Vector3d::Unit(k) * h;
      const double slope = (law.LogDensity(x + step) - law.LogDensity(x - step)) / (2 * h);
      EXPECT_NEAR(score(k), slope, 1e-6 * (1 + std::abs(slope)));
    }
  }
  // A 1-D mixture is the d = 1 case of the same law.
  const GaussianMixtureLaw one_d =
      GaussianMixtureLaw::FromSpec(ParseDistributionSpec("mixture:1,-1,0.5;3,2,1"));
  const UnivariateLaw univariate =
      UnivariateLaw::FromSpec(ParseDistributionSpec("mixture:1,-1,0.5;3,2,1"));
  for (double v : {-2.0, 0.1, 1.7}) {
    EXPECT_NEAR(one_d.LogDensity(Eigen::VectorXd::Constant(1, v)), univariate.LogDensity(v), 1e-13);
    EXPECT_NEAR(one_d.Score(Eigen::VectorXd::Constant(1, v))(0), univariate.Score(v), 1e-12);
  }
  EXPECT_THROW(GaussianMixtureLaw::FromSpec(ParseDistributionSpec("laplace")), Error);
  EXPECT_THROW(law.LogDensity(Eigen::Vector2d(0, 0)), Error);
}

}  // namespace
}  // namespace convexscore
