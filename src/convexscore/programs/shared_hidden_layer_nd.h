// Architecture (b) of theory.md section 3: one two-layer network f: R^d -> R^d with a shared
// hidden layer, weight decay on the first-layer weights and biases and on the output weights,
// free output bias, mean form. Score matching (SM) and denoising score matching (DSM).
//
// The exact convex program needs a gauge whose rank-one factors lie in the pattern cones; the
// fit solves its nuclear-norm relaxation (solvers/nuclear_group_lasso.h), whose optimum is a lower
// bound on the objective of every ReLU (or abs) network, reconstructs a network from the SVDs of
// the blocks (its objective is an upper bound) and reports both and their gap. Derivations:
// docs/theory.md, "Multivariate score matching, architecture (b)".
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "convexscore/arrangements/patterns.h"
#include "convexscore/common.h"
#include "convexscore/data/denoising_data.h"
#include "convexscore/model/network_nd.h"
#include "convexscore/solvers/nuclear_group_lasso.h"

namespace convexscore {

struct SharedHiddenLayerNDOptions {
  Activation activation = Activation::kRelu;
  double beta = 0.5;
  // Exact patterns for d <= 3 unless sampling is asked for; sampling for d > 3.
  bool sample_patterns = false;
  int sampled_directions = 1000;
  std::uint64_t seed = 1;
  NuclearGroupLassoOptions solver;
};

struct SharedHiddenLayerNDResult {
  std::string objective_kind;             // "sm" or "dsm"
  SolveSummary summary;                   // the relaxation's solve (objective = its value)
  NuclearGroupLassoSolution relaxation;   // the blocks Z_k and c0
  NetworkND network;                      // the reconstructed network
  // lower_bound: the relaxation's dual value (no network has a smaller objective, up to the
  // reported dual infeasibility); upper_bound: the non-convex objective of `network` (penalized
  // biases); gap = upper_bound - lower_bound >= 0.
  double lower_bound = 0.0;
  double upper_bound = 0.0;
  double gap = 0.0;
  double beta_max = 0.0;        // exact: the zero network (plus free c0) is optimal iff beta >= it
  double beta_min_lower = 0.0;  // certified: the relaxation is unbounded below for beta below it
  int patterns = 0;
  PatternMethod pattern_method = PatternMethod::kExact;
  std::uint64_t pattern_seed = 0;
  int sampled_directions = 0;
};

// Score matching on the data (rows of x, n x d). Throws Error for bad input (n < 2, non-finite,
// beta <= 0, data whose centred points span fewer than d dimensions). Returns status kUnbounded
// (no network) when beta is below the certified beta_min_lower.
SharedHiddenLayerNDResult FitSharedHiddenLayerND(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                                 const SharedHiddenLayerNDOptions& options);

// DSM on noisy inputs and their targets (data/denoising_data.h); patterns of the noisy inputs.
// A warm start (the result at another beta or noise level with the same inputs) is optional.
SharedHiddenLayerNDResult FitSharedHiddenLayerDenoisingND(
    const DenoisingDataND& data, const SharedHiddenLayerNDOptions& options,
    const SharedHiddenLayerNDResult* warm_start = nullptr);

// One DSM fit per noise level on the clean points x (n x d), as the per-coordinate
// FitDenoisingLevelsND draws them: level l (sigmas positive, strictly decreasing) gets `copies`
// noisy copies of each point drawn with seed noise_seed + l (MakeDenoisingDataND). Every check
// of CheckDenoisingLevelsND (programs/denoising_score_matching_nd.h: beta, sigmas, copies,
// n >= d + 1, the pattern budget of n * copies inputs against memory_budget_bytes) runs before
// the first solve. Level l > 0 is warm-started from level l - 1's network
// (SharedWarmStartFromNetwork: its units placed on the patterns their gates cut on the new
// inputs), largest sigma first. DSM is bounded below for every beta > 0 (no trace term:
// beta_min_lower = 0), so a level that is unbounded or whose bounds are not finite is a solver
// failure and throws Error; levels that are not certified are returned as they are.
struct SharedDenoisingLevelND {
  double sigma = 0.0;
  int copies = 0;
  std::uint64_t noise_seed = 0;
  int noisy_inputs = 0;
  SharedHiddenLayerNDResult result;
};
std::vector<SharedDenoisingLevelND> FitSharedHiddenLayerDenoisingLevelsND(
    const Eigen::Ref<const Eigen::MatrixXd>& x, std::span<const double> sigmas, int copies,
    std::uint64_t noise_seed, const SharedHiddenLayerNDOptions& options,
    std::int64_t memory_budget_bytes);

// A starting point for the relaxation over `patterns` (the patterns of `inputs`) from any network
// of the same dimension and activation: each unit (w, b, a) adds (w, b) a^T to the block of the
// pattern its gates 1[w . x + b > 0] cut on the inputs (for abs, to the first of the pattern and
// its complement, with the sign that keeps the values); units whose pattern is not in the set are
// left out. Its output bias is not used (the solver profiles c0 out).
NuclearGroupLassoSolution SharedWarmStartFromNetwork(const NetworkND& network,
                                                     const Eigen::Ref<const Eigen::MatrixXd>& inputs,
                                                     const PatternSet& patterns);

// The patterns the fits use (the full pattern always included).
PatternSet SharedHiddenLayerPatterns(const Eigen::Ref<const Eigen::MatrixXd>& inputs,
                                     const SharedHiddenLayerNDOptions& options);

// The relaxations: SM (Y = 0, t_k = tr S_k / n) and DSM (Y = targets, t = 0).
NuclearGroupLassoProblem SharedScoreMatchingProblem(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                                    const PatternSet& patterns,
                                                    Activation activation, double beta);
NuclearGroupLassoProblem SharedDenoisingProblem(const Eigen::Ref<const Eigen::MatrixXd>& inputs,
                                                const Eigen::Ref<const Eigen::MatrixXd>& targets,
                                                const PatternSet& patterns, Activation activation,
                                                double beta);

// The network of a relaxed solution: each block's SVD sum_r s_r u_r v_r^T gives neurons
// (w, b) = +-sqrt(s_r) u_r, a = +-sqrt(s_r) v_r (balanced, so their weight decay is beta s_r),
// the sign chosen so that the neuron's own gates agree with the pattern on the most points; units
// of the full pattern (and, for abs, the empty one) get the bias shift that turns them on for
// every point (the values change by a constant only). The fits then refit the output weights and
// c0 for these hidden units (a ridge problem, alternated with rebalancing each unit) and keep the
// zero network instead if it is better: the upper bound is the objective of the network kept.
NetworkND ReconstructSharedNetwork(const NuclearGroupLassoProblem& problem,
                                   const NuclearGroupLassoSolution& solution);

// The empirical covariance estimator (issue 6 item 3): f(x) = -(1 - beta) Sigma^{-1} (x - mean),
// Sigma the mean-form covariance, as a point of the relaxation: the full pattern's block
// [-(1 - beta) Sigma^{-1}; 0] and c0 = (1 - beta) Sigma^{-1} mean. Requires 0 < beta < 1.
struct SharedClosedForm {
  Eigen::MatrixXd slope;         // d x d: f(x) = slope (x - mean)
  Eigen::VectorXd mean;
  int full_pattern = -1;         // index of the all-ones pattern
  Eigen::MatrixXd block;         // (d+1) x d
  NuclearGroupLassoCertificate certificate;  // of the point in `problem` (all its patterns)
};
SharedClosedForm SharedScoreMatchingClosedForm(const NuclearGroupLassoProblem& problem);

// The smallest beta from which the closed form is optimal for the relaxation over all of the
// problem's patterns (it then stays optimal up to beta = 1), by bisection to `tolerance` on the
// convex condition max_k ||H_k(beta)||_2 <= beta (docs/theory.md).
double SharedClosedFormThreshold(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                 const PatternSet& patterns, Activation activation,
                                 double tolerance = 1e-10);

}  // namespace convexscore
