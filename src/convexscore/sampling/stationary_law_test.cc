#include "convexscore/sampling/stationary_law.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/common.h"
#include "convexscore/model/network1d.h"
#include "convexscore/sampling/random.h"

namespace convexscore {
namespace {

using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();

// A score made of one line, with optional kinks that do not bend it (each piece is then a
// truncated Gaussian, but the law must still be N(m, v)).
PiecewiseLinear1D LinearScore(double mean, double variance, std::vector<double> kinks = {}) {
  PiecewiseLinear1D score;
  score.kinks = std::move(kinks);
  score.slopes.assign(score.kinks.size() + 1, -1.0 / variance);
  score.intercepts.assign(score.kinks.size() + 1, mean / variance);
  return score;
}

// Continuous piecewise-linear score with the given kinks and slopes and value `value_at_first`
// at the first kink.
PiecewiseLinear1D ContinuousScore(std::vector<double> kinks, std::vector<double> slopes,
                                  double value_at_first) {
  PiecewiseLinear1D score;
  score.kinks = std::move(kinks);
  score.slopes = std::move(slopes);
  score.intercepts.resize(score.slopes.size());
  double value = value_at_first;  // f at the left end of the current piece
  score.intercepts[0] = value - score.slopes[0] * score.kinks[0];
  for (std::size_t k = 1; k < score.slopes.size(); ++k) {
    const double t = score.kinks[k - 1];
    if (k > 1) value = score.slopes[k - 1] * t + score.intercepts[k - 1];
    score.intercepts[k] = value - score.slopes[k] * t;
  }
  return score;
}

// Random continuous scores whose law exists: kinks in [-4, 4], interior slopes in [-3, 2]
// (so some pieces are convex), decaying outer pieces.
PiecewiseLinear1D RandomScore(std::uint64_t seed, int kink_count) {
  Xoshiro256StarStar rng(seed);
  std::vector<double> kinks(kink_count);
  for (double& t : kinks) t = -4.0 + 8.0 * rng.Uniform();
  std::sort(kinks.begin(), kinks.end());
  std::vector<double> slopes(kink_count + 1);
  for (double& a : slopes) a = -3.0 + 5.0 * rng.Uniform();
  slopes.front() = -0.2 - 2.0 * rng.Uniform();
  slopes.back() = -0.2 - 2.0 * rng.Uniform();
  return ContinuousScore(kinks, slopes, -2.0 + 4.0 * rng.Uniform());
}

double Phi(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

// Adaptive Simpson's rule in long double: an integrator that shares nothing with the law's
// own (closed forms and Gauss-Legendre).
long double Simpson(const std::function<long double(long double)>& f, long double a, long double b,
                    long double fa, long double fm, long double fb, long double whole,
                    long double tolerance, int depth) {
  const long double m = 0.5L * (a + b), lm = 0.5L * (a + m), rm = 0.5L * (m + b);
  const long double flm = f(lm), frm = f(rm);
  const long double left = (m - a) / 6 * (fa + 4 * flm + fm);
  const long double right = (b - m) / 6 * (fm + 4 * frm + fb);
  const long double delta = left + right - whole;
  if (depth <= 0 || std::abs(delta) <= 15 * tolerance) return left + right + delta / 15;
  return Simpson(f, a, m, fa, flm, fm, left, tolerance / 2, depth - 1) +
         Simpson(f, m, b, fm, frm, fb, right, tolerance / 2, depth - 1);
}

long double Integrate(const std::function<long double(long double)>& f, long double a,
                      long double b, long double tolerance = 1e-15L) {
  const long double fa = f(a), fm = f(0.5L * (a + b)), fb = f(b);
  return Simpson(f, a, b, fa, fm, fb, (b - a) / 6 * (fa + 4 * fm + fb), tolerance, 40);
}

// Integral of g(x) p(x) over the real line, piece by piece between the kinks, the outer pieces
// cut where the density has fallen below 1e-40 of its value at the last kink.
long double IntegrateAgainstDensity(const StationaryLaw1D& law,
                                    const std::function<long double(long double)>& g) {
  const std::vector<double>& kinks = law.score().kinks;
  std::vector<double> ends = kinks;
  const auto reach = [&](double from, double direction) {
    double width = 1.0;
    while (law.Density(from + direction * width) > 1e-40 * std::max(law.Density(from), 1e-300)) {
      width *= 1.5;
    }
    return from + direction * width;
  };
  const double middle = kinks.empty() ? law.Mean() : 0.0;
  ends.insert(ends.begin(), reach(kinks.empty() ? middle : kinks.front(), -1.0));
  ends.push_back(reach(kinks.empty() ? middle : kinks.back(), 1.0));
  if (kinks.empty()) ends.insert(ends.begin() + 1, middle);
  long double total = 0.0L;
  for (std::size_t i = 0; i + 1 < ends.size(); ++i) {
    // Evaluate strictly inside the piece, so a kink's point belongs to the piece being done.
    const double a = ends[i], b = ends[i + 1];
    total += Integrate(
        [&](long double x) {
          const double inside =
              std::clamp(static_cast<double>(x), std::nextafter(a, kInf), std::nextafter(b, -kInf));
          return g(x) * static_cast<long double>(law.Density(inside));
        },
        a, b);
  }
  return total;
}

TEST(StationaryLawTest, LinearScoreGivesTheGaussianExactly) {
  const double m = 1.3, v = 0.7, sd = std::sqrt(v);
  for (const std::vector<double>& kinks :
       {std::vector<double>{}, std::vector<double>{-1.0, 0.5, 1.31, 2.0, 40.0}}) {
    SCOPED_TRACE(kinks.size());
    const StationaryLaw1D law(LinearScore(m, v, kinks));
    for (double z : {-30.0, -8.0, -2.5, -0.3, 0.0, 0.01, 1.0, 3.7, 9.0, 30.0}) {
      const double x = m + z * sd;
      const double density = std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi * v);
      EXPECT_NEAR(law.Density(x), density, 1e-12 * density) << "z = " << z;
      EXPECT_NEAR(law.LogDensity(x), std::log(density), 1e-12 * std::max(1.0, 0.5 * z * z));
      // Both tails to 1e-12 relative: the lower tail from Cdf, the upper from Survival.
      const double lower = Phi(z), upper = Phi(-z);
      EXPECT_NEAR(law.Cdf(x), lower, 1e-12 * lower) << "z = " << z;
      EXPECT_NEAR(law.Survival(x), upper, 1e-12 * upper) << "z = " << z;
      // Quantiles: exact in the lower tail; in the upper tail p = 1 - upper is itself rounded
      // (by up to 1.1e-16), which moves x by up to that over the density.
      if (z <= 0.0) {
        EXPECT_NEAR(law.Quantile(lower), x, 1e-12 * std::abs(x)) << "z = " << z;
      } else if (upper > 1e-6) {
        EXPECT_NEAR(law.Quantile(1.0 - upper), x, 1e-12 * std::abs(x) + 2e-16 / density)
            << "z = " << z;
      }
    }
    EXPECT_NEAR(law.Mean(), m, 1e-12);
    EXPECT_NEAR(law.Variance(), v, 1e-12);
    EXPECT_EQ(law.Quantile(0.0), -kInf);
    EXPECT_EQ(law.Quantile(1.0), kInf);
    EXPECT_TRUE(std::isnan(law.Quantile(1.5)));
    EXPECT_EQ(law.Cdf(-kInf), 0.0);
    EXPECT_EQ(law.Cdf(kInf), 1.0);
    EXPECT_EQ(law.Density(kInf), 0.0);
  }
}

TEST(StationaryLawTest, FarAwayNarrowGaussianKeepsItsMoments) {
  // N(1e4, 1e-6) written as f(x) = -1e6 x + 1e10: the score itself is known only to about
  // 1e10 * 1.1e-16 ~ 1e-6 near the mode, which can move the law by 1e-6 * v ~ 1e-12, i.e. 1e-9
  // standard deviations; hence the tolerances. E[x^2] - E[x]^2 would lose everything here.
  const double m = 1e4, v = 1e-6;
  const StationaryLaw1D law(LinearScore(m, v, {m - 1e-3, m + 2e-4}));
  EXPECT_NEAR(law.Mean(), m, 1e-15 * m);
  EXPECT_NEAR(law.Variance(), v, 1e-8 * v);
  EXPECT_NEAR(law.Cdf(m), 0.5, 1e-8);
  EXPECT_NEAR(law.Quantile(Phi(-3.0)), m - 3e-3, 1e-15 * m);
}

TEST(StationaryLawTest, KinksFarFromTheMassDoNotSpoilIt) {
  // Training can push units off the data: kinks at +-1e69 around a standard normal bulk. The
  // outer pieces have other slopes (the score stays continuous). F at those kinks is about
  // -5e137; expanded about them, F near 0 would be lost to cancellation.
  PiecewiseLinear1D score;
  const double far = 1e69;
  score.kinks = {-far, far};
  score.slopes = {-2.0, -1.0, -3.0};
  score.intercepts = {-far, 0.0, 2.0 * far};  // continuous at both kinks
  const StationaryLaw1D law(score);
  EXPECT_NEAR(law.Mean(), 0.0, 1e-12);
  EXPECT_NEAR(law.Variance(), 1.0, 1e-12);
  EXPECT_NEAR(law.Cdf(0.0), 0.5, 1e-14);
  EXPECT_NEAR(law.Density(0.0), 1.0 / std::sqrt(2.0 * std::numbers::pi), 1e-14);
  EXPECT_NEAR(law.Quantile(Phi(1.5)), 1.5, 1e-12);
}

TEST(StationaryLawTest, ConstantTailsGiveTheLaplaceLaw) {
  // f(x) = +1 left of 0, -1 right of it: p(x) = exp(-|x|) / 2.
  PiecewiseLinear1D laplace;
  laplace.kinks = {0.0};
  laplace.slopes = {0.0, 0.0};
  laplace.intercepts = {1.0, -1.0};
  const StationaryLaw1D exact(laplace);
  for (double x : {-50.0, -3.0, -0.5, 0.0, 0.25, 2.0, 40.0}) {
    const double density = 0.5 * std::exp(-std::abs(x));
    EXPECT_NEAR(exact.Density(x), density, 1e-14 * density) << x;
    const double lower = x < 0 ? 0.5 * std::exp(x) : 1.0 - 0.5 * std::exp(-x);
    const double upper = x < 0 ? 1.0 - 0.5 * std::exp(x) : 0.5 * std::exp(-x);
    EXPECT_NEAR(exact.Cdf(x), lower, 1e-14 * lower) << x;
    EXPECT_NEAR(exact.Survival(x), upper, 1e-14 * upper) << x;
  }
  EXPECT_NEAR(exact.Mean(), 0.0, 1e-14);
  EXPECT_NEAR(exact.Variance(), 2.0, 1e-13);
  EXPECT_NEAR(exact.Quantile(0.5 * std::exp(-30.0)), -30.0, 1e-13);
  EXPECT_NEAR(exact.Quantile(1 - 0.5 * std::exp(-3.0)), 3.0, 1e-13);
}

TEST(StationaryLawTest, GaussianCentreWithExponentialTails) {
  // f = +1 on x < -1, -x on [-1, 1], -1 on x > 1 (Huber): log p = -x^2/2 in the middle and
  // -1/2 - (|x| - 1) outside. Z = sqrt(2 pi) (2 Phi(1) - 1) + 2 e^{-1/2}; the second moment
  // by parts is sqrt(2 pi) (2 Phi(1) - 1) - 2 e^{-1/2} + 2 e^{-1/2} * 5.
  const StationaryLaw1D law(ContinuousScore({-1.0, 1.0}, {0.0, -1.0, 0.0}, 1.0));
  const double centre = std::sqrt(2 * std::numbers::pi) * (2 * Phi(1.0) - 1);
  const double z = centre + 2 * std::exp(-0.5);
  EXPECT_NEAR(law.Density(0.0), 1 / z, 1e-14);
  EXPECT_NEAR(law.Density(2.0), std::exp(-1.5) / z, 1e-15);
  EXPECT_NEAR(law.Density(-0.5), std::exp(-0.125) / z, 1e-15);
  EXPECT_NEAR(law.Cdf(-1.0), std::exp(-0.5) / z, 1e-15);
  EXPECT_NEAR(law.Cdf(0.0), 0.5, 1e-15);
  EXPECT_NEAR(law.Cdf(0.5), 0.5 + std::sqrt(2 * std::numbers::pi) * (Phi(0.5) - 0.5) / z, 1e-15);
  EXPECT_NEAR(law.Survival(3.0), std::exp(-2.5) / z, 1e-16);
  EXPECT_NEAR(law.Mean(), 0.0, 1e-14);
  EXPECT_NEAR(law.Variance(), (centre + 8 * std::exp(-0.5)) / z, 1e-14);
  const std::vector<double> probabilities = law.PieceProbabilities();
  ASSERT_EQ(probabilities.size(), 3u);
  EXPECT_NEAR(probabilities[0], std::exp(-0.5) / z, 1e-15);
  EXPECT_NEAR(probabilities[1], centre / z, 1e-15);
}

TEST(StationaryLawTest, UniformAndConvexPieces) {
  // f = 0 on [-1, 1] between steep Gaussian tails: the density is flat there.
  const StationaryLaw1D flat(ContinuousScore({-1.0, 1.0}, {-4.0, 0.0, -4.0}, 0.0));
  EXPECT_NEAR(flat.Density(-0.9), flat.Density(0.7), 1e-15);
  EXPECT_NEAR(flat.Mean(), 0.0, 1e-14);
  EXPECT_NEAR(static_cast<double>(IntegrateAgainstDensity(flat, [](long double) { return 1.0L; })),
              1.0, 1e-12);
  // f = 1.5 (x + 1) on [-1, 1], a convex piece: log p(x) - log p(-1) = 0.75 (x + 1)^2.
  const StationaryLaw1D convex(ContinuousScore({-1.0, 1.0}, {-4.0, 1.5, -4.0}, 0.0));
  EXPECT_NEAR(convex.LogDensity(0.0) - convex.LogDensity(-1.0), 0.75, 1e-14);
  EXPECT_NEAR(convex.LogDensity(1.0) - convex.LogDensity(-1.0), 3.0, 1e-14);
  EXPECT_NEAR(
      static_cast<double>(IntegrateAgainstDensity(convex, [](long double) { return 1.0L; })), 1.0,
      1e-12);
  const long double below_zero =
      IntegrateAgainstDensity(convex, [](long double x) { return x <= 0 ? 1.0L : 0.0L; });
  EXPECT_NEAR(convex.Cdf(0.0), static_cast<double>(below_zero), 1e-12);
  EXPECT_NEAR(convex.Cdf(convex.Quantile(0.4)), 0.4, 1e-14);
}

class RandomScoreTest : public ::testing::TestWithParam<int> {};

TEST_P(RandomScoreTest, DensityIsTheNormalisedExponentialOfTheScoreIntegral) {
  const PiecewiseLinear1D score = RandomScore(static_cast<std::uint64_t>(GetParam()), 12);
  const StationaryLaw1D law(score);
  // d/dx log p = f inside every piece (log p is exactly quadratic there, so a central
  // difference is exact up to rounding) ...
  for (std::size_t k = 0; k <= score.kinks.size(); ++k) {
    const double lo = k == 0 ? score.kinks.front() - 2.0 : score.kinks[k - 1];
    const double hi = k == score.kinks.size() ? score.kinks.back() + 2.0 : score.kinks[k];
    const double x = 0.5 * (lo + hi), h = 0.25 * (hi - lo);
    const double derivative = (law.LogDensity(x + h) - law.LogDensity(x - h)) / (2 * h);
    EXPECT_NEAR(derivative, score(x), 1e-9 * (1 + std::abs(law.LogDensity(x))) / h) << k;
  }
  // ... log p is continuous at the kinks ...
  for (double t : score.kinks) {
    EXPECT_NEAR(law.LogDensity(std::nextafter(t, -kInf)), law.LogDensity(t), 1e-12) << t;
  }
  // ... and p integrates to one (independent quadrature), with the same moments.
  const long double total = IntegrateAgainstDensity(law, [](long double) { return 1.0L; });
  EXPECT_NEAR(static_cast<double>(total), 1.0, 1e-12);
  const long double mean = IntegrateAgainstDensity(law, [](long double x) { return x; });
  EXPECT_NEAR(law.Mean(), static_cast<double>(mean), 1e-12);
  const long double variance =
      IntegrateAgainstDensity(law, [&](long double x) { return (x - mean) * (x - mean); });
  EXPECT_NEAR(law.Variance(), static_cast<double>(variance), 1e-12 * static_cast<double>(variance));
  // Stein identities of a score: E f(X) = 0 and E X f(X) = -1.
  const long double stein0 = IntegrateAgainstDensity(
      law, [&](long double x) { return static_cast<long double>(score(static_cast<double>(x))); });
  const long double stein1 = IntegrateAgainstDensity(law, [&](long double x) {
    return x * static_cast<long double>(score(static_cast<double>(x)));
  });
  EXPECT_NEAR(static_cast<double>(stein0), 0.0, 1e-11);
  EXPECT_NEAR(static_cast<double>(stein1), -1.0, 1e-11);
}

TEST_P(RandomScoreTest, CdfIsTheIntegralOfTheDensityAndQuantileItsInverse) {
  const PiecewiseLinear1D score = RandomScore(static_cast<std::uint64_t>(GetParam()), 12);
  const StationaryLaw1D law(score);
  // Points in every piece and at the kinks.
  std::vector<double> points = score.kinks;
  for (std::size_t k = 0; k + 1 < score.kinks.size(); ++k) {
    points.push_back(0.3 * score.kinks[k] + 0.7 * score.kinks[k + 1]);
  }
  points.push_back(score.kinks.front() - 1.7);
  points.push_back(score.kinks.back() + 0.9);
  for (double x : points) {
    const long double below =
        IntegrateAgainstDensity(law, [&](long double y) { return y <= x ? 1.0L : 0.0L; });
    EXPECT_NEAR(law.Cdf(x), static_cast<double>(below), 1e-10) << x;
    EXPECT_NEAR(law.Cdf(x) + law.Survival(x), 1.0, 1e-15) << x;
  }
  for (double p : {1e-300, 1e-20, 1e-6, 0.01, 0.3, 0.5, 0.77, 0.999, 1 - 1e-9}) {
    const double x = law.Quantile(p);
    if (p <= 0.5) {
      EXPECT_NEAR(law.Cdf(x), p, 1e-12 * p) << p;
    } else {
      EXPECT_NEAR(law.Survival(x), 1 - p, 1e-12 * (1 - p) + 1e-16) << p;
    }
  }
  EXPECT_LT(law.Quantile(0.2), law.Quantile(0.2 + 1e-9));
}

TEST_P(RandomScoreTest, SamplerMatchesTheCdf) {
  const StationaryLaw1D law(RandomScore(static_cast<std::uint64_t>(GetParam()), 12));
  const int n = 20000;
  std::vector<double> samples = law.Sample(n, 2024);
  std::sort(samples.begin(), samples.end());
  double ks = 0.0;
  for (int i = 0; i < n; ++i) {
    const double cdf = law.Cdf(samples[i]);
    ks = std::max({ks, cdf - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - cdf});
  }
  // 1% critical value of the Kolmogorov-Smirnov statistic for n = 20000: 1.628 / sqrt(n).
  EXPECT_LT(ks, 1.628 / std::sqrt(static_cast<double>(n)));
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomScoreTest, ::testing::Values(1, 2, 3));

TEST(StationaryLawTest, NotNormalisableLawsAreReported) {
  const auto expect_not = [](const PiecewiseLinear1D& score, const std::string& words) {
    const StationaryLawCheck check = CheckStationaryLaw(score);
    EXPECT_FALSE(check.normalisable);
    EXPECT_THAT(check.reason, HasSubstr(words));
    try {
      StationaryLaw1D law(score);
      ADD_FAILURE() << "no error for " << words;
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("the stationary law is not normalisable"));
      EXPECT_THAT(e.what(), HasSubstr(words));
    }
  };
  // Growing on the right, flat on the right, flat everywhere, increasing everywhere.
  expect_not(ContinuousScore({0.0}, {-1.0, 0.5}, 0.0), "does not decay to the right");
  expect_not(ContinuousScore({0.0, 1.0}, {-1.0, -1.0, 0.0}, 1.0), "on x >= 1 the score");
  expect_not(ContinuousScore({0.0}, {0.0, -1.0}, -0.5), "does not decay to the left");
  PiecewiseLinear1D flat;
  flat.slopes = {0.0};
  flat.intercepts = {0.0};
  expect_not(flat, "on either side");
  PiecewiseLinear1D increasing = flat;
  increasing.slopes = {2.0};
  expect_not(increasing, "no kinks");
  EXPECT_TRUE(CheckStationaryLaw(LinearScore(0, 1)).normalisable);
  // Malformed scores are errors, not "not normalisable".
  PiecewiseLinear1D malformed = LinearScore(0, 1, {1.0, 0.0});
  EXPECT_THROW(CheckStationaryLaw(malformed), Error);
  malformed = LinearScore(0, 1, {0.0});
  malformed.slopes.pop_back();
  EXPECT_THROW(StationaryLaw1D{malformed}, Error);
}

TEST(StationaryLawTest, ModelOfAFittedNetworkIsNormalisable) {
  // A network with a negative skip term and some ReLUs: the law exists and its density
  // integrates to one.
  Network1D network;
  network.skip = -1.0;
  network.output_bias = 0.3;
  network.neurons = {{1.0, 0.5, 0.8}, {-2.0, 1.0, 0.4}, {0.7, -0.2, -1.1}};
  const StationaryLaw1D law(ToPiecewiseLinear(network));
  const long double total = IntegrateAgainstDensity(law, [](long double) { return 1.0L; });
  EXPECT_NEAR(static_cast<double>(total), 1.0, 1e-12);
  EXPECT_NEAR(law.Density(0.3), std::exp(law.LogDensity(0.3)), 1e-15);
}

}  // namespace
}  // namespace convexscore
