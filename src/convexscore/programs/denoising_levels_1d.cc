#include "convexscore/programs/denoising_levels_1d.h"

#include <cmath>
#include <string>
#include <utility>

#include "convexscore/common.h"
#include "convexscore/data/denoising_data.h"
#include "convexscore/io/numbers.h"
#include "convexscore/model/network1d.h"

namespace convexscore {

void CheckNoiseLevels(std::span<const double> sigmas) {
  if (sigmas.empty()) throw Error("no noise levels");
  for (std::size_t l = 0; l < sigmas.size(); ++l) {
    if (!(sigmas[l] > 0.0) || !std::isfinite(sigmas[l])) {
      throw Error("sigma " + FormatDouble(sigmas[l]) + " is not positive");
    }
    if (l > 0 && !(sigmas[l] < sigmas[l - 1])) {
      throw Error("the levels must strictly decrease (" + FormatDouble(sigmas[l - 1]) + " then " +
                  FormatDouble(sigmas[l]) + ")");
    }
  }
}

std::vector<DenoisingLevel1D> FitDenoisingLevels1D(std::span<const double> x,
                                                   std::span<const double> sigmas, int copies,
                                                   std::uint64_t noise_seed,
                                                   const DenoisingScoreMatching1DOptions& options) {
  if (!(options.beta > 0.0) || !std::isfinite(options.beta)) {
    throw Error("beta must be positive and finite (got " + FormatDouble(options.beta) + ")");
  }
  CheckNoiseLevels(sigmas);
  std::vector<DenoisingLevel1D> levels;
  for (std::size_t l = 0; l < sigmas.size(); ++l) {
    DenoisingLevel1D level;
    level.noise = {sigmas[l], copies, noise_seed + l};
    const DenoisingData1D noisy = MakeDenoisingData1D(x, sigmas[l], copies, level.noise.seed);
    level.result = FitDenoisingScoreMatching1D(noisy, options);
    level.network_objective = DenoisingScoreMatchingObjective(level.result.network, noisy.inputs,
                                                              noisy.targets, options.beta);
    if (!std::isfinite(level.result.summary.objective) ||
        !std::isfinite(level.network_objective)) {
      throw Error("the solver failed at sigma " + FormatDouble(sigmas[l]) + " (status " +
                  std::string(StatusName(level.result.summary.status)) + "); no model written");
    }
    levels.push_back(std::move(level));
  }
  return levels;
}

}  // namespace convexscore
