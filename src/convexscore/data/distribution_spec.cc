#include "convexscore/data/distribution_spec.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "convexscore/common.h"
#include "convexscore/io/numbers.h"

namespace convexscore {
namespace {

template <typename... Lambdas>
struct Overloaded : Lambdas... {
  using Lambdas::operator()...;
};

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t stop = text.find(separator, start);
    if (stop == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, stop - start));
    start = stop + 1;
  }
}

// Parses one spec; every failure is reported through Fail, which prefixes the whole spec.
class SpecParser {
 public:
  explicit SpecParser(std::string_view text) : text_(text) {}

  [[noreturn]] void Fail(const std::string& reason) const {
    throw Error("invalid distribution spec '" + std::string(text_) + "': " + reason);
  }

  double Number(std::string_view what, std::string_view cell) const {
    const std::string shown(TrimWhitespace(cell));
    if (shown.empty()) Fail(std::string(what) + " is missing");
    const std::optional<double> value = ParseDouble(cell);
    if (!value) Fail(std::string(what) + " '" + shown + "' is not a number");
    if (!std::isfinite(*value)) Fail(std::string(what) + " '" + shown + "' is not finite");
    return *value;
  }

  double Positive(std::string_view what, std::string_view cell) const {
    const double value = Number(what, cell);
    if (!(value > 0)) Fail(std::string(what) + " must be > 0 (got " + FormatDouble(value) + ")");
    return value;
  }

  double NonNegative(std::string_view what, std::string_view cell) const {
    const double value = Number(what, cell);
    if (value < 0) Fail(std::string(what) + " must be >= 0 (got " + FormatDouble(value) + ")");
    return value;
  }

  // Splits the parameters at ':' and checks their count is one of `allowed`.
  std::vector<std::string_view> Fields(std::string_view parameters, std::string_view name,
                                       std::string_view usage, std::size_t min_count,
                                       std::size_t max_count) const {
    const std::vector<std::string_view> fields = Split(parameters, ':');
    if (fields.size() < min_count || fields.size() > max_count) {
      Fail(std::string(name) + " takes " + std::string(usage) + ", got " +
           std::to_string(fields.size()) + " parameter" + (fields.size() == 1 ? "" : "s"));
    }
    return fields;
  }

  // Calls read(label, cells) for each ';'-separated component of three ','-separated cells.
  template <typename Read>
  void ForEachComponent(std::string_view parameters, std::string_view form, Read read) const {
    const std::vector<std::string_view> items = Split(parameters, ';');
    for (std::size_t c = 0; c < items.size(); ++c) {
      const std::string label = "component " + std::to_string(c + 1);
      const std::vector<std::string_view> cells = Split(items[c], ',');
      if (cells.size() != 3) {
        Fail(label + " '" + std::string(TrimWhitespace(items[c])) + "' is not " +
             std::string(form));
      }
      read(label, cells);
    }
  }

  // "W,MEAN,SD;W,MEAN,SD;...": components of a 1-D Gaussian mixture.
  MixtureSpec Mixture(std::string_view parameters) const {
    MixtureSpec mixture;
    ForEachComponent(parameters, "WEIGHT,MEAN,SD",
                     [&](const std::string& label, const std::vector<std::string_view>& cells) {
                       mixture.components.push_back({Positive(label + " weight", cells[0]),
                                                     Number(label + " mean", cells[1]),
                                                     Positive(label + " SD", cells[2])});
                     });
    double total = 0.0;
    for (const NormalComponent& component : mixture.components) total += component.weight;
    for (NormalComponent& component : mixture.components) component.weight /= total;
    return mixture;
  }

  // "V1/V2/.../Vd".
  Eigen::VectorXd Vector(const std::string& what, std::string_view cell, bool positive) const {
    const std::vector<std::string_view> parts = Split(cell, '/');
    Eigen::VectorXd vector(static_cast<Eigen::Index>(parts.size()));
    for (std::size_t k = 0; k < parts.size(); ++k) {
      const std::string label =
          parts.size() == 1 ? what : what + " coordinate " + std::to_string(k + 1);
      vector(static_cast<Eigen::Index>(k)) =
          positive ? Positive(label, parts[k]) : Number(label, parts[k]);
    }
    return vector;
  }

  // "W,M1/.../Md,SD;...": components of a diagonal Gaussian mixture in d dimensions.
  GaussianMixtureSpec GaussianMixture(std::string_view parameters) const {
    GaussianMixtureSpec mixture;
    ForEachComponent(parameters, "WEIGHT,M1/.../Md,SD", [&](const std::string& label,
                                                             const std::vector<std::string_view>& cells) {
      DiagonalNormalComponent component;
      component.weight = Positive(label + " weight", cells[0]);
      component.mean = Vector(label + " mean", cells[1], false);
      const Eigen::VectorXd sd = Vector(label + " SD", cells[2], true);
      const Eigen::Index d = component.mean.size();
      if (sd.size() == 1) {
        component.sd = Eigen::VectorXd::Constant(d, sd(0));
      } else if (sd.size() == d) {
        component.sd = sd;
      } else {
        Fail(label + " has a " + std::to_string(d) + "-dimensional mean but " +
             std::to_string(sd.size()) + " SDs (give 1 or " + std::to_string(d) + ")");
      }
      if (!mixture.components.empty() && mixture.components.front().mean.size() != d) {
        Fail(label + " is " + std::to_string(d) + "-dimensional but component 1 is " +
             std::to_string(mixture.components.front().mean.size()) + "-dimensional");
      }
      mixture.components.push_back(std::move(component));
    });
    double total = 0.0;
    for (const auto& component : mixture.components) total += component.weight;
    for (auto& component : mixture.components) component.weight /= total;
    return mixture;
  }

