#include "convexscore/metrics/univariate.h"

#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/common.h"
#include "convexscore/data/generators.h"

namespace convexscore {
namespace {

using ::testing::HasSubstr;

UnivariateLaw Law(std::string_view spec) {
  return UnivariateLaw::FromSpec(ParseDistributionSpec(spec));
}

std::vector<double> Draw(std::string_view spec, int n, std::uint64_t seed) {
  return GenerateFromSpec1D(ParseDistributionSpec(spec), n, seed);
}

// The quantile grid F^{-1}((i - 1/2) / n): the n-point law closest to F in W1.
std::vector<double> QuantileGrid(const UnivariateLaw& law, int n) {
  std::vector<double> grid(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) grid[static_cast<std::size_t>(i)] = law.Quantile((i + 0.5) / n);
  return grid;
}

const double kSqrtTwoOverPi = std::sqrt(2.0 / std::numbers::pi);

TEST(Wasserstein1Test, PointMassesAndSmallSamples) {
  const std::vector<double> zero = {0.0}, three = {3.0};
  EXPECT_EQ(Wasserstein1(zero, three), 3.0);
  // Equal sizes: the mean distance between sorted values, (|0 - 2| + |1 - 5|) / 2.
  EXPECT_EQ(Wasserstein1(std::vector<double>{1.0, 0.0}, std::vector<double>{5.0, 2.0}), 3.0);
  // Half the mass moves from 0 to 2.
  EXPECT_EQ(Wasserstein1(zero, std::vector<double>{0.0, 2.0}), 1.0);
  // Symmetric, zero for identical samples (in any order), invariant under a common shift.
  const std::vector<double> a = Draw("gaussian", 300, 1), b = Draw("laplace", 200, 2);
  EXPECT_DOUBLE_EQ(Wasserstein1(a, b), Wasserstein1(b, a));
  std::vector<double> reversed(a.rbegin(), a.rend());
  EXPECT_EQ(Wasserstein1(a, reversed), 0.0);
}

TEST(Wasserstein1Test, AgainstALawInClosedForm) {
  // A point mass c against a law: W1 = E|c - Y|. E|Y| = sqrt(2/pi) for N(0, 1).
  EXPECT_NEAR(Wasserstein1(std::vector<double>{0.0}, Law("gaussian")), kSqrtTwoOverPi, 1e-14);
  EXPECT_NEAR(Wasserstein1(std::vector<double>{0.5}, Law("uniform")), 0.25, 1e-15);
  // {0, 1} against U(0, 1): integral over [0, 1] of |1/2 - x| = 1/4.
  EXPECT_NEAR(Wasserstein1(std::vector<double>{0.0, 1.0}, Law("uniform")), 0.25, 1e-15);
  // {2} against Laplace(0, 1): E|2 - Y| = 2 + exp(-2).
  EXPECT_NEAR(Wasserstein1(std::vector<double>{2.0}, Law("laplace")), 2.0 + std::exp(-2.0), 1e-14);
}

TEST(Wasserstein1Test, ShiftedGaussiansAreOneApart) {
  // W1(N(0,1), N(1,1)) = 1. The 20000-point N(0,1) quantile grid is within 1e-3 of N(0,1)
  // (checked), so by the triangle inequality its distance to N(1,1) is within 1e-3 of 1.
  const std::vector<double> grid = QuantileGrid(Law("gaussian"), 20000);
  const double to_own_law = Wasserstein1(grid, Law("gaussian"));
  EXPECT_LT(to_own_law, 1e-3);
  EXPECT_NEAR(Wasserstein1(grid, Law("gaussian:1:1")), 1.0, to_own_law + 1e-12);
  EXPECT_NEAR(Wasserstein1(grid, Law("gaussian:-1:1")), 1.0, to_own_law + 1e-12);
}

TEST(Wasserstein1Test, SampleAgainstLawMatchesSampleAgainstAHugeSample) {
  // Two independent routes: the exact law integral and the empirical-vs-empirical sweep
  // against a 200001-point quantile grid of the same law (within ~1e-5 of it in W1).
  for (const char* spec : {"gaussian:1:2", "mixture", "laplace:-1:0.5", "uniform:-1:1"}) {
    const UnivariateLaw law = Law(spec);
    const std::vector<double> x = Draw(spec, 50, 3);
    EXPECT_NEAR(Wasserstein1(x, law), Wasserstein1(x, QuantileGrid(law, 200001)), 1e-4) << spec;
  }
}

TEST(KolmogorovSmirnovTest, ShiftedUniforms) {
  // x = 1..10 and y = 4..13: on [3, 4) F = 0.3 and G = 0.
  std::vector<double> x, y;
  for (int i = 1; i <= 10; ++i) {
    x.push_back(i);
    y.push_back(i + 3);
  }
  EXPECT_DOUBLE_EQ(KolmogorovSmirnov(x, y), 0.3);
  EXPECT_EQ(KolmogorovSmirnov(x, x), 0.0);
  // Against laws: {0.5} vs U(0,1) is 1/2; {0.25, 0.75} vs U(0,1) is 1/4.
  EXPECT_DOUBLE_EQ(KolmogorovSmirnov(std::vector<double>{0.5}, Law("uniform")), 0.5);
  EXPECT_DOUBLE_EQ(KolmogorovSmirnov(std::vector<double>{0.25, 0.75}, Law("uniform")), 0.25);
  // A U(0, 1) quantile grid against U(0.3, 1.3): sup |x - (x - 0.3)| = 0.3, up to 1/(2n).
  const std::vector<double> grid = QuantileGrid(Law("uniform"), 1000);
  EXPECT_NEAR(KolmogorovSmirnov(grid, Law("uniform:0.3:1.3")), 0.3, 0.0005 + 1e-12);
}

TEST(KolmogorovSmirnovTest, TiesAreOneJump) {
  // x = {1, 1, 3}, y = {1, 2}: |F - G| = |2/3 - 1/2| on [1, 2), |2/3 - 1| on [2, 3).
  EXPECT_DOUBLE_EQ(KolmogorovSmirnov(std::vector<double>{1, 1, 3}, std::vector<double>{1, 2}),
                   1.0 / 3.0);
  // x = {1, 1, 2}: 1/6 on [1, 2). Stepping through the tied 1s one at a time would see 1/3.
  EXPECT_DOUBLE_EQ(KolmogorovSmirnov(std::vector<double>{1, 1, 2}, std::vector<double>{1, 2}),
                   1.0 / 6.0);
}

TEST(EnergyDistanceTest, SmallSamplesByHand) {
  // x = {0, 1}, y = {2}: 2 E|X-Y| = 2 * (2 + 1) / 2 = 3, E|X-X'| = (0+1+1+0)/4 = 1/2, E|Y-Y'| = 0.
  EXPECT_DOUBLE_EQ(EnergyDistance(std::vector<double>{0, 1}, std::vector<double>{2}), 2.5);
  // x = {0, 3}, y = {1, 2}: 2 * 6/4 - 6/4 - 2/4 = 1.
  EXPECT_DOUBLE_EQ(EnergyDistance(std::vector<double>{3, 0}, std::vector<double>{1, 2}), 1.0);
  EXPECT_EQ(EnergyDistance(std::vector<double>{1, 2}, std::vector<double>{2, 1}), 0.0);
}

TEST(EnergyDistanceTest, SortedIntegralEqualsThePairwiseVStatistic) {
  const std::vector<double> x = Draw("mixture", 137, 5), y = Draw("laplace", 91, 6);
  double xy = 0, xx = 0, yy = 0;
  for (double a : x) for (double b : y) xy += std::abs(a - b);
  for (double a : x) for (double b : x) xx += std::abs(a - b);
  for (double a : y) for (double b : y) yy += std::abs(a - b);
  const double n = x.size(), m = y.size();
  EXPECT_NEAR(EnergyDistance(x, y), 2 * xy / (n * m) - xx / (n * n) - yy / (m * m), 1e-12);
}

TEST(EnergyDistanceTest, AgainstALawInClosedForm) {
  // {0} vs N(0, 1): 2 E|Y| - E|Y - Y'| = 2 sqrt(2/pi) - 2/sqrt(pi).
  EXPECT_NEAR(EnergyDistance(std::vector<double>{0.0}, Law("gaussian")),
              2 * kSqrtTwoOverPi - 2 / std::sqrt(std::numbers::pi), 1e-14);
  // {0.5} vs U(0, 1): 2 * 1/4 - 1/3 = 1/6; {0, 1}: 2 * 1/2 - 1/2 - 1/3 = 1/6.
  EXPECT_NEAR(EnergyDistance(std::vector<double>{0.5}, Law("uniform")), 1.0 / 6.0, 1e-15);
  EXPECT_NEAR(EnergyDistance(std::vector<double>{0.0, 1.0}, Law("uniform")), 1.0 / 6.0, 1e-15);
  // Against a law it is the limit of the two-sample value against ever larger samples. The
  // grid's V-statistic E|Y - Y'| is low by E|Y - Y'| / N = 1e-5, hence the tolerance.
  const std::vector<double> x = Draw("gaussian", 40, 2);
  const UnivariateLaw mixture = Law("mixture");
  EXPECT_NEAR(EnergyDistance(x, mixture), EnergyDistance(x, QuantileGrid(mixture, 200001)), 3e-5);
}

TEST(DigammaTest, KnownValues) {
  constexpr double kEulerGamma = 0.57721566490153286;
  EXPECT_NEAR(Digamma(1.0), -kEulerGamma, 1e-14);
  EXPECT_NEAR(Digamma(0.5), -kEulerGamma - 2 * std::log(2.0), 1e-14);
  double harmonic = 0;
  for (int j = 1; j < 30; ++j) harmonic += 1.0 / j;
  EXPECT_NEAR(Digamma(30.0), harmonic - kEulerGamma, 1e-14);
  EXPECT_NEAR(Digamma(1e6), std::log(1e6) - 0.5e-6, 1e-13);
}

TEST(KlDivergenceTest, EntropyEstimates) {
  // H(U(0,1)) = 0, H(N(0,1)) = log(2 pi e) / 2 = 1.4189. At n = 10000 with k = 25 the
  // estimator's standard deviation is about 0.003 (measured over 60 seeds) and its bias below
  // 0.002.
  const int k = DefaultKlNeighbours(10000);
  EXPECT_EQ(k, 25);
  EXPECT_NEAR(KozachenkoLeonenkoEntropy(Draw("uniform", 10000, 1), k), 0.0, 0.015);
  EXPECT_NEAR(KozachenkoLeonenkoEntropy(Draw("gaussian", 10000, 1), k),
              0.5 * std::log(2 * std::numbers::pi * std::numbers::e), 0.015);
}

TEST(KlDivergenceTest, GaussianAgainstItselfIsNearZero) {
  // Measured over 60 seeds at n = 10000, k = 25: bias +0.0014, standard deviation 0.0032. The
  // tolerance is the bias plus four standard deviations.
  EXPECT_NEAR(KlDivergence(Draw("gaussian", 10000, 11), Law("gaussian")), 0.0, 0.015);
  EXPECT_NEAR(KlDivergence(Draw("laplace", 10000, 11), Law("laplace")), 0.0, 0.015);
}

TEST(KlDivergenceTest, ShiftedGaussianIsOneHalf) {
  // KL(N(0,1) || N(1,1)) = 1/2. The estimator's standard deviation is now dominated by the
  // cross-entropy term: Var(log p - log q)(X) / n = 1/n, so 0.01 at n = 10000 (measured 0.011).
  EXPECT_NEAR(KlDivergence(Draw("gaussian", 10000, 12), Law("gaussian:1:1")), 0.5, 0.045);
  // KL(N(0,1) || N(0,4)) = log 2 + 1/8 - 1/2.
  EXPECT_NEAR(KlDivergence(Draw("gaussian", 10000, 13), Law("gaussian:0:2")),
              std::log(2.0) + 0.125 - 0.5, 0.02);
}

TEST(KlDivergenceTest, OutsideTheSupportIsInfiniteAndAtomsAreRejected) {
  EXPECT_EQ(KlDivergence(std::vector<double>{0.1, 0.5, 1.5}, Law("uniform"), 1),
            std::numeric_limits<double>::infinity());
  try {
    KlDivergence(std::vector<double>{0.1, 0.3, 0.3, 0.3, 0.9}, Law("uniform"), 2);
    ADD_FAILURE() << "atoms accepted";
  } catch (const Error& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("0.3 occurs more than 2 times"));
  }
  EXPECT_THROW(KozachenkoLeonenkoEntropy(std::vector<double>{1, 2}, 2), Error);
  EXPECT_THROW(KlDivergence(std::vector<double>{1}, Law("uniform")), Error);
}

TEST(FisherDivergenceTest, ScoreErrors) {
  const std::vector<double> x = Draw("gaussian", 1000, 4);
  const UnivariateLaw law = Law("gaussian");
  const auto truth = [&](double v) { return law.Score(v); };
  EXPECT_EQ(FisherDivergence(x, truth, truth), 0.0);
  // The score of N(1, 1) differs from that of N(0, 1) by exactly 1 everywhere.
  EXPECT_NEAR(FisherDivergence(x, [](double v) { return 1.0 - v; }, truth), 1.0, 1e-12);
  // A score twice too steep: E (-2X + X)^2 = E X^2, the sample second moment.
  double second_moment = 0;
  for (double v : x) second_moment += v * v / x.size();
  EXPECT_NEAR(FisherDivergence(x, [](double v) { return -2 * v; }, truth), second_moment, 1e-12);
  EXPECT_THROW(FisherDivergence(x, [](double) { return std::nan(""); }, truth), Error);
}

TEST(UnivariateMetricsTest, BadSamples) {
  const std::vector<double> empty, nan = {1.0, std::nan("")};
  const std::vector<double> ok = {1.0, 2.0};
  try {
    Wasserstein1(empty, ok);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "W1: the sample is empty");
  }
  try {
    KolmogorovSmirnov(nan, Law("gaussian"));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "KS: sample value 2 is not a finite number");
  }
  EXPECT_THROW(EnergyDistance(ok, empty), Error);
}

}  // namespace
}  // namespace convexscore
