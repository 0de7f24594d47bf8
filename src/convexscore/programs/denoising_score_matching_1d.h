// Univariate denoising score matching for two-layer ReLU / absolute-value networks as an exact
// convex program: a Lasso over ramps (or absolute values) with kinks at the noisy inputs, with
// the output bias (and the skip term) unpenalized. Derivation: docs/theory.md section 11.
#pragma once

#include <span>
#include <vector>

#include "convexscore/common.h"
#include "convexscore/data/denoising_data.h"
#include "convexscore/model/network1d.h"

namespace convexscore {

struct DenoisingScoreMatching1DOptions {
  Activation activation = Activation::kRelu;
  bool skip = false;            // unpenalized linear skip term V x
  double beta = 0.1;            // weight decay, mean form
  double gap_tolerance = 1e-9;  // stop when duality_gap <= gap_tolerance * max(1, |objective|)
  int max_iterations = 200;     // working-set rounds of the Lasso solver (solvers/lasso.h)
};

struct DenoisingScoreMatching1DResult {
  SolveSummary summary;
  double beta_max = 0.0;  // at or above: the zero network (plus free terms) is optimal
  Network1D network;      // reconstructed from the convex solution
  int active_neurons = 0;
  int distinct_inputs = 0;
  // The Lasso coefficients, one per dictionary column; a warm start for the same inputs.
  std::vector<double> coefficients;
};

// Solves the program for noisy inputs x~ and targets -z / sigma (any order; ties allowed).
// Throws Error when the sizes differ, there are no inputs, a number is not finite, beta is not
// finite and positive, or the skip term is asked for with fewer than two distinct inputs.
// `warm_start` is a result for the same inputs and targets (for example at another beta).
DenoisingScoreMatching1DResult FitDenoisingScoreMatching1D(
    std::span<const double> inputs, std::span<const double> targets,
    const DenoisingScoreMatching1DOptions& options,
    const DenoisingScoreMatching1DResult* warm_start = nullptr);

inline DenoisingScoreMatching1DResult FitDenoisingScoreMatching1D(
    const DenoisingData1D& data, const DenoisingScoreMatching1DOptions& options,
    const DenoisingScoreMatching1DResult* warm_start = nullptr) {
  return FitDenoisingScoreMatching1D(data.inputs, data.targets, options, warm_start);
}

// beta_max = max over the dictionary's columns A_j of |A_j^T P t| / N in closed form (one O(N)
// pass after sorting), P the projection that removes the free terms. Errors as above.
double DenoisingScoreMatching1DBetaMax(std::span<const double> inputs,
                                       std::span<const double> targets, Activation activation,
                                       bool skip);

}  // namespace convexscore