  DistributionParameters Parse(std::string_view name, std::optional<std::string_view> params) {
    const std::string_view p = params.value_or("");
    if (name == "gaussian") {
      if (!params) return GaussianSpec{};
      const auto f = Fields(p, name, "MEAN:SD", 2, 2);
      return GaussianSpec{Number("MEAN", f[0]), Positive("SD", f[1])};
    }
    if (name == "laplace") {
      if (!params) return LaplaceSpec{};
      const auto f = Fields(p, name, "LOCATION:SCALE", 2, 2);
      return LaplaceSpec{Number("LOCATION", f[0]), Positive("SCALE", f[1])};
    }
    if (name == "uniform") {
      if (!params) return UniformSpec{};
      const auto f = Fields(p, name, "LO:HI", 2, 2);
      const UniformSpec uniform{Number("LO", f[0]), Number("HI", f[1])};
      if (!(uniform.lo < uniform.hi)) {
        Fail("need LO < HI (got " + FormatDouble(uniform.lo) + " and " +
             FormatDouble(uniform.hi) + ")");
      }
      return uniform;
    }
    if (name == "mixture") {
      return Mixture(params ? p : std::string_view("0.4,-2,0.5;0.6,1.5,0.7"));
    }
    if (name == "moons") {
      if (!params) return MoonsSpec{};
      const auto f = Fields(p, name, "NOISE", 1, 1);
      return MoonsSpec{NonNegative("NOISE", f[0])};
    }
    if (name == "circle") {
      if (!params) return CircleSpec{};
      const auto f = Fields(p, name, "RADIUS[:NOISE]", 1, 2);
      return CircleSpec{Positive("RADIUS", f[0]), f.size() > 1 ? NonNegative("NOISE", f[1]) : 0};
    }
    if (name == "spiral") {
      if (!params) return SpiralSpec{};
      const auto f = Fields(p, name, "POINTS[:NOISE]", 1, 2);
      const std::optional<std::int64_t> points = ParseInt64(f[0]);
      if (!points || *points < 1 || *points > std::numeric_limits<int>::max()) {
        Fail("POINTS '" + std::string(TrimWhitespace(f[0])) + "' is not a positive integer");
      }
      return SpiralSpec{static_cast<int>(*points), f.size() > 1 ? NonNegative("NOISE", f[1]) : 0};
    }
    if (name == "gmm-d") {
      if (!params) Fail("gmm-d needs its components: W,M1/.../Md,SD;...");
      return GaussianMixture(p);
    }
    std::string expected;
    const auto& names = DistributionNames();
    for (std::size_t i = 0; i < names.size(); ++i) {
      expected += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + std::string(names[i]);
    }
    Fail("unknown distribution '" + std::string(name) + "' (expected " + expected + ")");
  }

 private:
  std::string_view text_;
};

}  // namespace

const std::vector<std::string_view>& DistributionNames() {
  static const std::vector<std::string_view> names = {
      "gaussian", "laplace", "uniform", "mixture", "moons", "circle", "spiral", "gmm-d"};
  return names;
}

DistributionSpec ParseDistributionSpec(std::string_view text) {
  const std::string_view trimmed = TrimWhitespace(text);
  if (trimmed.empty()) throw Error("invalid distribution spec '': it is empty");
  SpecParser parser(trimmed);
  const std::size_t colon = trimmed.find(':');
  const std::string_view name = TrimWhitespace(trimmed.substr(0, colon));
  std::optional<std::string_view> parameters;
  if (colon != std::string_view::npos) parameters = trimmed.substr(colon + 1);
  return DistributionSpec{std::string(trimmed), parser.Parse(name, parameters)};
}

std::string_view DistributionSpec::Name() const {
  return std::visit(Overloaded{
                        [](const GaussianSpec&) { return std::string_view("gaussian"); },
                        [](const LaplaceSpec&) { return std::string_view("laplace"); },
                        [](const UniformSpec&) { return std::string_view("uniform"); },
                        [](const MixtureSpec&) { return std::string_view("mixture"); },
                        [](const MoonsSpec&) { return std::string_view("moons"); },
                        [](const CircleSpec&) { return std::string_view("circle"); },
                        [](const SpiralSpec&) { return std::string_view("spiral"); },
                        [](const GaussianMixtureSpec&) { return std::string_view("gmm-d"); },
                    },
                    parameters);
}

int DistributionSpec::Dimension() const {
  return std::visit(Overloaded{
                        [](const MoonsSpec&) { return 2; },
                        [](const CircleSpec&) { return 2; },
                        [](const SpiralSpec&) { return 2; },
                        [](const GaussianMixtureSpec& gmm) {
                          return static_cast<int>(gmm.components.front().mean.size());
                        },
                        [](const auto&) { return 1; },
                    },
                    parameters);
}

}  // namespace convexscore
