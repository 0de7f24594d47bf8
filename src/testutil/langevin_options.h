// Test helper: Langevin options from the numbers the sampler tests vary.
#pragma once

#include <cstdint>

#include "convexscore/sampling/langevin.h"

namespace convexscore::testutil {

inline LangevinOptions MakeLangevinOptions(std::int64_t particles, std::int64_t steps,
                                           double step_size, int threads = 1,
                                           std::uint64_t seed = 12345) {
  LangevinOptions options;
  options.particles = particles;
  options.steps = steps;
  options.step_size = step_size;
  options.seed = seed;
  options.threads = threads;
  return options;
}

}  // namespace convexscore::testutil
