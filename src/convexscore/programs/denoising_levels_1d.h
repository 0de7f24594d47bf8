// Convex denoising score matching at several noise levels, for annealed sampling: one exact
// fit (programs/denoising_score_matching_1d.h) per sigma, each on its own noisy copies of the
// data. `convexscore fit --objective dsm` and the Python module both fit through this, and
// io/noise_levels_json.h (DenoisingLevels1DToJson) writes the result as one model file.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "convexscore/programs/denoising_score_matching_1d.h"

namespace convexscore {

// The noise of a denoising fit: level, noisy copies per point and the seed of the noise.
struct DenoisingSettings1D {
  double sigma = 0.0;
  int copies = 0;
  std::uint64_t seed = 0;
};

struct DenoisingLevel1D {
  DenoisingSettings1D noise;
  DenoisingScoreMatching1DResult result;
  // The DSM objective of the rebuilt network on the level's noisy data (certificate: equals
  // result.summary.objective).
  double network_objective = 0.0;
};

// Throws Error("no noise levels"), Error("sigma S is not positive") (also for NaN) or
// Error("the levels must strictly decrease (A then B)") unless the sigmas are positive, finite
// and strictly decreasing.
void CheckNoiseLevels(std::span<const double> sigmas);

// One fit per sigma, in the given order; the noise of level l is drawn with seed
// noise_seed + l, so the levels are independent. No warm start across levels: the kinks sit
// at each level's own noisy inputs. Throws Error when beta is not positive and finite
// ("beta must be positive and finite (got B)"), for invalid sigmas (CheckNoiseLevels),
// copies < 1 or bad data (MakeDenoisingData1D), and when the solver's objective or the rebuilt
// network's is not finite at some level ("the solver failed at sigma S (status X); no model
// written"). A level whose status is not optimal is returned as it is (the caller warns).
std::vector<DenoisingLevel1D> FitDenoisingLevels1D(std::span<const double> x,
                                                   std::span<const double> sigmas, int copies,
                                                   std::uint64_t noise_seed,
                                                   const DenoisingScoreMatching1DOptions& options);

}  // namespace convexscore
