// A first-order solver, with an exact polish and a certificate, for the cone-constrained group
// lasso over activation patterns (theory.md sections 3 and 4; derivation in docs/theory.md):
//
//   minimise over z_{k,+}, z_{k,-} in R^q (q = d + 1), k = 1..K:
//     (1/2n) ||sum_k S_k X~ (z_{k,+} - z_{k,-}) - y||^2 + sum_k <g_k, z_{k,+} - z_{k,-}>
//       + beta sum_k (||W z_{k,+}|| + ||W z_{k,-}||)
//   subject to (2 D_k - I) X~ z_{k,s} >= 0,
//
// with X~ = [X, 1], S_k = D_k (ReLU) or 2 D_k - I (abs), W z = the first d entries (the bias
// entry is not penalized). Score matching (architecture (a)): y = 0 and g_k from the trace term;
// DSM: g = 0 and y the targets. The masked matrices S_k X~ are never formed: products apply the
// pattern bits on the fly.
//
// Method: a working set of blocks (k, s); on it, an augmented Lagrangian on the cone constraints
// around accelerated proximal gradient (FISTA with restarts, group soft-thresholding); then a
// polish that fixes the nonzero blocks and their tight cone rows and solves the remaining smooth
// problem by Newton's method; then pricing of every block against the dual point lambda = r / n,
// which adds violated blocks to the working set or certifies optimality.
//
// In the plane without a linear term (DSM) and with every pattern (exact enumeration), the
// solve runs on the program's atoms instead (solvers/planar_atoms.h): column generation with
// an exact O(n^2) pricing over all patterns at once, block coordinate descent and then a barrier
// (interior-point) method on the blocks in play, then the same polish; the certificate's largest
// psi is then the exact sweep over the atoms (docs/theory.md, "Planar atoms"). There,
// max_iterations counts descent sweeps plus Newton steps and a warm start is not used.
#pragma once

#include <Eigen/Dense>

#include "convexscore/arrangements/patterns.h"
#include "convexscore/common.h"

