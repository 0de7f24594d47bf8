#include "convexscore/sampling/random.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include <gtest/gtest.h>

namespace convexscore {
namespace {

// Reference outputs from a direct Python transcription of Vigna's C code
// (xoshiro256starstar.c and splitmix64.c).
TEST(RandomTest, XoshiroMatchesTheReferenceImplementation) {
  Xoshiro256StarStar rng(1, 2, 3, 4);
  const std::vector<std::uint64_t> expected = {11520ULL,
                                               0ULL,
                                               1509978240ULL,
                                               1215971899390074240ULL,
                                               1216172134540287360ULL,
                                               607988272756665600ULL};
  for (std::uint64_t value : expected) EXPECT_EQ(rng.Next(), value);
}

TEST(RandomTest, SplitMixMatchesTheReferenceAndSeedsXoshiro) {
  SplitMix64 expander(1234567);
  EXPECT_EQ(expander.Next(), 6457827717110365317ULL);
  EXPECT_EQ(expander.Next(), 3203168211198807973ULL);
  EXPECT_EQ(expander.Next(), 9817491932198370423ULL);
  Xoshiro256StarStar rng(42);  // state = four SplitMix64(42) outputs
  EXPECT_EQ(rng.Next(), 1546998764402558742ULL);
  EXPECT_EQ(rng.Next(), 6990951692964543102ULL);
  EXPECT_EQ(rng.Next(), 12544586762248559009ULL);
}

TEST(RandomTest, UniformDrawsStayInTheirIntervals) {
  Xoshiro256StarStar rng(7);
  double sum = 0.0;
  for (int i = 0; i < 100000; ++i) {
    const double u = rng.Uniform();
    const double v = rng.UniformOpen();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ASSERT_GT(v, 0.0);
    ASSERT_LT(v, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 100000, 0.5, 5 * std::sqrt(1.0 / 12 / 100000));
}

TEST(RandomTest, ParticleStreamsDifferAndRepeat) {
  std::set<std::uint64_t> first_draws;
  for (std::uint64_t i = 0; i < 1000; ++i) first_draws.insert(ParticleStream(3, i).Next());
  EXPECT_EQ(first_draws.size(), 1000u);
  EXPECT_NE(ParticleStream(3, 0).Next(), ParticleStream(4, 0).Next());
  Xoshiro256StarStar a = ParticleStream(9, 17), b = ParticleStream(9, 17);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.Next(), b.Next());
}

TEST(RandomTest, NormalDrawsHaveStandardMomentsAndDistribution) {
  Xoshiro256StarStar rng(11);
  NormalSource normal;
  const int n = 200000;
  std::vector<double> z(n);
  double sum = 0.0, squares = 0.0, fourth = 0.0;
  for (double& value : z) {
    value = normal.Next(rng);
    sum += value;
    squares += value * value;
    fourth += value * value * value * value;
  }
  EXPECT_NEAR(sum / n, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(squares / n, 1.0, 5.0 * std::sqrt(2.0 / n));
  EXPECT_NEAR(fourth / n, 3.0, 5.0 * std::sqrt(96.0 / n));
  // Kolmogorov-Smirnov against Phi: the 1% critical value is 1.628 / sqrt(n).
  std::sort(z.begin(), z.end());
  double ks = 0.0;
  for (int i = 0; i < n; ++i) {
    const double cdf = 0.5 * std::erfc(-z[i] / std::sqrt(2.0));
    ks = std::max({ks, cdf - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - cdf});
  }
  EXPECT_LT(ks, 1.628 / std::sqrt(n));
}

TEST(RandomTest, NormalDrawsHitCoreWedgesAndTailsWithTheRightProbabilities) {
  // Chi-square over bins that separate the ziggurat's regimes: the core, the wedges near the
  // layer edges, and the tail beyond r = 3.654.
  const std::vector<double> edges = {
      -4.0, -3.6541528853610088, -3.0, -2.0, -1.0, -0.3, 0.0, 0.3, 1.0, 2.0,
      3.0,  3.6541528853610088,  4.0};
  const int n = 2000000;
  Xoshiro256StarStar rng(99);
  NormalSource normal;
  std::vector<int> counts(edges.size() + 1, 0);
  for (int i = 0; i < n; ++i) {
    const double z = normal.Next(rng);
    ++counts[std::upper_bound(edges.begin(), edges.end(), z) - edges.begin()];
  }
  const auto phi = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
  double chi_square = 0.0;
  for (std::size_t bin = 0; bin < counts.size(); ++bin) {
    const double lo = bin == 0 ? 0.0 : phi(edges[bin - 1]);
    const double hi = bin == edges.size() ? 1.0 : phi(edges[bin]);
    const double expected = n * (hi - lo);
    chi_square += (counts[bin] - expected) * (counts[bin] - expected) / expected;
  }
  // 13 degrees of freedom: the 1% critical value is 27.69.
  EXPECT_LT(chi_square, 27.69);
}

}  // namespace
}  // namespace convexscore
