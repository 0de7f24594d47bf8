#include "convexscore/sampling/langevin.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "convexscore/common.h"
#include "convexscore/io/numbers.h"
#include "convexscore/sampling/piecewise_score.h"
#include "convexscore/sampling/random.h"

namespace convexscore {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr std::int64_t kNoFailure = std::numeric_limits<std::int64_t>::max();
// Steps a particle takes between looks at the shared state (progress, earlier failures).
constexpr std::int64_t kBlockSteps = 4096;

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

void ValidateOptions(const LangevinOptions& options) {
  if (options.particles < 1) {
    throw Error("the number of particles must be at least 1 (got " +
                std::to_string(options.particles) + ")");
  }
  if (options.steps < 1) {
    throw Error("the number of steps must be at least 1 (got " + std::to_string(options.steps) +
                ")");
  }
  if (!std::isfinite(options.step_size) || !(options.step_size > 0.0)) {
    throw Error("the step size must be positive and finite (got " +
                FormatDouble(options.step_size) + ")");
  }
  if (options.threads < 0) {
    throw Error("the number of threads must be 0 (automatic) or positive (got " +
                std::to_string(options.threads) + ")");
  }
  const LangevinInit& init = options.init;
  switch (init.kind) {
    case LangevinInit::Kind::kUniform:
      if (!std::isfinite(init.low) || !std::isfinite(init.high) || !(init.low < init.high)) {
        throw Error("uniform start: need finite LO < HI (got " + FormatDouble(init.low) + ", " +
                    FormatDouble(init.high) + ")");
      }
      break;
    case LangevinInit::Kind::kGaussian:
      if (!std::isfinite(init.mean) || !std::isfinite(init.sd) || !(init.sd > 0.0)) {
        throw Error("gaussian start: need a finite mean and a positive finite sd (got " +
                    FormatDouble(init.mean) + ", " + FormatDouble(init.sd) + ")");
      }
      break;
    case LangevinInit::Kind::kData:
      if (init.data.empty()) throw Error("data start: no data points given");
      for (double value : init.data) {
        if (!std::isfinite(value)) throw Error("data start: a data point is not finite");
      }
      break;
  }
}

// The first non-finite position: the smallest global step (level * steps + step, 0-based),
// then the smallest particle.
struct Failure {
  std::int64_t global_step = kNoFailure;
  std::int64_t particle = 0;
  double before = 0.0;
  double after = 0.0;
};

class LangevinRun {
 public:
  LangevinRun(std::vector<Level> levels, const LangevinOptions& options)
      : levels_(std::move(levels)), options_(options) {}

  LangevinResult Run();

 private:
  double Start(Xoshiro256StarStar& rng, NormalSource& normal) const;
  // Moves particle i through every level; writes its final position unless it failed or was
  // abandoned because an earlier failure is known.
  void RunParticle(std::int64_t i, std::int64_t& unreported_steps);
  void Worker();
  void RecordFailure(std::int64_t global_step, std::int64_t particle, double before, double after);
  [[noreturn]] void ThrowFailure() const;