namespace convexscore {

struct ConeGroupLassoProblem {
  Eigen::MatrixXd x;                     // n x d data (the bias column of X~ is implicit)
  const PatternSet* patterns = nullptr;  // K patterns over the n points
  Activation gate = Activation::kRelu;   // S_k = D_k (ReLU) or 2 D_k - I (abs)
  Eigen::VectorXd target;                // y (size n)
  Eigen::MatrixXd linear;                // q x K: g_k; empty means zero
  double beta = 0.0;
};

struct ConeGroupLassoOptions {
  double gap_tolerance = 1e-10;          // relative: gap <= tol * max(1, |objective|)
  double feasibility_tolerance = 1e-10;  // relative cone and dual constraint violation
  int max_iterations = 200000;           // proximal-gradient steps in total
  int max_rounds = 30;                   // working-set / polish rounds
  int working_set_batch = 50;            // violated blocks added per round
  bool polish = true;
};

// The values of a point and the certificate of its optimality (docs/theory.md):
// lambda = (fitted - y) / n is the dual point; each block's reduced gradient h = +-(g_k + X~^T S_k
// lambda) is priced by psi = min over mu >= 0 of ||W (h - A^T mu)|| with the bias row of
// h - A^T mu zero (A = (2 D_k - I) X~): lambda is dual feasible when psi <= beta in every block,
// and then primal - dual = sum over blocks of (<h, z> + beta ||W z||) >= 0.
struct ConeGroupLassoCertificate {
  double primal_objective = 0.0;
  double dual_objective = 0.0;        // -(n/2) ||lambda||^2 - <lambda, y>
  double gap = 0.0;                   // primal - dual
  double primal_infeasibility = 0.0;  // max over rows of (-(A z)_i)_+ / (||x~_i|| ||z||)
  double dual_infeasibility = 0.0;    // max over blocks of (psi - beta)_+ / beta
  double bias_residual = 0.0;         // largest bias-row residual of the pricing (see above)
  double worst_psi = 0.0;             // max over blocks of psi
  // Without a linear term (g = 0, DSM) the dual point is theta (r - mean(r)) / n (centred when
  // a pattern gates every point alike, theta the best multiple with theta psi <= beta), so the
  // certificate is valid at any point; worst_psi and the residuals are those of that point.
  // With g != 0 the dual point is r / n and dual_scale stays 1.
  double dual_scale = 1.0;
};

struct ConeGroupLassoSolution {
  SolveSummary summary;
  ConeGroupLassoCertificate certificate;
  Eigen::MatrixXd positive;  // q x K: z_{k,+}
  Eigen::MatrixXd negative;  // q x K: z_{k,-}
  Eigen::VectorXd fitted;    // sum_k S_k X~ (z_{k,+} - z_{k,-})  (size n)
  int working_set = 0;       // blocks in the final working set
  int rounds = 0;
};

// Throws Error for inconsistent shapes, non-finite numbers or beta <= 0. A warm start (a previous
// solution for the same data and patterns) seeds the point and the working set.
ConeGroupLassoSolution SolveConeGroupLasso(const ConeGroupLassoProblem& problem,
                                           const ConeGroupLassoOptions& options,
                                           const ConeGroupLassoSolution* warm_start = nullptr);

// Without a linear term the dual constraints psi <= beta are homogeneous in lambda, so any
// lambda scaled by theta is dual feasible once theta worst_psi <= beta; this is the theta that
// maximises the dual objective -(n/2) ||theta lambda||^2 - <theta lambda, y> under that bound
// (a concave quadratic in theta, clamped to [0, beta / worst_psi]; 0 when lambda = 0).
double BestDualMultiple(const Eigen::VectorXd& lambda, const Eigen::VectorXd& y, double beta,
                        double worst_psi);

// The certificate of any point (pricing every block): independent of how the point was found.
ConeGroupLassoCertificate EvaluateConeGroupLasso(const ConeGroupLassoProblem& problem,
                                                 const Eigen::MatrixXd& positive,
                                                 const Eigen::MatrixXd& negative);

// psi(h) for one pattern: min ||h_w - A_w^T mu|| over mu >= 0 with h_b = a_b^T mu (A = the
// pattern's cone rows). Exposed for tests; `bias_residual` receives |h_b - a_b^T mu| (nonzero
// only when the bias row cannot be matched, e.g. h_b != 0 for the full pattern). `multipliers`,
// when given, receives the mu (size n) that attains the returned value.
double PatternDualNorm(const Eigen::MatrixXd& x, const PatternSet& patterns, int k,
                       const Eigen::VectorXd& h, double* bias_residual = nullptr,
                       Eigen::VectorXd* multipliers = nullptr);

}  // namespace convexscore

namespace convexscore {

// A direction of unboundedness: blocks z in the cones with sum_k S_k X~ (z_{k,+} - z_{k,-}) = 0,
// normalised to N(z) = sum ||W z|| = 1. Along it the objective changes at the rate
// <g, z> + beta, so it proves the objective unbounded below for every beta < ratio = -<g, z>.
struct RecessionDirection {
  bool valid = false;           // in the cones and exactly data-free (to rounding)
  double ratio = 0.0;           // -<g, z> at N(z) = 1: a certified lower bound on beta_min
  double data_residual = 0.0;   // ||M z|| / (||X~|| * N(z)) after the repair
  double cone_violation = 0.0;  // relative, as in the certificate
  Eigen::MatrixXd positive, negative;
};

// Turns an approximate direction (for example a large iterate of a solve below beta_min, or a
// near-unbounded optimum) into an exact one: keeps its nonzero blocks and tight cone rows, and
// projects onto the null space of the data map restricted to them.
// Lawson-Hanson non-negative least squares, min ||C mu - t|| over mu >= 0 (C small in rows),
// the one the pricing uses; exposed for solvers/recession_min_max.cc.
Eigen::VectorXd NonNegativeLeastSquaresSolve(const Eigen::MatrixXd& c, const Eigen::VectorXd& t);

RecessionDirection RepairRecessionDirection(const ConeGroupLassoProblem& problem,
                                            const Eigen::MatrixXd& positive,
                                            const Eigen::MatrixXd& negative);

}  // namespace convexscore
