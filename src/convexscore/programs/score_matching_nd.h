// Multivariate score matching, architecture (a) of theory.md section 3: one scalar-output
// two-layer network per score coordinate, first-layer biases unpenalized, mean form. For
// coordinate c the convex program is the cone-constrained group lasso of
// solvers/cone_group_lasso.h with y = 0 and g_k = (tr S_k / n) e_c; the coordinates decouple and
// the objective is the sum over them. Derivations: docs/theory.md, "Multivariate score matching".
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "convexscore/arrangements/patterns.h"
#include "convexscore/common.h"
#include "convexscore/model/network_nd.h"
#include "convexscore/solvers/cone_group_lasso.h"

namespace convexscore {

struct ScoreMatchingNDOptions {
  Activation activation = Activation::kRelu;
  double beta = 0.5;
  // Exact patterns for d <= 3 unless sampling is asked for; sampling for d > 3.
  bool sample_patterns = false;
  int sampled_directions = 1000;
  std::uint64_t seed = 1;
  ConeGroupLassoOptions solver;
};

// One coordinate's network g(x) = sum_j a_j act(w_j . x + b_j) + output_bias (plain weights;
// the conversion to NetworkND happens where both exist).
struct ScalarNetworkWeights {
  Eigen::MatrixXd w;  // m x d
  Eigen::VectorXd b;  // m
  Eigen::VectorXd a;  // m
  double output_bias = 0.0;
};

// Thresholds of one coordinate. beta_max is exact: the zero network is optimal iff beta >=
// beta_max. beta_min is bracketed by certificates: an explicit recession direction proves the
// objective unbounded for every beta below `beta_min_lower`; a dual-feasible point proves it
// bounded for every beta at or above `beta_min_upper`.
struct CoordinateThresholds {
  double beta_max = 0.0;
  double beta_min_lower = 0.0;
  double beta_min_upper = 0.0;
};

struct ScoreMatchingNDResult {
  SolveSummary summary;  // objective and gap summed over the coordinates
  std::vector<ConeGroupLassoSolution> coordinates;   // the convex solutions (per coordinate)
  std::vector<ScalarNetworkWeights> networks;        // reconstructed (per coordinate)
  int patterns = 0;
  PatternMethod pattern_method = PatternMethod::kExact;
  std::uint64_t pattern_seed = 0;
  // Set when status is kUnbounded: the coordinate, beta and slope of the certified direction.
  int unbounded_coordinate = -1;
  double recession_slope = 0.0;  // <g, z> + beta N(z) < 0 at N(z) = 1, with M z = 0
};

// The patterns the fit uses: exact for d <= 3 (unless sampling is asked for), else sampled; the
// full pattern is always included (it carries the free output bias).
PatternSet ScoreMatchingNDPatterns(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                   const ScoreMatchingNDOptions& options);

// The problem of one coordinate (shared by the fit, the thresholds and the tests).
ConeGroupLassoProblem ScoreMatchingNDProblem(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                             const PatternSet& patterns, Activation activation,
                                             int coordinate, double beta);

// Fits every coordinate. Throws Error for bad input (n < 2, non-finite, beta <= 0, data of
// rank below d after centring). Returns kUnbounded with a certified recession direction when one
// is found.
ScoreMatchingNDResult FitScoreMatchingND(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                         const ScoreMatchingNDOptions& options);

// The networks of one coordinate's solution: neuron u / sqrt(||w||), output weight
// +-sqrt(||w||), the full pattern's pure-bias part as output bias. A unit whose hyperplane
// passes through points the pattern leaves inactive is tilted by a tiny amount so that the
// network's own gates equal the pattern (the one-sided kink of theory.md section 1).
ScalarNetworkWeights ReconstructCoordinate(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                           const PatternSet& patterns, Activation activation,
                                           const ConeGroupLassoSolution& solution);

// The per-coordinate networks (coordinate c = networks[c]) as one NetworkND, through
// AssemblePerCoordinate: what SM and DSM (programs/denoising_score_matching_nd.h) both write.
NetworkND AssembleCoordinateNetworks(const std::vector<ScalarNetworkWeights>& networks,
                                     Activation activation);

// The non-convex objective of per-coordinate networks, evaluated directly on the data with the
// conventions relu'(0) = 1, abs'(0) = +1: sum_c (1/n) sum_i [d g_c / d x_c (x_i) + g_c(x_i)^2 / 2]
// + (beta/2) sum_c sum_j (||w_j||^2 + a_j^2).
double ScoreMatchingNDObjective(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                const std::vector<ScalarNetworkWeights>& networks,
                                Activation activation, double beta);

// beta_max of one coordinate: the zero network is optimal iff beta >= beta_max (the largest
// price of a block at the dual point lambda = 0).
double ScoreMatchingNDBetaMax(const Eigen::Ref<const Eigen::MatrixXd>& x,
                              const PatternSet& patterns, Activation activation, int coordinate);

// beta_max and a certified bracket of beta_min for one coordinate (bisection on beta, a solve
// per step; `tolerance` is the relative width at which it stops, when the solves allow).
CoordinateThresholds ScoreMatchingNDThresholds(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                               const PatternSet& patterns, Activation activation,
                                               int coordinate, double tolerance = 1e-7);

}  // namespace convexscore
