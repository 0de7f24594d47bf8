#include "convexscore/data/generators.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <numeric>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/common.h"
#include "convexscore/data/distribution_spec.h"

namespace convexscore {
namespace {

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double MixtureCdf(double x) {
  return 0.4 * NormalCdf((x + 2.0) / 0.5) + 0.6 * NormalCdf((x - 1.5) / 0.7);
}

double LaplaceCdf(double x) { return x < 0 ? 0.5 * std::exp(x) : 1.0 - 0.5 * std::exp(-x); }

// Kolmogorov-Smirnov distance between the sample and a continuous CDF.
double KolmogorovDistance(std::vector<double> sample, const std::function<double(double)>& cdf) {
  std::sort(sample.begin(), sample.end());
  const double n = static_cast<double>(sample.size());
  double distance = 0.0;
  for (std::size_t i = 0; i < sample.size(); ++i) {
    const double f = cdf(sample[i]);
    distance = std::max({distance, f - i / n, (i + 1) / n - f});
  }
  return distance;
}

struct Moments {
  double mean = 0, variance = 0, skewness = 0, kurtosis = 0;
};

Moments MomentsOf(const std::vector<double>& x) {
  const double n = static_cast<double>(x.size());
  Moments m;
  m.mean = std::accumulate(x.begin(), x.end(), 0.0) / n;
  double m2 = 0, m3 = 0, m4 = 0;
  for (double v : x) {
    const double d = v - m.mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  m.variance = m2;
  m.skewness = m3 / std::pow(m2, 1.5);
  m.kurtosis = m4 / (m2 * m2);
  return m;
}

constexpr int kLarge = 200000;
constexpr double kPi = std::numbers::pi;

TEST(Generate1DTest, SameSeedSameNumbersOtherSeedOtherNumbers) {
  for (const char* kind : {"gaussian", "mixture", "laplace"}) {
    const auto a = Generate1D(kind, 1000, 42);
    EXPECT_EQ(a, Generate1D(kind, 1000, 42)) << kind;
    EXPECT_NE(a, Generate1D(kind, 1000, 43)) << kind;
    // A longer run starts with the shorter one: n does not change the stream.
    const auto longer = Generate1D(kind, 1500, 42);
    EXPECT_TRUE(std::equal(a.begin(), a.end(), longer.begin())) << kind;
    EXPECT_TRUE(std::all_of(a.begin(), a.end(), [](double v) { return std::isfinite(v); }));
  }
}

TEST(Generate1DTest, PinnedValuesDoNotDrift) {
  // Pinned from this implementation (mt19937_64 seed 1, own transforms). A change here changes
  // every recorded experiment; the tolerance only absorbs last-digit libm differences.
  const auto gaussian = Generate1D("gaussian", 3, 1);
  const auto mixture = Generate1D("mixture", 3, 1);
  const auto laplace = Generate1D("laplace", 3, 1);
  const std::vector<std::pair<std::vector<double>, std::vector<double>>> cases = {
      {gaussian, {1.3128515289855616, 1.2506039211781215, 1.228521999961057}},
      {mixture, {-2.9515057051531914, -1.3857390000194716, 0.055587939416848142}},
      {laplace, {-1.3176892895240204, -1.2989647680809122, -0.10266436721353124}},
  };
  for (const auto& [actual, expected] : cases) {
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i) {
      EXPECT_NEAR(actual[i], expected[i], 1e-12 * (1 + std::abs(expected[i]))) << i;
    }
  }
}

TEST(Generate1DTest, GaussianIsStandardNormal) {
  const auto x = Generate1D("gaussian", kLarge, 7);
  const Moments m = MomentsOf(x);
  // Standard errors at n = 2e5: mean 0.0022, variance 0.0032, skewness 0.0055, kurtosis 0.011.
  EXPECT_NEAR(m.mean, 0.0, 0.01);
  EXPECT_NEAR(m.variance, 1.0, 0.02);
  EXPECT_NEAR(m.skewness, 0.0, 0.03);
  EXPECT_NEAR(m.kurtosis, 3.0, 0.06);
  // The 1% critical KS distance at this n is 1.63 / sqrt(n) = 0.0036.
  EXPECT_LT(KolmogorovDistance(x, NormalCdf), 0.0036);
}

TEST(Generate1DTest, MixtureHasItsTwoComponents) {
  const auto x = Generate1D("mixture", kLarge, 7);
  const Moments m = MomentsOf(x);
  // Mean 0.4 * -2 + 0.6 * 1.5 = 0.1; variance E[x^2] - mean^2 = 3.344 - 0.01 = 3.334.
  EXPECT_NEAR(m.mean, 0.1, 0.02);
  EXPECT_NEAR(m.variance, 3.334, 0.03);
  const double left = std::count_if(x.begin(), x.end(), [](double v) { return v < 0; });
  EXPECT_NEAR(left / kLarge, MixtureCdf(0.0), 0.005);
  EXPECT_LT(KolmogorovDistance(x, MixtureCdf), 0.0036);
}

TEST(Generate1DTest, LaplaceHasUnitScale) {
  const auto x = Generate1D("laplace", kLarge, 7);
  const Moments m = MomentsOf(x);
  // Laplace(0, 1): variance 2, kurtosis 6 (its estimate is noisier: standard error ~0.05).
  EXPECT_NEAR(m.mean, 0.0, 0.015);
  EXPECT_NEAR(m.variance, 2.0, 0.04);
  EXPECT_NEAR(m.skewness, 0.0, 0.1);
  EXPECT_NEAR(m.kurtosis, 6.0, 0.3);
  EXPECT_LT(KolmogorovDistance(x, LaplaceCdf), 0.0036);
}

TEST(Generate1DTest, RejectsTooFewPointsAndUnknownKinds) {
  for (int n : {-5, 0, 1}) {
    try {
      Generate1D("gaussian", n, 1);
      ADD_FAILURE() << "n = " << n << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()),
                "the generator needs n >= 2 points (got n = " + std::to_string(n) + ")");
    }
  }
  try {
    Generate1D("uniform", 10, 1);
    ADD_FAILURE() << "unknown kind accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "unknown generator 'uniform' (expected gaussian, mixture or laplace)");
  }
  EXPECT_EQ(Generate1D("gaussian", 2, 1).size(), 2u);
}


