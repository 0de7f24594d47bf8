// Numerical building blocks of the stationary law: the scaled complementary error function,
// the normal Mills ratio, Gauss-Legendre rules and overflow-safe log-sum-exp.
#pragma once

#include <span>
#include <vector>

namespace convexscore {

// erfcx(x) = exp(x^2) erfc(x), to a few ulps for every x >= 0 (where erfc itself underflows
// from x ~ 27 on, erfcx ~ 1 / (x sqrt(pi)) stays representable). For x < 0 it is computed as
// 2 exp(x^2) - erfcx(-x), which overflows to +inf below x ~ -26.6.
double ScaledErfc(double x);

// The Mills ratio of the standard normal, M(z) = (1 - Phi(z)) / phi(z), for z >= 0; M(z) ~ 1/z
// for large z. (For z < 0 as ScaledErfc.)
double NormalMillsRatio(double z);

// The n-point Gauss-Legendre rule on [-1, 1] (exact for polynomials of degree 2n - 1), nodes
// increasing. Computed by Newton's method on the Legendre polynomial; n >= 1.
struct GaussLegendreRule {
  std::vector<double> nodes;
  std::vector<double> weights;
};
GaussLegendreRule MakeGaussLegendreRule(int n);

// log(exp(a) + exp(b)) without overflow; -inf + -inf = -inf.
double LogAddExp(double a, double b);
// log(sum exp(values[i])); -inf for an empty span.
double LogSumExp(std::span<const double> values);

}  // namespace convexscore
