// The exact threshold beta_min of a cone-constrained group lasso with a linear term (score
// matching, architecture (a); docs/theory.md, "Exact beta_min"). With M z = sum_k S_k X~
// (z_{k,+} - z_{k,-}) and N(z) = sum over blocks of ||W z||, the objective of
// solvers/cone_group_lasso.h is unbounded below iff beta < beta_min, where
//
//   beta_min = max { -<g, z> : z_{k,s} in K_k, M z constant on the data, N(z) <= 1 }
//            = min over centred lambda of Phi(lambda),  Phi(lambda) = max over blocks b of
//              psi_b(h_b(lambda)),  h_{k,s}(lambda) = s (g_k + X~^T S_k lambda),
//
// psi the block's price (PatternDualNorm). The solver brackets beta_min by two certificates
// that hold whatever the method did: a recession direction made exact by
// RepairRecessionDirection (its ratio is a lower bound) and a centred lambda priced over every
// block (Phi(lambda) is an upper bound). Method: cutting planes on Phi (each pricing gives the
// maximising unit z of every block, a linear minorant of Phi; the master is a small LP solved
// by a primal-dual interior-point method, whose multipliers combine the units into a
// recession direction), then Newton's method on the optimality conditions of the blocks that
// are active at the min-max, with their multiplier supports fixed.
#pragma once

#include <string>

#include <Eigen/Dense>

#include "convexscore/solvers/cone_group_lasso.h"

namespace convexscore {

struct RecessionMinMaxOptions {
  double tolerance = 1e-9;     // certified when upper - lower <= tolerance * upper
  int max_iterations = 300;    // cutting-plane rounds
  int cuts_per_round = 40;     // the most violated blocks' units added per round
  int newton_iterations = 30;  // Newton steps per polish attempt
};

struct RecessionMinMaxResult {
  bool certified = false;
  double lower = 0.0;            // = direction.ratio when direction.valid, else 0
  double upper = 0.0;            // Phi(lambda), every block priced
  Eigen::VectorXd lambda;        // centred dual point attaining `upper`
  RecessionDirection direction;  // exact recession direction attaining `lower`
  int iterations = 0;            // cutting-plane rounds
  int newton_steps = 0;
  int active_blocks = 0;         // blocks within the tolerance of Phi at the final lambda
  double seconds = 0.0;
  std::string message;           // how it ended (one line)
};

// Phi(lambda) for a centred lambda (size n): the largest price over every block, each price an
// upper bound attained by a feasible multiplier (a valid upper bound on beta_min).
double RecessionMinMaxObjective(const ConeGroupLassoProblem& problem,
                                const Eigen::VectorXd& lambda);

// Throws Error for inconsistent shapes. problem.beta and problem.target are not used.
RecessionMinMaxResult SolveRecessionMinMax(const ConeGroupLassoProblem& problem,
                                           const RecessionMinMaxOptions& options = {});

}  // namespace convexscore