  std::vector<Level> levels_;
  const LangevinOptions& options_;
  std::vector<double> samples_;
  std::int64_t chunk_size_ = 1;
  std::int64_t chunk_count_ = 0;
  std::atomic<std::int64_t> next_chunk_{0};
  std::atomic<std::int64_t> steps_done_{0};
  std::atomic<std::int64_t> failure_step_{kNoFailure};
  std::mutex failure_mutex_;
  Failure failure_;
};

double LangevinRun::Start(Xoshiro256StarStar& rng, NormalSource& normal) const {
  const LangevinInit& init = options_.init;
  switch (init.kind) {
    case LangevinInit::Kind::kUniform:
      return init.low + (init.high - init.low) * rng.Uniform();
    case LangevinInit::Kind::kGaussian:
      return init.mean + init.sd * normal.Next(rng);
    case LangevinInit::Kind::kData: {
      const double n = static_cast<double>(init.data.size());
      const auto index =
          std::min(static_cast<std::size_t>(rng.Uniform() * n), init.data.size() - 1);
      return init.data[index];
    }
  }
  return 0.0;
}

void LangevinRun::RecordFailure(std::int64_t global_step, std::int64_t particle, double before,
                                double after) {
  std::lock_guard<std::mutex> lock(failure_mutex_);
  if (global_step < failure_.global_step ||
      (global_step == failure_.global_step && particle < failure_.particle)) {
    failure_ = {global_step, particle, before, after};
    failure_step_.store(global_step, std::memory_order_relaxed);
  }
}

void LangevinRun::RunParticle(std::int64_t i, std::int64_t& unreported_steps) {
  Xoshiro256StarStar rng = ParticleStream(options_.seed, static_cast<std::uint64_t>(i));
  NormalSource normal;
  double x = Start(rng, normal);
  const std::int64_t steps = options_.steps;
  for (std::size_t l = 0; l < levels_.size(); ++l) {
    const Level& level = levels_[l];
    const Piece* const pieces = level.table.pieces();
    const double half_step = level.half_step;
    const double sqrt_step = level.sqrt_step;
    const std::int64_t base = static_cast<std::int64_t>(l) * steps;
    std::size_t k = level.table.Locate(x);
    for (std::int64_t t = 0; t < steps;) {
      // A failure already recorded at an earlier step makes the rest of this chain moot.
      if (base + t > failure_step_.load(std::memory_order_relaxed)) return;
      const std::int64_t block_start = t;
      const std::int64_t block_end = std::min(steps, t + kBlockSteps);
      for (; t < block_end; ++t) {
        const Piece& piece = pieces[k];
        const double z = normal.Next(rng);
        const double next = x + half_step * (piece.slope * x + piece.intercept) + sqrt_step * z;
        if (!std::isfinite(next)) {
          RecordFailure(base + t, i, x, next);
          return;
        }
        x = next;
        // The outer pieces have infinite bounds and x is finite: both walks stop in range.
        while (x >= pieces[k].upper) ++k;
        while (x < pieces[k].lower) --k;
      }
      unreported_steps += block_end - block_start;
      if (unreported_steps >= kBlockSteps) {
        steps_done_.fetch_add(unreported_steps, std::memory_order_relaxed);
        unreported_steps = 0;
      }
    }
  }
  samples_[static_cast<std::size_t>(i)] = x;
}

void LangevinRun::Worker() {
  std::int64_t unreported_steps = 0;
  while (true) {
    const std::int64_t chunk = next_chunk_.fetch_add(1, std::memory_order_relaxed);
    if (chunk >= chunk_count_) break;
    const std::int64_t first = chunk * chunk_size_;
    const std::int64_t last = std::min(options_.particles, first + chunk_size_);
    for (std::int64_t i = first; i < last; ++i) RunParticle(i, unreported_steps);
  }
  steps_done_.fetch_add(unreported_steps, std::memory_order_relaxed);
}

[[noreturn]] void LangevinRun::ThrowFailure() const {
  const std::int64_t steps = options_.steps;
  const std::size_t l = static_cast<std::size_t>(failure_.global_step / steps);
  const std::int64_t step = failure_.global_step % steps + 1;
  const Level& level = levels_[l];
  std::string message =
      "sampling diverged at step " + std::to_string(step) + " of " + std::to_string(steps);
  if (levels_.size() > 1 || level.sigma > 0.0) {
    message += " of noise level " + std::to_string(l + 1) + " of " +
               std::to_string(levels_.size()) + " (sigma = " + Num(level.sigma) + ", step size " +
               Num(level.step_size) + ")";
  }
  message += ": particle " + std::to_string(failure_.particle) + " went from " +
             Num(failure_.before) + " to " + Num(failure_.after);
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
  ValidateOptions(options_);
  const std::int64_t particles = options_.particles;
  const std::int64_t total_steps_per_particle =
      options_.steps * static_cast<std::int64_t>(levels_.size());
  if (options_.steps >
          std::numeric_limits<std::int64_t>::max() / static_cast<std::int64_t>(levels_.size()) ||
      total_steps_per_particle > std::numeric_limits<std::int64_t>::max() / particles) {
    throw Error("particles x steps x levels is too large");
  }
  samples_.assign(static_cast<std::size_t>(particles), 0.0);

  int threads = options_.threads;
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Chunks of particles handed out on demand balance the load; their size does not matter
  // for the result (each particle is independent).
  chunk_size_ =
      std::clamp<std::int64_t>(particles / (8 * static_cast<std::int64_t>(threads)), 1, 1024);
  chunk_count_ = (particles + chunk_size_ - 1) / chunk_size_;
  const int workers = static_cast<int>(std::min<std::int64_t>(threads, chunk_count_));

  const auto started = std::chrono::steady_clock::now();
  std::mutex running_mutex;
  std::condition_variable running_changed;
  int running = workers;
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(workers));
  const auto stop_all = [&] {
    failure_step_.store(-1, std::memory_order_relaxed);  // every particle abandons its chain
    next_chunk_.store(chunk_count_, std::memory_order_relaxed);
    for (std::thread& worker : pool) worker.join();
  };
  try {
    for (int w = 0; w < workers; ++w) {
      pool.emplace_back([&] {
        Worker();
        {
          std::lock_guard<std::mutex> lock(running_mutex);
          --running;
        }
        running_changed.notify_all();
      });
    }
  } catch (const std::system_error& e) {
    stop_all();
    throw Error(std::string("cannot start sampling threads: ") + e.what());
  }

