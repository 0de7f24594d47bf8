#include "convexscore/sampling/langevin.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "convexscore/common.h"
#include "convexscore/io/numbers.h"
#include "convexscore/sampling/chain_runner.h"
#include "convexscore/sampling/piecewise_score.h"
#include "convexscore/sampling/random.h"

namespace convexscore {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

std::string Num(double value) { return FormatDouble(value, 6); }

// One linear piece of the score with its interval [lower, upper), 32 bytes, so that the walk
// and the update read one cache line.
struct Piece {
  double lower;
  double upper;
  double slope;
  double intercept;
};

// The score laid out for sampling. A particle keeps the index of its piece and walks it to a
// neighbour when it crosses a kink: per step that is one or two comparisons, since a step
// moves a particle by about sqrt(eps), far less than the distance between most kinks.
class PieceTable {
 public:
  explicit PieceTable(const PiecewiseLinear1D& score) {
    ValidatePiecewiseLinear1D(score);
    const std::size_t count = score.kinks.size() + 1;
    pieces_.resize(count);
    for (std::size_t k = 0; k < count; ++k) {
      pieces_[k] = {k == 0 ? -kInfinity : score.kinks[k - 1],
                    k + 1 == count ? kInfinity : score.kinks[k], score.slopes[k],
                    score.intercepts[k]};
      max_abs_slope_ = std::max(max_abs_slope_, std::abs(score.slopes[k]));
    }
  }

  // The piece holding x: the same convention as PiecewiseLinear1D (a kink starts a piece).
  std::size_t Locate(double x) const {
    std::size_t lo = 0, hi = pieces_.size() - 1;
    while (lo < hi) {
      const std::size_t mid = (lo + hi + 1) / 2;
      if (x >= pieces_[mid].lower)
        lo = mid;
      else
        hi = mid - 1;
    }
    return lo;
  }

  const Piece* pieces() const { return pieces_.data(); }
  double max_abs_slope() const { return max_abs_slope_; }

 private:
  std::vector<Piece> pieces_;
  double max_abs_slope_ = 0.0;
};

struct Level {
  PieceTable table;
  double sigma = 0.0;  // 0 for the plain sampler
  double step_size = 0.0;
  double half_step = 0.0;
  double sqrt_step = 0.0;
};

void ValidateDataStart(const LangevinOptions& options) {
  if (options.init.kind != LangevinInit::Kind::kData) return;
  if (options.init.data.empty()) throw Error("data start: no data points given");
  for (double value : options.init.data) {
    if (!std::isfinite(value)) throw Error("data start: a data point is not finite");
  }
}

double Start(const LangevinInit& init, Xoshiro256StarStar& rng, NormalSource& normal) {
  switch (init.kind) {
    case LangevinInit::Kind::kUniform:
      return init.low + (init.high - init.low) * rng.Uniform();
    case LangevinInit::Kind::kGaussian:
      return init.mean + init.sd * normal.Next(rng);
    case LangevinInit::Kind::kData:
      return init.data[UniformIndex(rng, init.data.size())];
  }
  return 0.0;
}

class LangevinRun {
 public:
  LangevinRun(std::vector<Level> levels, const LangevinOptions& options)
      : levels_(std::move(levels)), options_(options) {}

  LangevinResult Run();

 private:
  // Moves particle i through every level; writes its final position unless it failed or was
  // abandoned because an earlier failure is known.
  void RunParticle(std::int64_t i, ChainControl& control);
  [[noreturn]] void ThrowFailure(const ChainFailure& failure) const;

