#include "convexscore/solvers/interior_point_qp.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <utility>

namespace convexscore {
namespace {

// Dense H and C, with the Newton system solved in reduced form (H + C^T diag(d) C): fine for
// the small, moderately scaled problems of these tests.
class DenseQp : public QpOperator {
 public:
  DenseQp(Eigen::MatrixXd h, Eigen::MatrixXd c) : h_(std::move(h)), c_(std::move(c)) {}
  int num_variables() const override { return static_cast<int>(h_.rows()); }
  int num_rows() const override { return static_cast<int>(c_.rows()); }
  void ApplyHessian(const Eigen::VectorXd& x, Eigen::VectorXd& y) const override { y = h_ * x; }
  void ApplyRows(const Eigen::VectorXd& x, Eigen::VectorXd& v) const override { v = c_ * x; }
  void ApplyRowsTransposed(const Eigen::VectorXd& w, Eigen::VectorXd& y) const override {
    y = c_.transpose() * w;
  }
  bool FactorizeNewton(const Eigen::VectorXd& d) override {
    d_ = d;
    lu_.compute(h_ + c_.transpose() * d.asDiagonal() * c_);
    return lu_.rcond() > 1e-300;
  }
  void SolveNewton(const Eigen::VectorXd& rhs, const Eigen::VectorXd& row_rhs, Eigen::VectorXd& dx,
                   Eigen::VectorXd& w, Eigen::VectorXd& dnu, Eigen::VectorXd& cdx) const override {
    dx = lu_.solve(rhs + c_.transpose() * d_.cwiseProduct(row_rhs));
    cdx = c_ * dx;
    w = d_.cwiseProduct(cdx - row_rhs);
    dnu.resize(0);
  }

 private:
  Eigen::MatrixXd h_, c_;
  Eigen::VectorXd d_;
  Eigen::PartialPivLU<Eigen::MatrixXd> lu_;
};

// minimize 1/2 |x|^2 over x in R^2 with x1 in [1, 3] and x1 + delta x2 in [-3, 1 - delta]:
// the optimum is x = (1, -1), with multipliers 1 + 1/delta on the first row's lower bound and
// 1/delta on the second row's upper bound (H x + C^T (z_u - z_l) = 0). Two nearly parallel rows
// make the multipliers huge, as near beta_min in score matching.
struct NearlyParallelRows {
  double delta;
  Eigen::MatrixXd c{{1.0, 0.0}, {1.0, 0.0}};
  Eigen::VectorXd lower{{1.0, -3.0}}, upper{{3.0, 0.0}};
  explicit NearlyParallelRows(double d) : delta(d) {
    c(1, 1) = d;
    upper[1] = 1.0 - d;
  }
};

InteriorPointState Solve(const NearlyParallelRows& p, double boost) {
  DenseQp op(Eigen::MatrixXd::Identity(2, 2), p.c);
  InteriorPointOptions options;
  options.dual_boost = boost;
  return SolveBoundedQp(op, p.lower, p.upper, Eigen::VectorXd::Zero(2), options);
}

// Boosted or not, the method finds the optimum and its multipliers up to 1e5. (Below delta = 1e-5
// the optimum moves by more than the primal tolerance allows for: both stop early.) Where the
// boosts pay is tested on score matching (SM1DHardRegimeTest), whose multipliers reach 1e8.
TEST(InteriorPointQpTest, FindsLargeMultipliersWithAndWithoutBoosts) {
  for (double delta : {1e-2, 1e-4, 1e-5}) {
    const NearlyParallelRows p(delta);
    for (double boost : {0.0, 100.0}) {
      SCOPED_TRACE(testing::Message() << "delta " << delta << " boost " << boost);
      const InteriorPointState s = Solve(p, boost);
      ASSERT_TRUE(s.converged);
      EXPECT_NEAR(s.x[0], 1.0, 1e-9);
      EXPECT_NEAR(s.x[1], -1.0, 1e-9);
      EXPECT_NEAR(s.dual_lower[0], 1.0 + 1.0 / delta, 1e-6 * (1.0 + 1.0 / delta));
      EXPECT_NEAR(s.dual_upper[1], 1.0 / delta, 1e-6 / delta);
      EXPECT_NEAR(s.dual_upper[0], 0.0, 1e-6);
      EXPECT_NEAR(s.dual_lower[1], 0.0, 1e-6);
    }
  }
}

}  // namespace
}  // namespace convexscore
