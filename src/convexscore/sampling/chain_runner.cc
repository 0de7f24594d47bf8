#include "convexscore/sampling/chain_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

#include "convexscore/common.h"
#include "convexscore/io/numbers.h"

namespace convexscore {

struct ChainRunState {
  std::int64_t chunk_size = 1;
  std::int64_t chunk_count = 0;
  std::atomic<std::int64_t> next_chunk{0};
  std::atomic<std::int64_t> steps_done{0};
  std::atomic<std::int64_t> failure_step{kNoChainFailure};
  std::mutex failure_mutex;
  ChainFailure failure;
};

ChainControl::~ChainControl() {
  state_.steps_done.fetch_add(unreported_steps_, std::memory_order_relaxed);
}

bool ChainControl::Abandoned(std::int64_t global_step) const {
  return global_step > state_.failure_step.load(std::memory_order_relaxed);
}

void ChainControl::AddSteps(std::int64_t steps) {
  unreported_steps_ += steps;
  if (unreported_steps_ >= kChainBlockSteps) {
    state_.steps_done.fetch_add(unreported_steps_, std::memory_order_relaxed);
    unreported_steps_ = 0;
  }
}

void ChainControl::Fail(std::int64_t global_step, std::int64_t particle,
                        std::span<const double> before, std::span<const double> after) {
  std::lock_guard<std::mutex> lock(state_.failure_mutex);
  ChainFailure& failure = state_.failure;
  if (global_step < failure.global_step ||
      (global_step == failure.global_step && particle < failure.particle)) {
    failure = {global_step, particle, {before.begin(), before.end()},
               {after.begin(), after.end()}};
    state_.failure_step.store(global_step, std::memory_order_relaxed);
  }
}

void ValidateLangevinOptions(const LangevinOptions& options) {
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
  if (init.kind == LangevinInit::Kind::kUniform &&
      (!std::isfinite(init.low) || !std::isfinite(init.high) || !(init.low < init.high))) {
    throw Error("uniform start: need finite LO < HI (got " + FormatDouble(init.low) + ", " +
                FormatDouble(init.high) + ")");
  }
  if (init.kind == LangevinInit::Kind::kGaussian &&
      (!std::isfinite(init.mean) || !std::isfinite(init.sd) || !(init.sd > 0.0))) {
    throw Error("gaussian start: need a finite mean and a positive finite sd (got " +
                FormatDouble(init.mean) + ", " + FormatDouble(init.sd) + ")");
  }
}

ChainRunOutcome RunChains(const LangevinOptions& options, std::size_t levels,
                          const std::function<void(std::int64_t, ChainControl&)>& chain) {
  ValidateLangevinOptions(options);
  const std::int64_t particles = options.particles;
  const std::int64_t level_count = static_cast<std::int64_t>(levels);
  if (level_count < 1 || options.steps > std::numeric_limits<std::int64_t>::max() / level_count ||
      options.steps * level_count > std::numeric_limits<std::int64_t>::max() / particles) {
    throw Error("particles x steps x levels is too large");
  }
  const std::int64_t total = particles * options.steps * level_count;

  const int threads = ResolveThreads(options.threads);  // >= 0 checked above
  ChainRunState state;
  // Chunks of particles handed out on demand balance the load; their size does not matter
  // for the result (each particle is independent).
  state.chunk_size =
      std::clamp<std::int64_t>(particles / (8 * static_cast<std::int64_t>(threads)), 1, 1024);
  state.chunk_count = (particles + state.chunk_size - 1) / state.chunk_size;
  const int workers = static_cast<int>(std::min<std::int64_t>(threads, state.chunk_count));

  const auto worker = [&] {
    ChainControl control(state);
    while (true) {
      const std::int64_t chunk = state.next_chunk.fetch_add(1, std::memory_order_relaxed);
      if (chunk >= state.chunk_count) break;
      const std::int64_t first = chunk * state.chunk_size;
      const std::int64_t last = std::min(particles, first + state.chunk_size);
      for (std::int64_t i = first; i < last; ++i) chain(i, control);
    }
  };

  const auto started = std::chrono::steady_clock::now();
  std::mutex running_mutex;
  std::condition_variable running_changed;
  int running = workers;
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(workers));
  const auto stop_all = [&] {
    state.failure_step.store(-1, std::memory_order_relaxed);  // every chain abandons
    state.next_chunk.store(state.chunk_count, std::memory_order_relaxed);
    for (std::thread& thread : pool) thread.join();
  };
  try {
    for (int w = 0; w < workers; ++w) {
      pool.emplace_back([&] {
        worker();
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

  const auto interval =
      std::chrono::duration<double>(std::max(0.001, options.progress_interval_seconds));
  try {
    std::unique_lock<std::mutex> lock(running_mutex);
    while (running > 0) {
      if (running_changed.wait_for(lock, interval, [&] { return running == 0; })) break;
      if (options.progress) {
        lock.unlock();
        options.progress(std::min(total, state.steps_done.load(std::memory_order_relaxed)),
                         total);
        lock.lock();
      }
    }
  } catch (...) {
    stop_all();
    throw;
  }
  for (std::thread& thread : pool) thread.join();

  ChainRunOutcome outcome;
  outcome.workers = workers;
  outcome.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  outcome.failure = std::move(state.failure);
  if (outcome.failure.global_step == kNoChainFailure && options.progress) {
    options.progress(total, total);
  }
  return outcome;
}

std::string DivergenceHeadline(const ChainFailure& failure, std::int64_t steps,
                               std::size_t levels, double sigma, double step_size) {
  const std::size_t level = static_cast<std::size_t>(failure.global_step / steps);
  const std::int64_t step = failure.global_step % steps + 1;
  std::string message =
      "sampling diverged at step " + std::to_string(step) + " of " + std::to_string(steps);
  if (levels > 1 || sigma > 0.0) {
    message += " of noise level " + std::to_string(level + 1) + " of " + std::to_string(levels) +
               " (sigma = " + FormatDouble(sigma, 6) + ", step size " +
               FormatDouble(step_size, 6) + ")";
  }
  return message + ": particle " + std::to_string(failure.particle);
}

LangevinSummary SummarizeRun(const LangevinOptions& options, std::span<const double> sigmas,
                             std::span<const double> step_sizes, const ChainRunOutcome& outcome) {
  LangevinSummary summary;
  summary.particles = options.particles;
  summary.steps_per_level = options.steps;
  for (double sigma : sigmas) {
    if (sigma > 0.0) summary.sigmas.push_back(sigma);
  }
  summary.step_sizes.assign(step_sizes.begin(), step_sizes.end());
  summary.threads = outcome.workers;
  summary.particle_steps =
      options.particles * options.steps * static_cast<std::int64_t>(step_sizes.size());
  summary.seconds = outcome.seconds;
  return summary;
}

}  // namespace convexscore
