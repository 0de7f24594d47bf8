#include "convexscore/data/generators.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <string>

#include "convexscore/common.h"
#include "convexscore/data/portable_random.h"

namespace convexscore {
namespace {

constexpr double kPi = std::numbers::pi;

// Index of the mixture component whose cumulative-weight interval holds u (weights sum to 1;
// the last component also takes any rounding remainder).
template <typename Components>
std::size_t ChooseComponent(const Components& components, double u) {
  double cumulative = 0.0;
  for (std::size_t c = 0; c + 1 < components.size(); ++c) {
    cumulative += components[c].weight;
    if (u < cumulative) return c;
  }
  return components.size() - 1;
}

// Fills row i of `out` for every law; one engine runs through all rows in order.
struct RowDrawer {
  std::mt19937_64& engine;
  Eigen::MatrixXd& out;
  Eigen::Index i;

  void operator()(const GaussianSpec& s) { out(i, 0) = s.mean + s.sd * StandardNormal(engine); }
  void operator()(const LaplaceSpec& s) {
    out(i, 0) = s.location + s.scale * StandardLaplace(engine);
  }
  void operator()(const UniformSpec& s) { out(i, 0) = s.lo + (s.hi - s.lo) * OpenUniform(engine); }
  void operator()(const MixtureSpec& s) {
    const NormalComponent& c = s.components[ChooseComponent(s.components, OpenUniform(engine))];
    out(i, 0) = c.mean + c.sd * StandardNormal(engine);
  }
  void operator()(const MoonsSpec& s) {
    const double t = kPi * OpenUniform(engine);
    // Even draws on the upper moon, odd ones on the lower: exactly balanced for even n.
    const bool upper = i % 2 == 0;
    const double x = upper ? std::cos(t) : 1.0 - std::cos(t);
    const double y = upper ? std::sin(t) : 0.5 - std::sin(t);
    AddNoise(x, y, s.noise);
  }
  void operator()(const CircleSpec& s) {
    const double angle = 2.0 * kPi * OpenUniform(engine);
    AddNoise(s.radius * std::cos(angle), s.radius * std::sin(angle), s.noise);
  }
  void operator()(const SpiralSpec& s) {
    const Eigen::Index j = i % s.points;  // base point, 0-based (see distribution_spec.h)
    const double phi = static_cast<double>(j) * kPi / 20.0;
    const double r = 10.0 * static_cast<double>(s.points - j) / static_cast<double>(s.points);
    AddNoise(r * std::cos(phi), r * std::sin(phi), s.noise);
  }
  void operator()(const GaussianMixtureSpec& s) {
    const DiagonalNormalComponent& c =
        s.components[ChooseComponent(s.components, OpenUniform(engine))];
    for (Eigen::Index k = 0; k < c.mean.size(); ++k) {
      out(i, k) = c.mean(k) + c.sd(k) * StandardNormal(engine);
    }
  }

  void AddNoise(double x, double y, double noise) {
    const double dx = StandardNormal(engine);
    const double dy = StandardNormal(engine);
    out(i, 0) = x + noise * dx;
    out(i, 1) = y + noise * dy;
  }
};

}  // namespace

const std::vector<std::string_view>& GeneratorKinds() {
  static const std::vector<std::string_view> kinds = {"gaussian", "mixture", "laplace"};
  return kinds;
}

std::vector<double> Generate1D(std::string_view kind, int n, std::uint64_t seed) {
  const auto& kinds = GeneratorKinds();
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
    throw Error("unknown generator '" + std::string(kind) +
                "' (expected gaussian, mixture or laplace)");
  }
  if (n < 2) {
    throw Error("the generator needs n >= 2 points (got n = " + std::to_string(n) + ")");
  }
  return GenerateFromSpec1D(ParseDistributionSpec(kind), n, seed);
}

Eigen::MatrixXd GenerateFromSpec(const DistributionSpec& spec, int n, std::uint64_t seed) {
  if (n < 1) {
    throw Error("the generator needs n >= 1 draws (got n = " + std::to_string(n) + ")");
  }
  std::mt19937_64 engine(seed);
  Eigen::MatrixXd out(n, spec.Dimension());
  for (Eigen::Index i = 0; i < n; ++i) std::visit(RowDrawer{engine, out, i}, spec.parameters);
  return out;
}

std::vector<double> GenerateFromSpec1D(const DistributionSpec& spec, int n, std::uint64_t seed) {
  if (spec.Dimension() != 1) {
    throw Error("'" + spec.text + "' is " + std::to_string(spec.Dimension()) +
                "-dimensional; a univariate law is needed here");
  }
  const Eigen::MatrixXd draws = GenerateFromSpec(spec, n, seed);
  return std::vector<double>(draws.data(), draws.data() + draws.size());
}

}  // namespace convexscore
