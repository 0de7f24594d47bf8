#include "convexscore/data/generators.h"

#include <cmath>
#include <numbers>
#include <random>
#include <string>

#include "convexscore/common.h"

namespace convexscore {
namespace {

// Uniform on the open interval (0, 1): the top 53 bits, offset by half a step so neither end
// is reached (the transforms below take logarithms).
double OpenUniform(std::mt19937_64& engine) {
  constexpr double kStep = 1.0 / 9007199254740992.0;  // 2^-53
  return (static_cast<double>(engine() >> 11) + 0.5) * kStep;
}

// Box-Muller, cosine branch only: one normal from two uniforms keeps the stream simple.
double StandardNormal(std::mt19937_64& engine) {
  const double u1 = OpenUniform(engine);
  const double u2 = OpenUniform(engine);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// Inverse CDF of Laplace(0, 1).
double StandardLaplace(std::mt19937_64& engine) {
  const double u = OpenUniform(engine);
  return u < 0.5 ? std::log(2.0 * u) : -std::log(2.0 * (1.0 - u));
}

double MixtureDraw(std::mt19937_64& engine) {
  constexpr double kLeftWeight = 0.4;
  if (OpenUniform(engine) < kLeftWeight) return -2.0 + 0.5 * StandardNormal(engine);
  return 1.5 + 0.7 * StandardNormal(engine);
}

}  // namespace

const std::vector<std::string_view>& GeneratorKinds() {
  static const std::vector<std::string_view> kinds = {"gaussian", "mixture", "laplace"};
  return kinds;
}

std::vector<double> Generate1D(std::string_view kind, int n, std::uint64_t seed) {
  double (*draw)(std::mt19937_64&) = nullptr;
  if (kind == "gaussian") {
    draw = StandardNormal;
  } else if (kind == "mixture") {
    draw = MixtureDraw;
  } else if (kind == "laplace") {
    draw = StandardLaplace;
  } else {
    throw Error("unknown generator '" + std::string(kind) +
                "' (expected gaussian, mixture or laplace)");
  }
  if (n < 2) {
    throw Error("the generator needs n >= 2 points (got n = " + std::to_string(n) + ")");
  }
  std::mt19937_64 engine(seed);
  std::vector<double> values(static_cast<std::size_t>(n));
  for (double& value : values) value = draw(engine);
  return values;
}

}  // namespace convexscore