  std::vector<Level> levels_;
  const LangevinOptions& options_;
  std::vector<double> samples_;
};

void LangevinRun::RunParticle(std::int64_t i, ChainControl& control) {
  Xoshiro256StarStar rng = ParticleStream(options_.seed, static_cast<std::uint64_t>(i));
  NormalSource normal;
  double x = Start(options_.init, rng, normal);
  const std::int64_t steps = options_.steps;
  for (std::size_t l = 0; l < levels_.size(); ++l) {
    const Level& level = levels_[l];
    const Piece* const pieces = level.table.pieces();
    const double half_step = level.half_step;
    const double sqrt_step = level.sqrt_step;
    const std::int64_t base = static_cast<std::int64_t>(l) * steps;
    std::size_t k = level.table.Locate(x);
    for (std::int64_t t = 0; t < steps;) {
      if (control.Abandoned(base + t)) return;
      const std::int64_t block_start = t;
      const std::int64_t block_end = std::min(steps, t + kChainBlockSteps);
      for (; t < block_end; ++t) {
        const Piece& piece = pieces[k];
        const double z = normal.Next(rng);
        const double next = x + half_step * (piece.slope * x + piece.intercept) + sqrt_step * z;
        if (!(std::abs(next) <= kLangevinDivergenceBound)) {  // also catches NaN
          control.Fail(base + t, i, {&x, 1}, {&next, 1});
          return;
        }
        x = next;
        // The outer pieces have infinite bounds and x is finite: both walks stop in range.
        while (x >= pieces[k].upper) ++k;
        while (x < pieces[k].lower) --k;
      }
      control.AddSteps(block_end - block_start);
    }
  }
  samples_[static_cast<std::size_t>(i)] = x;
}

[[noreturn]] void LangevinRun::ThrowFailure(const ChainFailure& failure) const {
  const Level& level = levels_[static_cast<std::size_t>(failure.global_step / options_.steps)];
  std::string message =
      DivergenceHeadline(failure, options_.steps, levels_.size(), level.sigma, level.step_size) +
      " went from " + Num(failure.before.at(0)) + " to " + Num(failure.after.at(0));
  // A step x <- x (1 + eps s / 2) + ... on a piece of slope s < 0 is stable only if
  // eps |s| < 4; otherwise the chain oscillates with growing amplitude.
  const double stiffness = level.step_size * level.table.max_abs_slope();
  if (stiffness >= 4.0) {
    message += "; the step size is too large for this score (eps * max|slope| = " + Num(stiffness) +
               ", the Langevin step is stable only below 4)";
  } else {
    message +=
        "; the score does not confine the particles (is its stationary law "
        "normalisable? see `convexscore limit`)";
  }
  throw Error(message);
}

LangevinResult LangevinRun::Run() {
  ValidateLangevinOptions(options_);
  ValidateDataStart(options_);
  samples_.assign(static_cast<std::size_t>(options_.particles), 0.0);
  LangevinResult result;
  result.summary = RunLevels(
      options_, levels_, [this](std::int64_t i, ChainControl& control) { RunParticle(i, control); },
      [this](const ChainFailure& failure) { ThrowFailure(failure); });
  LangevinSummary& summary = result.summary;
  double sum = 0.0;
  for (double x : samples_) sum += x;
  summary.sample_mean = sum / static_cast<double>(options_.particles);
  double squares = 0.0;
  for (double x : samples_) squares += (x - summary.sample_mean) * (x - summary.sample_mean);
  summary.sample_variance = squares / static_cast<double>(options_.particles);
  result.samples = std::move(samples_);
  return result;
}

Level MakeLevel(const PiecewiseLinear1D& score, double sigma, double step_size) {
  return Level{PieceTable(score), sigma, step_size, 0.5 * step_size, std::sqrt(step_size)};
}

std::vector<std::string_view> SplitColons(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t stop = text.find(':', start);
    parts.push_back(text.substr(start, stop == std::string_view::npos ? stop : stop - start));
    if (stop == std::string_view::npos) return parts;
    start = stop + 1;
  }
}

}  // namespace

LangevinInit LangevinInit::Uniform(double low, double high) {
  LangevinInit init;
  init.kind = Kind::kUniform;
  init.low = low;
  init.high = high;
  return init;
}

LangevinInit LangevinInit::Gaussian(double mean, double sd) {
  LangevinInit init;
  init.kind = Kind::kGaussian;
  init.mean = mean;
  init.sd = sd;
  return init;
}

LangevinInit LangevinInit::Data(std::vector<double> points) {
  LangevinInit init;
  init.kind = Kind::kData;
  init.data = std::move(points);
  return init;
}

LangevinInit LangevinInit::DataPoints(Eigen::MatrixXd points) {
  LangevinInit init;
  init.kind = Kind::kData;
  init.points = std::move(points);
  return init;
}

