#include "convexscore/arrangements/patterns.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "convexscore/common.h"
#include "convexscore/data/portable_random.h"
#include "testutil/random_points.h"

namespace convexscore {
namespace {

// A pattern as a 0/1 string, so sets of patterns compare and print readably.
std::string Key(const PatternSet& set, int k) {
  std::string s(set.points(), '0');
  for (int i = 0; i < set.points(); ++i)
    if (set.Active(k, i)) s[i] = '1';
  return s;
}

std::set<std::string> Keys(const PatternSet& set) {
  std::set<std::string> keys;
  for (int k = 0; k < set.size(); ++k) keys.insert(Key(set, k));
  return keys;
}

using testutil::RandomPoints;

// An independent construction for points in general position in the plane: the line through
// each pair, with each pair point put on either side, both orientations, plus empty and full.
std::set<std::string> PairConstruction(const Eigen::MatrixXd& x) {
  const int n = static_cast<int>(x.rows());
  std::set<std::string> keys{std::string(n, '0'), std::string(n, '1')};
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      const double nx = -(x(j, 1) - x(i, 1)), ny = x(j, 0) - x(i, 0);
      for (double flip : {1.0, -1.0}) {
        std::string s(n, '0');
        for (int l = 0; l < n; ++l)
          if (flip * ((x(l, 0) - x(i, 0)) * nx + (x(l, 1) - x(i, 1)) * ny) > 0) s[l] = '1';
        for (char si : {'0', '1'}) {
          for (char sj : {'0', '1'}) {
            s[i] = si;
            s[j] = sj;
            keys.insert(s);
          }
        }
      }
    }
  }
  return keys;
}

TEST(Patterns, PlaneGeneralPositionCountAndSetMatchPairConstruction) {
  for (int n : {2, 3, 5, 9, 20}) {
    const Eigen::MatrixXd x = RandomPoints(n, 2, 100 + n);
    const PatternSet set = EnumeratePatterns(x);
    EXPECT_EQ(set.size(), n * (n - 1) + 2) << "n = " << n;
    EXPECT_EQ(set.size(), GeneralPositionPatternCount(n, 2));
    EXPECT_EQ(Keys(set), PairConstruction(x)) << "n = " << n;
    EXPECT_EQ(set.method, PatternMethod::kExact);
  }
}

TEST(Patterns, CollinearTripleGivesOnlyIntervalsAtTheEnds) {
  // Points A, B, C on a line (B between): no closed half-plane holds B without A or C, or A and C
  // without B.
  Eigen::MatrixXd x(3, 2);
  x << 0, 0, 1, 1, 2, 2;
  const std::set<std::string> expected{"000", "100", "110", "111", "001", "011"};
  EXPECT_EQ(Keys(EnumeratePatterns(x)), expected);
}

TEST(Patterns, CollinearTripleWithAFourthPointByHand) {
  // A(0,0), B(1,0), C(2,0) collinear, P(0,1): 12 patterns instead of the 14 of general position.
  Eigen::MatrixXd x(4, 2);
  x << 0, 0, 1, 0, 2, 0, 0, 1;
  const std::set<std::string> expected{
      "0000", "1111",                  // empty, full
      "1000", "0010", "0001",          // A, C, P (not B: it lies between A and C)
      "1100", "0110", "1001", "0011",  // AB, BC, AP, CP (not AC, not BP)
      "0111", "1101", "1110"};         // all but A, all but C, all but P
  EXPECT_EQ(Keys(EnumeratePatterns(x)), expected);
}

TEST(Patterns, DuplicatePointsAlwaysShareTheirSide) {
  Eigen::MatrixXd x(3, 2);
  x << 0.5, -1, 2, 3, 0.5, -1;
  const std::set<std::string> expected{"000", "101", "010", "111"};
  EXPECT_EQ(Keys(EnumeratePatterns(x)), expected);
  Eigen::MatrixXd same(3, 2);
  same << 1, 1, 1, 1, 1, 1;
  EXPECT_EQ(Keys(EnumeratePatterns(same)), (std::set<std::string>{"000", "111"}));
}

