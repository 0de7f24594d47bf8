#include "convexscore/sampling/random.h"

#include <cmath>
#include <numbers>

namespace convexscore {
namespace {

// Marsaglia and Tsang's r for 256 layers: the start of the tail, chosen so that the layers
// built down from it end at x = 0.
constexpr double kTailStart = 3.6541528853610088;

NormalSource::Table MakeTable() {
  NormalSource::Table table;
  const auto f = [](double x) { return std::exp(-0.5 * x * x); };
  // The common area of the layers: the base strip r f(r) plus the tail beyond r.
  const double area = kTailStart * f(kTailStart) + std::sqrt(std::numbers::pi / 2.0) *
                                                       std::erfc(kTailStart / std::numbers::sqrt2);
  table.x[0] = area / f(kTailStart);
  table.x[1] = kTailStart;
  // Each layer of width x[i] and height f(x[i+1]) - f(x[i]) has the same area.
  for (int i = 1; i < 256; ++i) {
    table.x[i + 1] = i == 255 ? 0.0 : std::sqrt(-2.0 * std::log(f(table.x[i]) + area / table.x[i]));
  }
  for (int i = 0; i <= 256; ++i) table.f[i] = f(table.x[i]);
  return table;
}

}  // namespace

NormalSource::NormalSource() {
  static const Table table = MakeTable();
  table_ = &table;
}

double NormalSource::Tail(Xoshiro256StarStar& rng, bool negative) {
  // Marsaglia (1964): x = r + a with a ~ Exp(r), accepted with probability exp(-a^2 / 2).
  double a, b;
  do {
    a = -std::log(rng.UniformOpen()) / kTailStart;
    b = -std::log(rng.UniformOpen());
  } while (b + b < a * a);
  return negative ? -(kTailStart + a) : kTailStart + a;
}

}  // namespace convexscore