std::vector<double> Column(const Eigen::MatrixXd& points, Eigen::Index column) {
  return std::vector<double>(points.col(column).data(),
                             points.col(column).data() + points.rows());
}

Eigen::MatrixXd Draw(std::string_view spec, int n, std::uint64_t seed) {
  return GenerateFromSpec(ParseDistributionSpec(spec), n, seed);
}

TEST(GenerateFromSpecTest, TheOldKindsAreTheirSpecsDefaults) {
  for (const char* kind : {"gaussian", "mixture", "laplace"}) {
    EXPECT_EQ(Generate1D(kind, 500, 9), Column(Draw(kind, 500, 9), 0)) << kind;
  }
  // Explicit default parameters give the same stream.
  EXPECT_EQ(Generate1D("mixture", 300, 2),
            Column(Draw("mixture:0.4,-2,0.5;0.6,1.5,0.7", 300, 2), 0));
  EXPECT_EQ(Generate1D("gaussian", 300, 2), Column(Draw("gaussian:0:1", 300, 2), 0));
}

TEST(GenerateFromSpecTest, ShapesSeedsAndPrefixes) {
  for (const char* spec : {"gaussian:1:2", "laplace:-1:0.5", "uniform:-1:1",
                           "mixture:1,0,1;2,5,1", "moons:0.1", "circle:2:0.1", "spiral:100:0.5",
                           "gmm-d:1,0/1/2,1;1,3/3/3,0.5"}) {
    SCOPED_TRACE(spec);
    const DistributionSpec parsed = ParseDistributionSpec(spec);
    const Eigen::MatrixXd a = GenerateFromSpec(parsed, 400, 42);
    EXPECT_EQ(a.rows(), 400);
    EXPECT_EQ(a.cols(), parsed.Dimension());
    EXPECT_TRUE(a.allFinite());
    EXPECT_EQ(a, GenerateFromSpec(parsed, 400, 42));
    EXPECT_NE(a, GenerateFromSpec(parsed, 400, 43));
    const Eigen::MatrixXd longer = GenerateFromSpec(parsed, 600, 42);
    EXPECT_EQ(a, longer.topRows(400));
  }
  EXPECT_EQ(Draw("gmm-d:1,0/1/2,1", 10, 1).cols(), 3);
}

TEST(GenerateFromSpecTest, PinnedValuesDoNotDrift) {
  // Pinned from this implementation; the tolerance only absorbs last-digit libm differences.
  const Eigen::MatrixXd uniform = Draw("uniform:-1:1", 2, 1);
  const Eigen::MatrixXd circle = Draw("circle", 1, 1);
  EXPECT_NEAR(uniform(0, 0), -0.73224671197493463, 1e-12);
  EXPECT_NEAR(uniform(1, 0), -0.72718592726760545, 1e-12);
  EXPECT_NEAR(circle(0, 0), 0.66658982283487767, 1e-12);
  EXPECT_NEAR(circle(0, 1), 0.74542471658308085, 1e-12);
}

