// A first-order solver, with a duality-gap certificate, for the nuclear-norm relaxation of a
// two-layer network with a shared hidden layer (architecture (b) of theory.md section 3;
// derivation in docs/theory.md, "Architecture (b)"):
//
//   minimise over Z_k in R^{q x d} (q = d + 1, one block per pattern k = 1..K) and c0 in R^d:
//     (1/2n) ||sum_k S_k X~ Z_k + 1 c0^T - Y||_F^2 + sum_k <G_k, Z_k> + beta sum_k ||Z_k||_*
//
// with X~ = [X, 1], S_k = D_k (ReLU) or 2 D_k - I (abs), G_k = t_k [I_d; 0] (score matching:
// t_k = tr S_k / n and Y = 0; DSM: t = 0 and Y the targets). The cone constraints of the exact
// program are dropped (the relaxation is exact for gated networks), and the bias row of Z_k is
// inside the nuclear norm (penalized first-layer biases); the output bias c0 is free.
//
// Dual (1^T Lambda = 0 from the free c0):
//   maximise  -(n/2) ||Lambda||_F^2 - <Lambda, Y>   s.t.  ||X~^T S_k Lambda + G_k||_2 <= beta  for all k,
// and at Lambda = (fitted - Y) / n, primal - dual = sum_k (<H_k, Z_k> + beta ||Z_k||_*) with
// H_k = X~^T S_k Lambda + G_k.
//
// Method: a working set of patterns; on it, accelerated proximal gradient (FISTA with gradient
// restarts) with singular-value soft-thresholding of each (d+1) x d block and the output bias
// profiled out; then every pattern is priced by the spectral norm of its block gradient H_k
// (computed from the pattern bits, never forming S_k X~ outside the working set); violators
// join the working set, until the relative gap and the dual infeasibility meet the tolerances.
#pragma once

#include <vector>

#include <Eigen/Dense>

#include "convexscore/arrangements/patterns.h"
#include "convexscore/common.h"

namespace convexscore {

struct NuclearGroupLassoProblem {
  Eigen::MatrixXd x;                     // n x d data (the bias column of X~ is implicit)
  const PatternSet* patterns = nullptr;  // K patterns over the n points
  Activation gate = Activation::kRelu;   // S_k = D_k (ReLU) or 2 D_k - I (abs)
  Eigen::MatrixXd target;                // Y, n x d; empty means zero
  Eigen::VectorXd trace_weight;          // t_k (size K): G_k = t_k [I_d; 0]; empty means zero
  double beta = 0.0;
};

struct NuclearGroupLassoOptions {
  double gap_tolerance = 1e-9;           // relative: gap <= tol * max(1, |objective|)
  double feasibility_tolerance = 1e-9;   // relative dual infeasibility max_k (||H_k|| - beta)_+ / beta
  int max_iterations = 200000;           // proximal-gradient steps in total
  int max_rounds = 60;                   // working-set rounds
  int working_set_batch = 20;            // violated patterns added per round
};

struct NuclearGroupLassoCertificate {
  double primal_objective = 0.0;
  double dual_objective = 0.0;     // -(n/2) ||Lambda||^2 - <Lambda, Y> at Lambda = residual / n
  double gap = 0.0;                // primal - dual = sum_k (<H_k, Z_k> + beta ||Z_k||_*)
  double dual_infeasibility = 0.0; // max_k (||H_k||_2 - beta)_+ / beta over all K patterns
  double worst_norm = 0.0;         // max_k ||H_k||_2
};

struct NuclearGroupLassoSolution {
  SolveSummary summary;
  NuclearGroupLassoCertificate certificate;
  std::vector<int> blocks;         // the working set (pattern indices)
  std::vector<Eigen::MatrixXd> z;  // (d+1) x d block of each working-set pattern (may be zero)
  Eigen::VectorXd output_bias;     // c0 (size d)
  Eigen::MatrixXd fitted;          // n x d: sum_k S_k X~ Z_k + 1 c0^T
  int rounds = 0;
};

// Throws Error for inconsistent shapes, non-finite numbers or beta <= 0. A warm start (a previous
// solution for the same data and patterns, e.g. at another beta) seeds the blocks and working set.
NuclearGroupLassoSolution SolveNuclearGroupLasso(const NuclearGroupLassoProblem& problem,
                                                 const NuclearGroupLassoOptions& options,
                                                 const NuclearGroupLassoSolution* warm_start =
                                                     nullptr);

// ||X~^T S_k Lambda + G_k||_2 for every pattern (size K), from the pattern bits. Lambda is n x d.
Eigen::VectorXd NuclearGroupLassoPrices(const NuclearGroupLassoProblem& problem,
                                        const Eigen::MatrixXd& lambda);

// The certificate of any point (blocks on the listed patterns, the output bias profiled out),
// pricing every pattern: independent of how the point was found. Also returns the fitted values
// (with the optimal c0) when `fitted` is given.
NuclearGroupLassoCertificate EvaluateNuclearGroupLasso(const NuclearGroupLassoProblem& problem,
                                                       const std::vector<int>& blocks,
                                                       const std::vector<Eigen::MatrixXd>& z,
                                                       Eigen::MatrixXd* fitted = nullptr);

// beta_max: the zero blocks (with the optimal c0 = mean of Y) are optimal iff beta >= beta_max =
// max_k ||X~^T S_k Lambda0 + G_k||_2 with Lambda0 = -(Y - mean Y) / n. Exact.
double NuclearGroupLassoBetaMax(const NuclearGroupLassoProblem& problem);

// A certified lower bound on beta_min (below it the objective is unbounded below): for each
// pattern, a rank-one block u a^T with P S_k X~ u = 0 (P the centring projector, so the free c0
// absorbs the values) costs beta ||u|| ||a|| and gains |t_k| ||u_w|| ||a|| from the trace term;
// the bound is max_k |t_k| max{||u_w|| / ||u|| : u in null(P S_k X~)}. Zero when t = 0 (DSM).
double NuclearGroupLassoBetaMinLowerBound(const NuclearGroupLassoProblem& problem);

}  // namespace convexscore
