// Unadjusted Langevin sampling from a univariate piecewise-linear score (theory.md section 5):
//   x <- x + (eps / 2) f(x) + sqrt(eps) z,   z ~ N(0, 1),
// and its annealed form over scores at decreasing noise levels sigma_1 > ... > sigma_L, with
// T steps at each level and step eps_i = eps (sigma_i / sigma_L)^2.
//
// Reproducibility: particle i draws its start and its noise from its own stream
// ParticleStream(seed, i) (sampling/random.h), in that order, so the samples are bit-for-bit
// the same for any number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Dense>

#include "convexscore/model/network1d.h"

namespace convexscore {

// A chain has escaped once a coordinate passes this magnitude (a few more steps would
// overflow): the samplers stop there as they do on NaN or infinity.
inline constexpr double kLangevinDivergenceBound = 1e150;

// Where the particles start.
struct LangevinInit {
  enum class Kind { kUniform, kGaussian, kData };
  Kind kind = Kind::kGaussian;
  double low = -1.0, high = 1.0;  // kUniform: uniform on [low, high)
  double mean = 0.0, sd = 1.0;    // kGaussian: N(mean, sd^2)
  std::vector<double> data;       // kData: each particle starts at a uniformly chosen point
  Eigen::MatrixXd points;         // kData for the d-D samplers (langevin_nd.h): one per row

  // In d dimensions kUniform and kGaussian apply to every coordinate independently.
  static LangevinInit Uniform(double low, double high);
  static LangevinInit Gaussian(double mean = 0.0, double sd = 1.0);
  static LangevinInit Data(std::vector<double> points);
  static LangevinInit DataPoints(Eigen::MatrixXd points);

  // "uniform:LO:HI", "gaussian", "gaussian:MEAN:SD" or "data" (the points are then given
  // separately). Throws Error naming the text for anything else or for invalid numbers.
  static LangevinInit Parse(std::string_view text);
  // "uniform:-1:1", "gaussian:0:1", "data (500 points)"; a data start counts `points` rows
  // when it has them, else `data`.
  std::string Describe() const;
};

struct LangevinOptions {
  std::int64_t particles = 1000;
  std::int64_t steps = 1000;  // per noise level for the annealed sampler
  double step_size = 1e-2;    // eps; for the annealed sampler the step of the last level
  std::uint64_t seed = 1;
  int threads = 0;  // 0: one per hardware thread
  LangevinInit init;
  // Called on the calling thread about every `progress_interval_seconds` while the workers
  // run, and once at the end, with particle-steps done and the total. Empty: not called.
  std::function<void(std::int64_t done, std::int64_t total)> progress;
  double progress_interval_seconds = 0.1;
};

struct LangevinSummary {
  std::int64_t particles = 0;
  std::int64_t steps_per_level = 0;
  std::vector<double> sigmas;      // noise levels (empty for the plain sampler)
  std::vector<double> step_sizes;  // step of each level (one entry for the plain sampler)
  int threads = 0;                 // worker threads used
  std::int64_t particle_steps = 0;
  double seconds = 0.0;          // wall time of the sampling itself
  // Of the returned samples, variance in mean form (divides by N). 1-D samplers only; the d-D
  // samplers leave them 0 and give per-coordinate moments in LangevinResultND.
  double sample_mean = 0.0;
  double sample_variance = 0.0;
};

struct LangevinResult {
  std::vector<double> samples;  // final positions, particle i at index i
  LangevinSummary summary;
};

// Plain unadjusted Langevin. Throws Error for step_size <= 0 or not finite, particles < 1,
// steps < 1, threads < 0, invalid init parameters, and when a particle position becomes NaN,
// infinite or larger in magnitude than kLangevinDivergenceBound; the message then names the
// step (1-based) and the particle, and suggests why.
// The reported step is the first one at which any particle failed (ties: lowest particle), so
// it too does not depend on the thread count.
LangevinResult SampleLangevin(const PiecewiseLinear1D& score, const LangevinOptions& options);

// A score at one noise level.
struct NoiseLevelScore {
  double sigma = 1.0;
  PiecewiseLinear1D score;
};

// eps_i = eps (sigma_i / sigma_L)^2. Throws Error unless the sigmas are finite, positive and
// strictly decreasing, eps is positive and finite, and every eps_i is finite.
std::vector<double> AnnealedStepSizes(std::span<const double> sigmas, double step_size);

// Annealed Langevin: `steps` steps at each level in the given order (decreasing sigma), the
// particles carried from one level to the next. Errors as above; a failure names the level.
LangevinResult SampleAnnealedLangevin(std::span<const NoiseLevelScore> levels,
                                      const LangevinOptions& options);

}  // namespace convexscore