  const std::int64_t total = particles * total_steps_per_particle;
  const auto interval =
      std::chrono::duration<double>(std::max(0.001, options_.progress_interval_seconds));
  try {
    std::unique_lock<std::mutex> lock(running_mutex);
    while (running > 0) {
      if (running_changed.wait_for(lock, interval, [&] { return running == 0; })) break;
      if (options_.progress) {
        lock.unlock();
        options_.progress(std::min(total, steps_done_.load(std::memory_order_relaxed)), total);
        lock.lock();
      }
    }
  } catch (...) {
    stop_all();
    throw;
  }
  for (std::thread& worker : pool) worker.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (failure_.global_step != kNoFailure) ThrowFailure();
  if (options_.progress) options_.progress(total, total);

  LangevinResult result;
  LangevinSummary& summary = result.summary;
  summary.particles = particles;
  summary.steps_per_level = options_.steps;
  for (const Level& level : levels_) {
    if (level.sigma > 0.0) summary.sigmas.push_back(level.sigma);
    summary.step_sizes.push_back(level.step_size);
  }
  summary.threads = workers;
  summary.particle_steps = total;
  summary.seconds = seconds;
  double sum = 0.0;
  for (double x : samples_) sum += x;
  summary.sample_mean = sum / static_cast<double>(particles);
  double squares = 0.0;
  for (double x : samples_) squares += (x - summary.sample_mean) * (x - summary.sample_mean);
  summary.sample_variance = squares / static_cast<double>(particles);
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
    case Kind::kData:
      return "data (" + std::to_string(data.size()) + " points)";
  }
  return "";
}

LangevinResult SampleLangevin(const PiecewiseLinear1D& score, const LangevinOptions& options) {
  ValidateOptions(options);
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
  ValidateOptions(options);
  std::vector<double> sigmas;
  for (const NoiseLevelScore& level : levels) sigmas.push_back(level.sigma);
  const std::vector<double> step_sizes = AnnealedStepSizes(sigmas, options.step_size);
  std::vector<Level> tables;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    tables.push_back(MakeLevel(levels[i].score, levels[i].sigma, step_sizes[i]));
  }
  return LangevinRun(std::move(tables), options).Run();
}

}  // namespace convexscore
