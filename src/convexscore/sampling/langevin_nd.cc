#include "convexscore/sampling/langevin_nd.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "convexscore/common.h"
#include "convexscore/io/numbers.h"
#include "convexscore/sampling/chain_runner.h"
#include "convexscore/sampling/random.h"

namespace convexscore {
namespace {

struct LevelND {
  const NetworkND* network = nullptr;
  double sigma = 0.0;  // 0 for the plain sampler
  double step_size = 0.0;
  double half_step = 0.0;
  double sqrt_step = 0.0;
};

LevelND MakeLevel(const NetworkND& network, double sigma, double step_size) {
  network.Validate();
  return {&network, sigma, step_size, 0.5 * step_size, std::sqrt(step_size)};
}

void ValidateDataStart(const LangevinInit& init, int dimension) {
  if (init.kind != LangevinInit::Kind::kData) return;
  if (init.points.rows() == 0) throw Error("data start: no data points given");
  if (init.points.cols() != dimension) {
    throw Error("data start: the points have " + std::to_string(init.points.cols()) +
                " coordinates but the model has dimension " + std::to_string(dimension));
  }
  if (!init.points.allFinite()) throw Error("data start: a data point is not finite");
}

// "(1.5, -2)", at most six coordinates.
std::string Point(const std::vector<double>& x) {
  constexpr std::size_t kShown = 6;
  std::string text = "(";
  for (std::size_t k = 0; k < std::min(x.size(), kShown); ++k) {
    if (k > 0) text += ", ";
    text += FormatDouble(x[k], 6);
  }
  if (x.size() > kShown) text += ", ...";
  return text + ")";
}

// An upper bound on the Lipschitz constant of the score: sum_j ||a_j|| ||w_j|| + ||V||_F
// (|act'| <= 1 for relu and abs).
double LipschitzBound(const NetworkND& network) {
  double bound = network.skip ? network.skip->norm() : 0.0;
  for (Eigen::Index j = 0; j < network.neurons(); ++j) {
    bound += network.a.row(j).norm() * network.w.row(j).norm();
  }
  return bound;
}

class LangevinRunND {
 public:
  LangevinRunND(std::vector<LevelND> levels, const LangevinOptions& options)
      : levels_(std::move(levels)), options_(options), d_(levels_.front().network->dimension()) {}

  LangevinResultND Run();

 private:
  void Start(Xoshiro256StarStar& rng, const NormalSource& normal, double* x) const;
  void RunParticle(std::int64_t i, ChainControl& control);
  [[noreturn]] void ThrowFailure(const ChainFailure& failure) const;

