// Multivariate score matching, architecture (a) of theory.md section 3: one scalar-output
// two-layer network per score coordinate, first-layer biases unpenalized, mean form. For
// coordinate c the convex program is the cone-constrained group lasso of
// solvers/cone_group_lasso.h with y = 0 and g_k = (tr S_k / n) e_c; the coordinates decouple and
// the objective is the sum over them. Derivations: docs/theory.md, "Multivariate score matching".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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
  // Exact patterns are refused (Error) when the data in general position would have more than
  // this many (2 sum_{i <= d} C(n - 1, i)): the solver prices every pattern in every round.
  double max_exact_patterns = 200'000;
  std::uint64_t seed = 1;
  // Coordinates solved at once (0: one thread per core); the result does not depend on it.
  int threads = 0;
  ConeGroupLassoOptions solver;
};

// Thresholds of one coordinate. beta_max is exact: the zero network is optimal iff beta >=
// beta_max. beta_min is bracketed by certificates: an explicit recession direction proves the
// objective unbounded for every beta below `beta_min_lower`; a dual-feasible point proves it
// bounded for every beta at or above `beta_min_upper`. When `exact`, the two agree to 1e-9
// relative (solvers/recession_min_max.h); otherwise they come from the bisection fallback.
struct CoordinateThresholds {
  double beta_max = 0.0;
  double beta_min_lower = 0.0;
  double beta_min_upper = 0.0;
  bool exact = false;
  std::string exact_message;  // how the exact solve ended (names the bracket when not exact)
};

struct ScoreMatchingNDResult {
  SolveSummary summary;  // objective and gap summed over the coordinates
  std::vector<ConeGroupLassoSolution> coordinates;   // the convex solutions (per coordinate)
  std::vector<ScalarNetworkND> networks;             // reconstructed (per coordinate)
  // The score network f: R^d -> R^d they make together (AssemblePerCoordinate); empty (no
  // neurons) when unbounded. Its ScoreMatchingObjective (model/network_nd.h, biases free) is the
  // certificate: it equals summary.objective.
  NetworkND network;
  int patterns = 0;
  PatternMethod pattern_method = PatternMethod::kExact;
  std::uint64_t pattern_seed = 0;
  // Set when status is kUnbounded: the coordinate, beta and slope of the certified direction.
  int unbounded_coordinate = -1;
  double recession_slope = 0.0;  // <g, z> + beta N(z) < 0 at N(z) = 1, with M z = 0
  double beta_min_lower = 0.0;   // = beta - recession_slope: beta_min is at least this
};

// Throws Error (one line) unless the rows of x (n x d) can be fitted: n >= d + 1 points, all
// finite, whose centred cloud spans all d dimensions (rank-deficient data make the trace term
// unbounded below for every beta).
void CheckScoreMatchingNDData(const Eigen::Ref<const Eigen::MatrixXd>& x);

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
ScalarNetworkND ReconstructCoordinate(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                           const PatternSet& patterns, Activation activation,
                                           const ConeGroupLassoSolution& solution);

// beta_max of one coordinate: the zero network is optimal iff beta >= beta_max (the largest
// price of a block at the dual point lambda = 0).
double ScoreMatchingNDBetaMax(const Eigen::Ref<const Eigen::MatrixXd>& x,
                              const PatternSet& patterns, Activation activation, int coordinate);

// beta_max and beta_min for one coordinate: exact (SolveRecessionMinMax, lower == upper to
// 1e-9 relative) when that solve certifies, else a certified bracket by bisection on beta (a
// solve per step; `tolerance` is the relative width at which it stops, when the solves allow).
// `bounded_at`, when given, is a beta at which this coordinate's program has a certified optimum
// (so beta_min <= bounded_at): the bisection starts below it.
CoordinateThresholds ScoreMatchingNDThresholds(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                               const PatternSet& patterns, Activation activation,
                                               int coordinate, double tolerance = 1e-7,
                                               std::optional<double> bounded_at = std::nullopt);

// The thresholds of the whole model. The objective is the sum of the coordinates' objectives,
// so it is unbounded iff one coordinate's is, and the zero network is optimal iff it is for
// every coordinate: beta_min lies in [max_c lower_c, max_c upper_c] and beta_max = max_c.
struct ScoreMatchingNDThresholdsResult {
  double beta_max = 0.0;
  double beta_min_lower = 0.0;
  double beta_min_upper = 0.0;
  std::vector<CoordinateThresholds> coordinates;
};

// ScoreMatchingNDThresholds for every coordinate, on the patterns of `options` (the fit's).
// Throws Error for bad data, as FitScoreMatchingND.
ScoreMatchingNDThresholdsResult ScoreMatchingNDAllThresholds(
    const Eigen::Ref<const Eigen::MatrixXd>& x, const ScoreMatchingNDOptions& options,
    double tolerance = 1e-7, std::optional<double> bounded_at = std::nullopt);

// A fit with everything a model file records: the result, and unless it is unbounded the
// thresholds (on the fit's patterns, bracket width `threshold_tolerance`; a certified optimum
// at beta bounds beta_min by beta) and the non-convex SM
// objective of result.network (the certificate: equals result.summary.objective).
struct ScoreMatchingNDModel {
  ScoreMatchingNDResult result;
  ScoreMatchingNDThresholdsResult thresholds;
  double network_objective = 0.0;
};

// FitScoreMatchingND, then the above. Throws Error as FitScoreMatchingND, and when the solver
// returns a non-finite objective ("the solver failed ...": there is no model to keep).
ScoreMatchingNDModel FitScoreMatchingNDModel(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                             const ScoreMatchingNDOptions& options,
                                             double threshold_tolerance);

}  // namespace convexscore