LangevinInit LangevinInit::Parse(std::string_view text) {
  // Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string here.
  std::string start = "start '";
  start.append(text).append("'");
  const std::vector<std::string_view> parts = SplitColons(text);
  const auto number = [&](std::string_view part, std::string_view what) {
    const std::optional<double> value = ParseDouble(part);
    if (!value || !std::isfinite(*value)) {
      throw Error(start + ": " + std::string(what) + " '" + std::string(part) +
                  "' is not a finite number");
    }
    return *value;
  };
  if (parts[0] == "uniform") {
    if (parts.size() != 3) throw Error(start + ": expected uniform:LO:HI");
    const double low = number(parts[1], "LO"), high = number(parts[2], "HI");
    if (!(low < high)) throw Error(start + ": need LO < HI");
    return Uniform(low, high);
  }
  if (parts[0] == "gaussian") {
    if (parts.size() == 1) return Gaussian();
    if (parts.size() != 3) {
      throw Error(start + ": expected gaussian or gaussian:MEAN:SD");
    }
    const double mean = number(parts[1], "MEAN"), sd = number(parts[2], "SD");
    if (!(sd > 0.0)) throw Error(start + ": need SD > 0");
    return Gaussian(mean, sd);
  }
  if (parts[0] == "data" && parts.size() == 1) return Data({});
  throw Error("unknown " + start + " (expected uniform:LO:HI, gaussian[:MEAN:SD] or data)");
}

std::string LangevinInit::Describe() const {
  switch (kind) {
    case Kind::kUniform:
      return "uniform:" + FormatDouble(low) + ":" + FormatDouble(high);
    case Kind::kGaussian:
      return "gaussian:" + FormatDouble(mean) + ":" + FormatDouble(sd);
    case Kind::kData: {
      const std::size_t count =
          points.size() > 0 ? static_cast<std::size_t>(points.rows()) : data.size();
      return "data (" + std::to_string(count) + " points)";
    }
  }
  return "";
}

LangevinResult SampleLangevin(const PiecewiseLinear1D& score, const LangevinOptions& options) {
  ValidateLangevinOptions(options);
  std::vector<Level> levels;
  levels.push_back(MakeLevel(score, 0.0, options.step_size));
  return LangevinRun(std::move(levels), options).Run();
}

std::vector<double> AnnealedStepSizes(std::span<const double> sigmas, double step_size) {
  if (sigmas.empty()) throw Error("annealed sampling needs at least one noise level");
  if (!std::isfinite(step_size) || !(step_size > 0.0)) {
    throw Error("the step size must be positive and finite (got " + FormatDouble(step_size) + ")");
  }
  for (std::size_t i = 0; i < sigmas.size(); ++i) {
    if (!std::isfinite(sigmas[i]) || !(sigmas[i] > 0.0)) {
      throw Error("noise level " + std::to_string(i + 1) +
                  ": sigma must be positive and finite (got " + FormatDouble(sigmas[i]) + ")");
    }
    if (i > 0 && !(sigmas[i] < sigmas[i - 1])) {
      throw Error("noise level " + std::to_string(i + 1) + ": sigma " + FormatDouble(sigmas[i]) +
                  " is not below the previous one, " + FormatDouble(sigmas[i - 1]) +
                  " (the levels must have decreasing sigma)");
    }
  }
  const double last = sigmas.back();
  std::vector<double> steps(sigmas.size());
  for (std::size_t i = 0; i < sigmas.size(); ++i) {
    const double ratio = sigmas[i] / last;
    steps[i] = step_size * (ratio * ratio);
    if (!std::isfinite(steps[i])) {
      throw Error("noise level " + std::to_string(i + 1) +
                  ": the step size eps (sigma_i / "
                  "sigma_L)^2 overflows");
    }
  }
  return steps;
}

LangevinResult SampleAnnealedLangevin(std::span<const NoiseLevelScore> levels,
                                      const LangevinOptions& options) {
  ValidateLangevinOptions(options);
  const std::vector<double> step_sizes = AnnealedStepSizesOf(levels, options.step_size);
  std::vector<Level> tables;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    tables.push_back(MakeLevel(levels[i].score, levels[i].sigma, step_sizes[i]));
  }
  return LangevinRun(std::move(tables), options).Run();
}

}  // namespace convexscore