TEST(GenerateFromSpecTest, GaussianLaplaceUniformAndMixtureHaveTheirMoments) {
  // Standard errors at n = 2e5 are below a quarter of each tolerance.
  const Moments gaussian = MomentsOf(Column(Draw("gaussian:3:2", kLarge, 5), 0));
  EXPECT_NEAR(gaussian.mean, 3.0, 0.02);
  EXPECT_NEAR(gaussian.variance, 4.0, 0.06);
  const Moments laplace = MomentsOf(Column(Draw("laplace:-1:0.5", kLarge, 5), 0));
  EXPECT_NEAR(laplace.mean, -1.0, 0.01);
  EXPECT_NEAR(laplace.variance, 2 * 0.25, 0.01);  // 2 b^2
  EXPECT_NEAR(laplace.kurtosis, 6.0, 0.3);
  const std::vector<double> uniform = Column(Draw("uniform:-1:3", kLarge, 5), 0);
  const Moments u = MomentsOf(uniform);
  EXPECT_NEAR(u.mean, 1.0, 0.02);
  EXPECT_NEAR(u.variance, 16.0 / 12.0, 0.015);  // (HI - LO)^2 / 12
  EXPECT_GT(*std::min_element(uniform.begin(), uniform.end()), -1.0);
  EXPECT_LT(*std::max_element(uniform.begin(), uniform.end()), 3.0);
  EXPECT_LT(KolmogorovDistance(uniform, [](double x) { return std::clamp((x + 1) / 4, 0.0, 1.0); }),
            0.0036);
  // Weights 1:3 are 0.25 and 0.75: mean 0.25 * -2 + 0.75 * 2 = 1, E x^2 = 0.25 * 4.25 +
  // 0.75 * 4.0625 = 4.109375, variance 3.109375.
  const std::vector<double> mixture = Column(Draw("mixture:1,-2,0.5;3,2,0.25", kLarge, 5), 0);
  const Moments m = MomentsOf(mixture);
  EXPECT_NEAR(m.mean, 1.0, 0.02);
  EXPECT_NEAR(m.variance, 3.109375, 0.03);
  const double left = std::count_if(mixture.begin(), mixture.end(), [](double v) { return v < 0; });
  EXPECT_NEAR(left / kLarge, 0.25, 0.005);
}

TEST(GenerateFromSpecTest, GaussianMixtureInDDimensions) {
  // Components 0.5 N((-2, 0, 1), diag(0.5^2, 1, 0.1^2)) + 0.5 N((2, 0, 1), same).
  const Eigen::MatrixXd x = Draw("gmm-d:1,-2/0/1,0.5/1/0.1;1,2/0/1,0.5/1/0.1", kLarge, 8);
  ASSERT_EQ(x.cols(), 3);
  const Moments first = MomentsOf(Column(x, 0));
  const Moments second = MomentsOf(Column(x, 1));
  const Moments third = MomentsOf(Column(x, 2));
  EXPECT_NEAR(first.mean, 0.0, 0.02);
  EXPECT_NEAR(first.variance, 4.0 + 0.25, 0.04);  // between + within components
  EXPECT_NEAR(second.mean, 0.0, 0.01);
  EXPECT_NEAR(second.variance, 1.0, 0.02);
  EXPECT_NEAR(third.mean, 1.0, 0.001);
  EXPECT_NEAR(third.variance, 0.01, 0.0002);
  // Coordinates are independent given the component: no correlation between 2 and 3.
  const Eigen::VectorXd centred1 = x.col(1).array() - x.col(1).mean();
  const Eigen::VectorXd centred2 = x.col(2).array() - x.col(2).mean();
  EXPECT_NEAR(centred1.dot(centred2) / kLarge / 0.1, 0.0, 0.01);
}

