// A primal-dual interior-point method (Mehrotra predictor-corrector) for
//   minimize 1/2 x^T H x   subject to   lower <= C x <= upper   (+ equalities kept inside the
//   operator's Newton solve),
// where H and C are never formed: the problem supplies them as implicit linear operators
// together with a solver for the Newton system in augmented form (below).
// The method is generic; problem structure (prefix sums, banded embeddings) lives in the
// operator. It stops on the complementarity and residual tolerances and leaves certificates
// (objective, duality gap) to the caller, who knows how to evaluate them exactly.
#pragma once

#include <Eigen/Dense>
#include <functional>

namespace convexscore {

class QpOperator {
 public:
  virtual ~QpOperator() = default;
  virtual int num_variables() const = 0;
  virtual int num_rows() const = 0;
  // y = H x
  virtual void ApplyHessian(const Eigen::VectorXd& x, Eigen::VectorXd& y) const = 0;
  // v = C x
  virtual void ApplyRows(const Eigen::VectorXd& x, Eigen::VectorXd& v) const = 0;
  // y = C^T w
  virtual void ApplyRowsTransposed(const Eigen::VectorXd& w, Eigen::VectorXd& y) const = 0;
  // Equality constraints E x = e: the iterate starts on them and every Newton step keeps them.
  virtual int num_equalities() const { return 0; }
  // y = E^T nu
  virtual void ApplyEqualitiesTransposed(const Eigen::VectorXd& nu, Eigen::VectorXd& y) const {
    y.setZero(num_variables());
    (void)nu;
  }
  // Factorizes the Newton system in its augmented form
  //   [ H   C^T        E^T ]
  //   [ C   -diag(1/d)  0  ]
  //   [ E   0           0  ]
  // for row weights d > 0. False on failure. Eliminating w gives the reduced matrix
  // H + C^T diag(d) C, but near the optimum d spans many orders of magnitude (huge on the
  // active rows, tiny on the others): the reduced form would recover the multipliers' step as
  // d .* (C dx), multiplying the solve's error by d, while the augmented form yields it directly
  // and tends to the equality-constrained system of the active rows.
  virtual bool FactorizeNewton(const Eigen::VectorXd& d) = 0;
  // Solves H dx + C^T w + E^T dnu = rhs,  C dx - w ./ d = row_rhs,  E dx = 0, and returns
  // C dx as well (the operator forms it to recover w, and the method needs it next).
  virtual void SolveNewton(const Eigen::VectorXd& rhs, const Eigen::VectorXd& row_rhs,
                           Eigen::VectorXd& dx, Eigen::VectorXd& w, Eigen::VectorXd& dnu,
                           Eigen::VectorXd& cdx) const = 0;
};

struct InteriorPointState {
  Eigen::VectorXd x;                   // variables
  Eigen::VectorXd slack_lower, slack_upper;  // C x - lower, upper - C x
  Eigen::VectorXd dual_lower, dual_upper;    // multipliers of the two bounds (>= 0)
  Eigen::VectorXd dual_equality;             // multipliers of the equalities
  int iterations = 0;
  bool converged = false;
  double mean_complementarity = 0.0;
  double primal_residual = 0.0;
  double dual_residual = 0.0;
};

struct InteriorPointOptions {
  int max_iterations = 200;
  double complementarity_tolerance = 1e-12;  // mean s*z relative to the bound widths
  double residual_tolerance = 1e-11;         // relative primal/dual residuals
  double step_fraction = 0.995;              // fraction to the boundary
  // Scale-seeking multipliers (> 1 enables). The method starts with multipliers of 1; when the
  // optimal ones are many orders of magnitude larger, an infeasible start grows them by a small
  // factor per iteration, with short steps all along. Two short steps (< 0.3) in a row while the
  // rows are still violated (primal residual > 1e-6) multiply all multipliers by dual_boost.
  // Enabled, the method also stops once it makes no progress for a while at any accuracy, so
  // that the caller can fall back to a run without boosts.
  double dual_boost = 0.0;
  // At most this many boosts per run. Without a cap, boosts that came after the scale was found
  // (steps short for another reason) repeated every two iterations: multipliers of 1e75 at
  // n = 500, 1.001 beta_min, until the run gave up.
  int max_dual_boosts = 4;
  // Called with each iterate once the residuals are computed; returning true stops the
  // method (the caller has found what it needs, e.g. an exactly solved active set).
  std::function<bool(const InteriorPointState&)> on_iterate;
};

// Runs from the given x (which must satisfy the operator's equalities). Bounds must satisfy
// lower < upper row-wise.
InteriorPointState SolveBoundedQp(QpOperator& op, const Eigen::VectorXd& lower,
                                  const Eigen::VectorXd& upper, const Eigen::VectorXd& x0,
                                  const InteriorPointOptions& options);

}  // namespace convexscore
