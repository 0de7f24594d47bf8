// A primal-dual interior-point method (Mehrotra predictor-corrector) for
//   minimize 1/2 x^T H x   subject to   lower <= C x <= upper   (+ equalities kept inside the
//   operator's Newton solve),
// where H and C are never formed: the problem supplies them as implicit linear operators
// together with a solver for the Newton system (H + C^T diag(d) C) dx = r.
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
  // Factorizes the Newton matrix H + C^T diag(d) C bordered by the equalities. False on failure.
  virtual bool FactorizeNewton(const Eigen::VectorXd& d) = 0;
  // Solves (H + C^T diag(d) C) dx + E^T dnu = rhs, E dx = 0.
  virtual void SolveNewton(const Eigen::VectorXd& rhs, Eigen::VectorXd& dx,
                           Eigen::VectorXd& dnu) const = 0;
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
