// l1-regularised least squares (the Lasso) on an implicit linear operator:
//
//     minimise over y:   1/2 ||A y - b||^2 + beta ||y||_1.
//
// A is never formed: the solver only applies A and A^T. It keeps a working set of columns, with
// their Gram matrix built one column at a time (one A and one A^T product per column), solves
// the Lasso restricted to the working set by coordinate descent followed by an exact solve on
// the sign pattern, and adds the columns that violate the optimality conditions of the whole
// problem until the duality gap is met. Columns may repeat or be linearly dependent (the optimum
// is then not unique, and the solver returns one optimal y).
#pragma once

#include <utility>

#include <Eigen/Dense>

#include "convexscore/common.h"

namespace convexscore {

class LassoOperator {
 public:
  virtual ~LassoOperator() = default;
  virtual int rows() const = 0;
  virtual int cols() const = 0;
  // *out = A y (y has cols() entries, usually few nonzero).
  virtual void Apply(const Eigen::VectorXd& y, Eigen::VectorXd* out) const = 0;
  // *out = A^T r (r has rows() entries).
  virtual void ApplyAdjoint(const Eigen::VectorXd& r, Eigen::VectorXd* out) const = 0;
};

// The dense operator y -> M y (tests, and small problems).
class DenseLassoOperator : public LassoOperator {
 public:
  explicit DenseLassoOperator(Eigen::MatrixXd matrix) : matrix_(std::move(matrix)) {}
  int rows() const override { return static_cast<int>(matrix_.rows()); }
  int cols() const override { return static_cast<int>(matrix_.cols()); }
  void Apply(const Eigen::VectorXd& y, Eigen::VectorXd* out) const override { *out = matrix_ * y; }
  void ApplyAdjoint(const Eigen::VectorXd& r, Eigen::VectorXd* out) const override {
    *out = matrix_.transpose() * r;
  }

 private:
  Eigen::MatrixXd matrix_;
};

struct LassoOptions {
  double beta = 0.1;            // > 0
  double gap_tolerance = 1e-9;  // optimal when duality_gap <= gap_tolerance * max(1, |objective|)
  int max_iterations = 200;     // working-set rounds (each: one A and one A^T product, a sub-solve)
  // Added to the primal and the dual objective (a constant the caller has dropped from the
  // problem), so that the reported objectives and the relative gap are the caller's.
  double objective_offset = 0.0;
};

struct LassoResult {
  Eigen::VectorXd coefficients;  // y
  Eigen::VectorXd residual;      // A y - b
  SolveSummary summary;          // kkt_residual: worst violation of |(A^T r)_j| <= beta (and
                                 // = -beta sign(y_j) where y_j != 0), divided by beta
  int working_set_size = 0;
};

// Throws Error when beta is not finite and positive or b has the wrong size. `warm_start`
// (cols() entries) seeds y and the working set, for example the solution at a nearby beta.
LassoResult SolveLasso(const LassoOperator& op, const Eigen::VectorXd& b,
                       const LassoOptions& options, const Eigen::VectorXd* warm_start = nullptr);

}  // namespace convexscore
