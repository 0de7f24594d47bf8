#include "convexscore/sampling/special_functions.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "convexscore/common.h"

namespace convexscore {
namespace {

// exp(x^2) with x^2 split into its rounded value and the rounding error (by fma), so that the
// result keeps full relative accuracy even when x^2 is in the hundreds.
double ExpOfSquare(double x) {
  const double square = x * x;
  const double error = std::fma(x, x, -square);
  return std::exp(square) * (1.0 + error);
}

}  // namespace

double ScaledErfc(double x) {
  if (std::isnan(x)) return x;
  if (x < 0.0) return 2.0 * ExpOfSquare(x) - ScaledErfc(-x);
  // Below 26 erfc(x) is a normal number (erfc(26) ~ 6e-296) and exp(x^2) finite: their
  // product is as accurate as the library's erfc.
  if (x < 26.0) return ExpOfSquare(x) * std::erfc(x);
  // Asymptotic series erfcx(x) = 1/(x sqrt(pi)) sum_k (-1)^k (2k-1)!! / (2x^2)^k. At x >= 26
  // the terms shrink by (2k+1) / 1352 each, so 10 terms leave an error below 1e-30.
  const double inverse_two_x_squared = 0.5 / (x * x);
  double term = 1.0, sum = 1.0;
  for (int k = 1; k <= 10; ++k) {
    term *= -(2.0 * k - 1.0) * inverse_two_x_squared;
    sum += term;
  }
  return sum / (x * std::sqrt(std::numbers::pi));
}

double NormalMillsRatio(double z) {
  // (1 - Phi(z)) / phi(z) = sqrt(pi / 2) erfcx(z / sqrt 2).
  return std::sqrt(std::numbers::pi / 2.0) * ScaledErfc(z / std::numbers::sqrt2);
}

GaussLegendreRule MakeGaussLegendreRule(int n) {
  if (n < 1) throw Error("a Gauss-Legendre rule needs at least one node");
  GaussLegendreRule rule;
  rule.nodes.resize(n);
  rule.weights.resize(n);
  for (int i = 0; i < n; ++i) {
    // Start from the classical approximation of the i-th root, then Newton on P_n.
    double x = std::cos(std::numbers::pi * (i + 0.75) / (n + 0.5));
    double derivative = 0.0;
    for (int iteration = 0; iteration < 100; ++iteration) {
      double p_previous = 1.0, p = x;  // P_0, P_1
      for (int k = 2; k <= n; ++k) {
        const double p_next = ((2.0 * k - 1.0) * x * p - (k - 1.0) * p_previous) / k;
        p_previous = p;
        p = p_next;
      }
      derivative = n * (x * p - p_previous) / (x * x - 1.0);
      const double step = p / derivative;
      x -= step;
      if (std::abs(step) <= 1e-17) break;
    }
    rule.nodes[i] = x;
    rule.weights[i] = 2.0 / ((1.0 - x * x) * derivative * derivative);
  }
  // The roots were found from the largest down.
  std::reverse(rule.nodes.begin(), rule.nodes.end());
  std::reverse(rule.weights.begin(), rule.weights.end());
  return rule;
}

double LogAddExp(double a, double b) {
  if (a < b) std::swap(a, b);
  if (b == -std::numeric_limits<double>::infinity()) return a;
  return a + std::log1p(std::exp(b - a));
}

double LogSumExp(std::span<const double> values) {
  double largest = -std::numeric_limits<double>::infinity();
  for (double value : values) largest = std::max(largest, value);
  if (!std::isfinite(largest)) return largest;
  double sum = 0.0;
  for (double value : values) sum += std::exp(value - largest);
  return largest + std::log(sum);
}

}  // namespace convexscore
