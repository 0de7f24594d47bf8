// The machinery the Langevin samplers share (sampling/langevin.h, langevin_nd.h): independent
// chains, one per particle, run on worker threads with progress reports and the first failure
// recorded in an order that does not depend on the thread count.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "convexscore/sampling/langevin.h"

namespace convexscore {

inline constexpr std::int64_t kNoChainFailure = std::numeric_limits<std::int64_t>::max();
// Steps a chain takes between looks at the shared state (progress, earlier failures).
inline constexpr std::int64_t kChainBlockSteps = 4096;

// The first failed step: the smallest global step (level * steps + step, 0-based), then the
// smallest particle, with the particle's position before and after it.
struct ChainFailure {
  std::int64_t global_step = kNoChainFailure;
  std::int64_t particle = 0;
  std::vector<double> before;
  std::vector<double> after;
};

struct ChainRunState;

// What a chain sees of the run: whether it may stop early, where to count its steps, and
// where to report a failure. One per worker thread.
class ChainControl {
 public:
  explicit ChainControl(ChainRunState& state) : state_(state) {}
  ~ChainControl();
  ChainControl(const ChainControl&) = delete;
  ChainControl& operator=(const ChainControl&) = delete;

  // True when a failure at an earlier global step is known: the rest of the chain is moot.
  bool Abandoned(std::int64_t global_step) const;
  void AddSteps(std::int64_t steps);
  void Fail(std::int64_t global_step, std::int64_t particle, std::span<const double> before,
            std::span<const double> after);

 private:
  ChainRunState& state_;
  std::int64_t unreported_steps_ = 0;
};

struct ChainRunOutcome {
  int workers = 0;
  double seconds = 0.0;
  ChainFailure failure;  // global_step == kNoChainFailure when every chain finished
};

// Runs chain(i, control) for every particle i < options.particles, each chain taking
// `levels` x options.steps steps, on options.threads workers (0: one per hardware thread),
// calling options.progress as langevin.h describes. Validates the counts (ValidateLangevinRun).
ChainRunOutcome RunChains(const LangevinOptions& options, std::size_t levels,
                          const std::function<void(std::int64_t, ChainControl&)>& chain);

// Throws Error for particles < 1, steps < 1, a step size that is not positive and finite,
// threads < 0, or invalid scalar init parameters (uniform LO < HI, gaussian SD > 0). The data
// of a data start is checked by each sampler.
void ValidateLangevinOptions(const LangevinOptions& options);

// The first part of a divergence message: "sampling diverged at step S of T[ of noise level L
// of K (sigma = ..., step size ...)]: particle P". `sigma` is 0 for the plain sampler.
std::string DivergenceHeadline(const ChainFailure& failure, std::int64_t steps,
                               std::size_t levels, double sigma, double step_size);

// The summary fields every sampler fills the same way (not the sample moments).
LangevinSummary SummarizeRun(const LangevinOptions& options, std::span<const double> sigmas,
                             std::span<const double> step_sizes, const ChainRunOutcome& outcome);

// The step of each level, eps (sigma_i / sigma_L)^2 (AnnealedStepSizes), for levels with a
// `sigma`.
template <typename Level>
std::vector<double> AnnealedStepSizesOf(std::span<const Level> levels, double step_size) {
  std::vector<double> sigmas;
  for (const Level& level : levels) sigmas.push_back(level.sigma);
  return AnnealedStepSizes(sigmas, step_size);
}

// RunChains over `levels` (each with a `sigma`, 0 for the plain sampler, and a `step_size`):
// calls throw_failure(failure) if a chain failed, else returns the summary (SummarizeRun).
template <typename Level, typename ThrowFailure>
LangevinSummary RunLevels(const LangevinOptions& options, const std::vector<Level>& levels,
                          const std::function<void(std::int64_t, ChainControl&)>& chain,
                          ThrowFailure throw_failure) {
  const ChainRunOutcome outcome = RunChains(options, levels.size(), chain);
  if (outcome.failure.global_step != kNoChainFailure) throw_failure(outcome.failure);
  std::vector<double> sigmas, step_sizes;
  for (const Level& level : levels) {
    sigmas.push_back(level.sigma);
    step_sizes.push_back(level.step_size);
  }
  return SummarizeRun(options, sigmas, step_sizes, outcome);
}

}  // namespace convexscore