// Many collinear points and duplicates (a 4 x 4 grid with three points repeated): the sweep
// that carries each arc's order over to the next must still find every closed half-plane.
// Reference: the upper sets of normals just either side of every critical angle, each sorted
// and cut from scratch.
TEST(Patterns, GridWithDuplicatesMatchesAFreshSortPerDirection) {
  Eigen::MatrixXd x(19, 2);
  for (int i = 0; i < 16; ++i) x.row(i) << i % 4, i / 4;
  x.row(16) = x.row(5);
  x.row(17) = x.row(5);
  x.row(18) = x.row(10);
  const int n = static_cast<int>(x.rows());
  std::set<std::string> expected{std::string(n, '0')};
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      if (x.row(i) == x.row(j)) continue;
      const double critical = std::atan2(x(j, 1) - x(i, 1), x(j, 0) - x(i, 0)) + M_PI / 2;
      for (double offset : {-1e-6, 1e-6}) {
        const Eigen::Vector2d normal(std::cos(critical + offset), std::sin(critical + offset));
        const Eigen::VectorXd p = x * normal;
        for (int cut = 0; cut < n; ++cut) {  // {l : p_l >= p_cut}
          std::string key(n, '0');
          for (int l = 0; l < n; ++l)
            if (p[l] >= p[cut]) key[l] = '1';
          expected.insert(key);
        }
      }
    }
  }
  EXPECT_EQ(Keys(EnumeratePatterns(x)), expected);
}

TEST(Patterns, LineGivesUpperAndLowerSetsOfDistinctValues) {
  Eigen::MatrixXd x(5, 1);
  x << 3, -1, 2, 0.5, 7;
  EXPECT_EQ(EnumeratePatterns(x).size(), 2 * 5);
  EXPECT_EQ(GeneralPositionPatternCount(5, 1), 2 * 5);
  Eigen::MatrixXd ties(4, 1);
  ties << 1, 2, 1, 3;  // 3 distinct values
  const std::set<std::string> expected{"0000", "1111", "0001", "0101", "1010", "1110"};
  EXPECT_EQ(Keys(EnumeratePatterns(ties)), expected);
}

TEST(Patterns, SpaceGeneralPositionCountMatchesFormula) {
  for (int n : {1, 2, 3, 4, 6, 9}) {
    const PatternSet set = EnumeratePatterns(RandomPoints(n, 3, 300 + n));
    EXPECT_EQ(set.size(), GeneralPositionPatternCount(n, 3)) << "n = " << n;
    if (n <= 4) EXPECT_EQ(set.size(), 1 << n);  // at most d + 1 points: every subset
  }
}

TEST(Patterns, SpaceDegenerateDataIsRefused) {
  Eigen::MatrixXd coplanar = RandomPoints(5, 3, 7);
  coplanar.col(2).setZero();
  EXPECT_THROW(EnumeratePatterns(coplanar), Error);
  Eigen::MatrixXd duplicate = RandomPoints(5, 3, 8);
  duplicate.row(3) = duplicate.row(1);
  EXPECT_THROW(EnumeratePatterns(duplicate), Error);
  EXPECT_THROW(EnumeratePatterns(RandomPoints(5, 4, 9)), Error);
}

TEST(Patterns, SampledPatternsAreExactPatternsReproducibleAndClosedUnderComplement) {
  const Eigen::MatrixXd x = RandomPoints(12, 2, 11);
  const std::set<std::string> exact = Keys(EnumeratePatterns(x));
  const PatternSet sampled = SamplePatterns(x, 200, 42);
  EXPECT_EQ(sampled.method, PatternMethod::kSampled);
  EXPECT_EQ(sampled.seed, 42u);
  EXPECT_EQ(sampled.sampled_directions, 200);
  const std::set<std::string> keys = Keys(sampled);
  EXPECT_EQ(static_cast<int>(keys.size()), sampled.size());  // de-duplicated
  EXPECT_GT(sampled.size(), 40);
  for (const std::string& key : keys) {
    EXPECT_TRUE(exact.count(key)) << key;
    std::string complement = key;
    for (char& c : complement) c = c == '1' ? '0' : '1';
    EXPECT_TRUE(keys.count(complement)) << key;
  }
  EXPECT_EQ(Keys(SamplePatterns(x, 200, 42)), keys);
  EXPECT_NE(Keys(SamplePatterns(x, 200, 43)), keys);
  // Sampling works in any dimension.
  EXPECT_GT(SamplePatterns(RandomPoints(30, 5, 12), 100, 1).size(), 100);
}

TEST(Patterns, BitAccessors) {
  Eigen::MatrixXd x = RandomPoints(70, 2, 13);  // two words per pattern
  const PatternSet set = EnumeratePatterns(x);
  EXPECT_EQ(set.words(), 2);
  for (int k = 0; k < set.size(); k += 97) {
    const std::vector<int> active = set.ActiveIndices(k);
    EXPECT_EQ(static_cast<int>(active.size()), set.ActiveCount(k));
    EXPECT_DOUBLE_EQ(set.Mask(k).sum(), set.ActiveCount(k));
    EXPECT_EQ(set.Find(set.Bits(k)), k);
  }
}

}  // namespace
}  // namespace convexscore
