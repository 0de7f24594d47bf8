// Univariate score matching for two-layer ReLU / absolute-value networks as an exact convex
// program (theory.md section 2; the derivation is in docs/theory.md).
#pragma once

#include <vector>

#include "convexscore/common.h"
#include "convexscore/data/sample1d.h"
#include "convexscore/model/network1d.h"

namespace convexscore {

struct ScoreMatching1DOptions {
  Activation activation = Activation::kRelu;
  bool skip = false;            // unpenalized linear skip term V x
  double beta = 0.1;            // weight decay, mean form
  double gap_tolerance = 1e-9;  // stop when duality_gap <= gap_tolerance * max(1, |objective|)
  // Interior-point iterations per run: a run with multiplier boosts and, if that one ends without
  // a certificate, a plain run (docs/theory.md section 6).
  int max_iterations = 200;
  // With 4000 or more distinct values: start from the optimum of a coarser copy of the data (see
  // docs/theory.md) and confirm it by exact active-set passes before any interior-point solve.
  bool coarse_start = true;
};

struct Thresholds1D {
  double beta_min = 0.0;  // below: the objective is unbounded below
  double beta_max = 0.0;  // at or above: the zero network (plus free terms) is optimal
};

// Exact thresholds in O(n) (no solve).
Thresholds1D ScoreMatching1DThresholds(const Sample1D& data, Activation activation, bool skip);

struct ScoreMatching1DResult {
  SolveSummary summary;
  Thresholds1D thresholds;
  Network1D network;           // reconstructed from the convex solution (empty if unbounded)
  int active_neurons = 0;
  std::vector<double> score_on_data;  // predicted score at each distinct data value
};

// Solves the convex program. Throws Error for beta <= 0 or non-finite beta; returns status
// kUnbounded (with beta_min in the message) when beta < beta_min.
ScoreMatching1DResult FitScoreMatching1D(const Sample1D& data,
                                         const ScoreMatching1DOptions& options);

}  // namespace convexscore