  std::vector<LevelND> levels_;
  const LangevinOptions& options_;
  const int d_;
  Eigen::MatrixXd samples_;
};

void LangevinRunND::Start(Xoshiro256StarStar& rng, const NormalSource& normal, double* x) const {
  const LangevinInit& init = options_.init;
  switch (init.kind) {
    case LangevinInit::Kind::kUniform:
      for (int k = 0; k < d_; ++k) x[k] = init.low + (init.high - init.low) * rng.Uniform();
      return;
    case LangevinInit::Kind::kGaussian:
      for (int k = 0; k < d_; ++k) x[k] = init.mean + init.sd * normal.Next(rng);
      return;
    case LangevinInit::Kind::kData: {
      const Eigen::Index row = static_cast<Eigen::Index>(
          UniformIndex(rng, static_cast<std::size_t>(init.points.rows())));
      for (int k = 0; k < d_; ++k) x[k] = init.points(row, k);
      return;
    }
  }
}

void LangevinRunND::RunParticle(std::int64_t i, ChainControl& control) {
  Xoshiro256StarStar rng = ParticleStream(options_.seed, static_cast<std::uint64_t>(i));
  const NormalSource normal;
  std::vector<double> x(static_cast<std::size_t>(d_)), next(x.size()), f(x.size());
  Start(rng, normal, x.data());
  const std::int64_t steps = options_.steps;
  for (std::size_t l = 0; l < levels_.size(); ++l) {
    const LevelND& level = levels_[l];
    const NetworkND& network = *level.network;
    const std::int64_t base = static_cast<std::int64_t>(l) * steps;
    for (std::int64_t t = 0; t < steps;) {
      if (control.Abandoned(base + t)) return;
      const std::int64_t block_start = t;
      const std::int64_t block_end = std::min(steps, t + kChainBlockSteps);
      for (; t < block_end; ++t) {
        network.Score(x.data(), f.data());
        bool escaped = false;
        for (int k = 0; k < d_; ++k) {
          next[k] = x[k] + level.half_step * f[k] + level.sqrt_step * normal.Next(rng);
          // Written so that NaN fails it too.
          escaped = escaped || !(std::abs(next[k]) <= kLangevinDivergenceBound);
        }
        if (escaped) {
          control.Fail(base + t, i, x, next);
          return;
        }
        x.swap(next);
      }
      control.AddSteps(block_end - block_start);
    }
  }
  for (int k = 0; k < d_; ++k) samples_(i, k) = x[static_cast<std::size_t>(k)];
}

[[noreturn]] void LangevinRunND::ThrowFailure(const ChainFailure& failure) const {
  const LevelND& level = levels_[static_cast<std::size_t>(failure.global_step / options_.steps)];
  std::string message =
      DivergenceHeadline(failure, options_.steps, levels_.size(), level.sigma, level.step_size) +
      " went from " + Point(failure.before) + " to " + Point(failure.after);
  // On a linear piece with Jacobian J the step multiplies by I + eps J / 2, unstable once
  // eps |lambda| >= 4 for an eigenvalue lambda of J; |lambda| <= the Lipschitz bound.
  const double stiffness = level.step_size * LipschitzBound(*level.network);
  if (stiffness >= 4.0) {
    message += "; the step size may be too large for this score (eps * L = " +
               FormatDouble(stiffness, 6) +
               " with L = sum_j |a_j| |w_j| + |V| bounding its Lipschitz constant; a step is "
               "certainly stable only when eps * L < 4)";
  } else {
    message += "; the score does not confine the particles (eps * L = " +
               FormatDouble(stiffness, 6) + " < 4 rules out an unstable step)";
  }
  throw Error(message);
}

LangevinResultND LangevinRunND::Run() {
  ValidateLangevinOptions(options_);
  ValidateDataStart(options_.init, d_);
  samples_.resize(options_.particles, d_);
  LangevinResultND result;
  result.summary = RunLevels(
      options_, levels_, [this](std::int64_t i, ChainControl& control) { RunParticle(i, control); },
      [this](const ChainFailure& failure) { ThrowFailure(failure); });
  result.sample_mean = samples_.colwise().mean().transpose();
  result.sample_variance =
      (samples_.rowwise() - result.sample_mean.transpose()).colwise().squaredNorm().transpose() /
      static_cast<double>(options_.particles);
  result.samples = std::move(samples_);
  return result;
}

}  // namespace

LangevinResultND SampleLangevinND(const NetworkND& score, const LangevinOptions& options) {
  ValidateLangevinOptions(options);
  return LangevinRunND({MakeLevel(score, 0.0, options.step_size)}, options).Run();
}

LangevinResultND SampleAnnealedLangevinND(std::span<const NoiseLevelScoreND> levels,
                                          const LangevinOptions& options) {
  ValidateLangevinOptions(options);
  const std::vector<double> step_sizes = AnnealedStepSizesOf(levels, options.step_size);
  std::vector<LevelND> steps;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (levels[i].score.dimension() != levels[0].score.dimension()) {
      throw Error("noise level " + std::to_string(i + 1) + " has dimension " +
                  std::to_string(levels[i].score.dimension()) + " but level 1 has " +
                  std::to_string(levels[0].score.dimension()));
    }
    steps.push_back(MakeLevel(levels[i].score, levels[i].sigma, step_sizes[i]));
  }
  return LangevinRunND(std::move(steps), options).Run();
}

}  // namespace convexscore
