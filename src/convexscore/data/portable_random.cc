#include "convexscore/data/portable_random.h"

#include <cmath>
#include <numbers>

namespace convexscore {

double OpenUniform(std::mt19937_64& engine) {
  constexpr double kStep = 1.0 / 9007199254740992.0;  // 2^-53
  return (static_cast<double>(engine() >> 11) + 0.5) * kStep;
}

double StandardNormal(std::mt19937_64& engine) {
  const double u1 = OpenUniform(engine);
  const double u2 = OpenUniform(engine);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double StandardLaplace(std::mt19937_64& engine) {
  const double u = OpenUniform(engine);
  return u < 0.5 ? std::log(2.0 * u) : -std::log(2.0 * (1.0 - u));
}

}  // namespace convexscore
