// Internals of univariate score matching exposed to its tests only (not part of the API).
#pragma once

#include <cstdint>

#include "convexscore/data/sample1d.h"
#include "convexscore/model/activation.h"

namespace convexscore::internal {

// The interior-point Newton system of the dual (score_matching_1d.cc) solved in both of its
// forms, the chain form and the embedding, for row weights d spread log-uniformly over
// [1, spread] and random right-hand sides drawn from `seed`. Residuals are of the augmented
// system H dx + C^T w + E^T dnu = rhs, C dx - w ./ d = row_rhs, E dx = 0, each relative to the
// size of its terms; the differences are relative to the embedding's solution.
struct NewtonFormsComparison {
  int rows = 0;
  double chain_residual = 0.0, embedded_residual = 0.0;
  double dx_difference = 0.0, w_difference = 0.0;
};
NewtonFormsComparison CompareNewtonForms(const Sample1D& data, Activation activation, bool skip,
                                         double spread, std::uint64_t seed);

// The polish's equality QP (hold the given free rows at the given values, and G(t_m) = g_last
// when finite) solved by the Schur complement on H and by the banded embedding, for `count`
// free rows at distinct values drawn from `seed`, with targets in [-1, 1]. Differences are
// relative to the embedding's solution; schur_used is false if the Schur path declined.
struct EqualitySolvesComparison {
  bool schur_used = false;
  double sigma_difference = 0.0, multiplier_difference = 0.0;
};
EqualitySolvesComparison CompareEqualitySolves(const Sample1D& data, Activation activation, bool skip,
                                               int count, double g_last, std::uint64_t seed);

}  // namespace convexscore::internal
