#include "convexscore/sampling/special_functions.h"

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include <gtest/gtest.h>

namespace convexscore {
namespace {

TEST(SpecialFunctionsTest, ScaledErfcMatchesHighPrecisionValues) {
  // exp(x^2) erfc(x) from mpmath with 40 digits.
  const struct {
    double x, value;
  } cases[] = {
      {0.0, 1.0},
      {0.1, 0.89645697996912664193},
      {0.5, 0.61569034419292587487},
      {1.0, 0.42758357615580700441},
      {2.0, 0.25539567631050574387},
      {5.0, 0.11070463773306862637},
      {10.0, 0.056140992743822585858},
      {25.5, 0.022108108052519826561},
      {26.0, 0.021683584850562906616},
      {30.0, 0.018795888861416751497},
      {100.0, 0.0056416137829894329036},
      {1e5, 5.6418958351954680777e-6},
      {-0.5, 1.9523604891825570933},
      {-3.0, 16205.988853999586625},
  };
  for (const auto& c : cases) {
    EXPECT_NEAR(ScaledErfc(c.x), c.value, 4e-15 * c.value) << "x = " << c.x;
  }
  // Continuity where the method changes.
  EXPECT_NEAR(ScaledErfc(std::nextafter(26.0, 0.0)), ScaledErfc(26.0), 1e-15 * 0.0217);
  EXPECT_TRUE(std::isnan(ScaledErfc(std::numeric_limits<double>::quiet_NaN())));
}

TEST(SpecialFunctionsTest, MillsRatioIsTheNormalTailOverTheDensity) {
  EXPECT_NEAR(NormalMillsRatio(0.0), std::sqrt(std::numbers::pi / 2), 1e-15);
  // (1 - Phi(z)) / phi(z) from mpmath with 40 digits.
  const struct {
    double z, value;
  } cases[] = {
      {1.0, 0.65567954241879847154},
      {4.0, 0.236652382913560670624},
      {12.0, 0.082766286501369177252},
      {1e4, 9.99999990000000299999998500e-5},  // 1/z - 1/z^3 + 3/z^5 - ...
  };
  for (const auto& c : cases) {
    EXPECT_NEAR(NormalMillsRatio(c.z), c.value, 4e-15 * c.value) << "z = " << c.z;
  }
}

TEST(SpecialFunctionsTest, GaussLegendreIsExactForPolynomialsOfDegreeBelow2n) {
  for (int n : {1, 2, 5, 12}) {
    const GaussLegendreRule rule = MakeGaussLegendreRule(n);
    ASSERT_EQ(rule.nodes.size(), static_cast<std::size_t>(n));
    for (int i = 1; i < n; ++i) EXPECT_LT(rule.nodes[i - 1], rule.nodes[i]);
    for (int degree = 0; degree < 2 * n; ++degree) {
      double sum = 0.0;
      for (int i = 0; i < n; ++i) sum += rule.weights[i] * std::pow(rule.nodes[i], degree);
      const double exact = degree % 2 == 1 ? 0.0 : 2.0 / (degree + 1);
      EXPECT_NEAR(sum, exact, 1e-14) << "n = " << n << ", degree " << degree;
    }
  }
}

TEST(SpecialFunctionsTest, LogSumExpDoesNotOverflow) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_DOUBLE_EQ(LogAddExp(1000.0, 1000.0), 1000.0 + std::log(2.0));
  EXPECT_DOUBLE_EQ(LogAddExp(-inf, 3.0), 3.0);
  EXPECT_EQ(LogAddExp(-inf, -inf), -inf);
  const std::vector<double> values = {-1000.0, -1000.0 + std::log(3.0)};
  EXPECT_DOUBLE_EQ(LogSumExp(values), -1000.0 + std::log(4.0));
  EXPECT_EQ(LogSumExp({}), -inf);
}

}  // namespace
}  // namespace convexscore