TEST(GenerateFromSpecTest, CircleLiesOnItsRadiusWithUniformAngles) {
  const Eigen::MatrixXd clean = Draw("circle:2.5", 20000, 3);
  for (Eigen::Index i = 0; i < clean.rows(); ++i) {
    ASSERT_NEAR(clean.row(i).norm(), 2.5, 1e-12) << i;
  }
  std::vector<double> angles(static_cast<std::size_t>(clean.rows()));
  for (Eigen::Index i = 0; i < clean.rows(); ++i) {
    angles[static_cast<std::size_t>(i)] = std::atan2(clean(i, 1), clean(i, 0));
  }
  // Uniform on (-pi, pi]: 1% KS critical value at n = 2e4 is 1.63 / sqrt(n) = 0.0115.
  EXPECT_LT(KolmogorovDistance(angles, [](double a) { return (a + kPi) / (2 * kPi); }), 0.0115);
  // The noisy circle is the clean one plus N(0, 0.1^2) per coordinate.
  const Eigen::MatrixXd noisy = Draw("circle:2.5:0.1", 20000, 3);
  const Eigen::MatrixXd noise = noisy - clean;
  const Moments dx = MomentsOf(Column(noise, 0));
  EXPECT_NEAR(dx.mean, 0.0, 0.003);
  EXPECT_NEAR(std::sqrt(dx.variance), 0.1, 0.003);
}

TEST(GenerateFromSpecTest, SpiralFollowsTheorySectionSeven) {
  // Base point j (0-based) of a POINTS-point spiral: phi_j = j pi / 20,
  // r_j = 10 (POINTS - j) / POINTS; draw i is base point i mod POINTS.
  const Eigen::MatrixXd spiral = Draw("spiral", 250, 1);
  EXPECT_NEAR(spiral(0, 0), 10.0, 1e-12);  // j = 0: phi = 0, r = 10
  EXPECT_NEAR(spiral(0, 1), 0.0, 1e-12);
  EXPECT_NEAR(spiral(10, 0), 0.0, 1e-12);  // j = 10: phi = pi / 2, r = 9
  EXPECT_NEAR(spiral(10, 1), 9.0, 1e-12);
  EXPECT_NEAR(spiral(20, 0), -8.0, 1e-12);  // j = 20: phi = pi, r = 8
  EXPECT_NEAR(spiral(99, 0), 0.1 * std::cos(99 * kPi / 20), 1e-12);  // smallest radius 0.1
  EXPECT_NEAR(spiral(99, 1), 0.1 * std::sin(99 * kPi / 20), 1e-12);
  for (int j = 0; j < 100; ++j) {
    EXPECT_NEAR(spiral.row(j).norm(), 10.0 * (100 - j) / 100.0, 1e-12) << j;
    EXPECT_EQ(spiral.row(j), spiral.row(j + 100));
    if (j < 50) EXPECT_EQ(spiral.row(j), spiral.row(j + 200));
  }
  // Another point count rescales the radii, not the angles.
  const Eigen::MatrixXd small = Draw("spiral:4", 4, 1);
  EXPECT_NEAR(small(1, 0), 7.5 * std::cos(kPi / 20), 1e-12);
  EXPECT_NEAR(small(3, 1), 2.5 * std::sin(3 * kPi / 20), 1e-12);
}

TEST(GenerateFromSpecTest, MoonsAlternateOnTheirHalfCircles) {
  const Eigen::MatrixXd moons = Draw("moons", 2000, 4);
  for (Eigen::Index i = 0; i < moons.rows(); ++i) {
    const double x = moons(i, 0), y = moons(i, 1);
    if (i % 2 == 0) {  // upper moon: unit circle around (0, 0), y >= 0
      ASSERT_NEAR(std::hypot(x, y), 1.0, 1e-12) << i;
      ASSERT_GE(y, 0.0) << i;
    } else {  // lower moon: unit circle around (1, 0.5), y <= 0.5
      ASSERT_NEAR(std::hypot(x - 1.0, y - 0.5), 1.0, 1e-12) << i;
      ASSERT_LE(y, 0.5) << i;
    }
  }
  // Means: upper moon (0, 2/pi), lower moon (1, 0.5 - 2/pi); together (0.5, 0.25).
  EXPECT_NEAR(moons.col(0).mean(), 0.5, 0.03);
  EXPECT_NEAR(moons.col(1).mean(), 0.25, 0.02);
}

TEST(GenerateFromSpecTest, BadCounts) {
  EXPECT_THROW(Draw("gaussian", 0, 1), Error);
  try {
    GenerateFromSpec1D(ParseDistributionSpec("moons"), 10, 1);
    ADD_FAILURE() << "a 2-D spec accepted as univariate";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "'moons' is 2-dimensional; a univariate law is needed here");
  }
  EXPECT_EQ(GenerateFromSpec1D(ParseDistributionSpec("uniform"), 1, 1).size(), 1u);
}

}  // namespace
}  // namespace convexscore
