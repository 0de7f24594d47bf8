#include "convexscore/solvers/lasso.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace convexscore {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

// Standard normal entries from one seeded engine.
struct RandomProblem {
  MatrixXd a;
  VectorXd b;
};
RandomProblem MakeRandomProblem(int rows, int cols, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  RandomProblem problem{MatrixXd(rows, cols), VectorXd(rows)};
  for (int i = 0; i < rows; ++i) {
    problem.b[i] = normal(rng);
    for (int j = 0; j < cols; ++j) problem.a(i, j) = normal(rng);
  }
  return problem;
}

double LassoObjective(const MatrixXd& a, const VectorXd& b, double beta, const VectorXd& y) {
  return 0.5 * (a * y - b).squaredNorm() + beta * y.lpNorm<1>();
}

// The optimum by enumeration, independent of the solver: some optimal y has linearly
// independent support columns, and on its support S with signs s it solves
// A_S^T A_S y_S = A_S^T b - beta s. Try every (S, s) and keep the best consistent one.
double EnumeratedOptimum(const MatrixXd& a, const VectorXd& b, double beta) {
  const int p = static_cast<int>(a.cols());
  double best = 0.5 * b.squaredNorm();
  int patterns = 1;
  for (int j = 0; j < p; ++j) patterns *= 3;
  for (int code = 0; code < patterns; ++code) {
    std::vector<int> support;
    std::vector<double> signs;
    for (int j = 0, rest = code; j < p; ++j, rest /= 3) {
      if (rest % 3 == 0) continue;
      support.push_back(j);
      signs.push_back(rest % 3 == 1 ? 1.0 : -1.0);
    }
    if (support.empty()) continue;
    const int e = static_cast<int>(support.size());
    MatrixXd columns(a.rows(), e);
    VectorXd s(e);
    for (int k = 0; k < e; ++k) {
      columns.col(k) = a.col(support[k]);
      s[k] = signs[k];
    }
    const MatrixXd gram = columns.transpose() * columns;
    Eigen::FullPivLU<MatrixXd> lu(gram);
    if (lu.rank() < e) continue;
    const VectorXd ys = lu.solve(columns.transpose() * b - beta * s);
    if ((ys.array() * s.array() <= 0).any()) continue;
    VectorXd y = VectorXd::Zero(p);
    for (int k = 0; k < e; ++k) y[support[k]] = ys[k];
    best = std::min(best, LassoObjective(a, b, beta, y));
  }
  return best;
}

void ExpectCertified(const LassoResult& result, const MatrixXd& a, const VectorXd& b,
                     double beta) {
  const SolveSummary& s = result.summary;
  EXPECT_EQ(s.status, SolveStatus::kOptimal) << s.message;
  EXPECT_LE(std::abs(s.relative_gap), 1e-9);
  EXPECT_LE(s.kkt_residual, 1e-8);
  EXPECT_NEAR(s.duality_gap, s.objective - s.dual_objective, 1e-15 * std::abs(s.objective) + 1e-15);
  // The reported objective is the objective of the returned coefficients.
  EXPECT_NEAR(s.objective, LassoObjective(a, b, beta, result.coefficients),
              1e-12 * std::max(1.0, std::abs(s.objective)));
  EXPECT_LE((a * result.coefficients - b - result.residual).lpNorm<Eigen::Infinity>(), 1e-12);
}

TEST(LassoTest, MatchesEnumeratedOptimumOnSmallRandomProblems) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    const auto [a, b] = MakeRandomProblem(3 + trial % 5, 2 + trial % 5, rng);
    const double beta_max = (a.transpose() * b).lpNorm<Eigen::Infinity>();
    for (double fraction : {0.01, 0.2, 0.7}) {
      const double beta = fraction * beta_max;
      SCOPED_TRACE("trial " + std::to_string(trial) + ", beta " + std::to_string(beta));
      const LassoResult result = SolveLasso(DenseLassoOperator(a), b, {.beta = beta});
      ExpectCertified(result, a, b, beta);
      const double reference = EnumeratedOptimum(a, b, beta);
      EXPECT_NEAR(result.summary.objective, reference, 1e-10 * std::max(1.0, reference));
    }
  }
}

TEST(LassoTest, RepeatedAndNegatedColumnsDoNotChangeTheOptimum) {
  // [u, v, u, -v, w] against [u, v, w]: a repeat (or negation) of a column can only split a
  // coefficient at the same l1 cost. The Gram matrix of a support holding both copies is
  // singular, which the exact polish has to cope with.
  std::mt19937_64 rng(5);
  const auto [base, b] = MakeRandomProblem(12, 3, rng);
  MatrixXd repeated(12, 5);
  repeated << base.col(0), base.col(1), base.col(0), -base.col(1), base.col(2);
  for (double beta : {0.05, 0.5, 2.0}) {
    SCOPED_TRACE(beta);
    const LassoResult reduced = SolveLasso(DenseLassoOperator(base), b, {.beta = beta});
    const LassoResult full = SolveLasso(DenseLassoOperator(repeated), b, {.beta = beta});
    ExpectCertified(full, repeated, b, beta);
    EXPECT_NEAR(full.summary.objective, reduced.summary.objective,
                1e-12 * std::max(1.0, reduced.summary.objective));
  }
}

TEST(LassoTest, LinearlyDependentColumnsMatchEnumeration) {
  // [u, v, u + v, u - v, w] in 6 rows: dependent but not repeated, so the sum column is a
  // cheaper way to reach u + v than its parts.
  std::mt19937_64 rng(8);
  auto [a, b] = MakeRandomProblem(6, 5, rng);
  a.col(2) = a.col(0) + a.col(1);
  a.col(3) = a.col(0) - a.col(1);
  for (double beta : {0.01, 0.3, 1.0}) {
    SCOPED_TRACE(beta);
    const LassoResult result = SolveLasso(DenseLassoOperator(a), b, {.beta = beta});
    ExpectCertified(result, a, b, beta);
    const double reference = EnumeratedOptimum(a, b, beta);
    EXPECT_NEAR(result.summary.objective, reference, 1e-10 * std::max(1.0, reference));
  }
}

TEST(LassoTest, AtOrAboveBetaMaxReturnsZero) {
  MatrixXd a(4, 3);
  a << 1, 0, 2, 0, 1, -1, 1, 1, 0, -1, 2, 1;
  VectorXd b(4);
  b << 1, -2, 0.5, 3;
  const double beta_max = (a.transpose() * b).lpNorm<Eigen::Infinity>();
  for (double beta : {beta_max, 1.5 * beta_max}) {
    const LassoResult result = SolveLasso(DenseLassoOperator(a), b, {.beta = beta});
    ExpectCertified(result, a, b, beta);
    EXPECT_EQ(result.coefficients.lpNorm<Eigen::Infinity>(), 0.0);
    EXPECT_DOUBLE_EQ(result.summary.objective, 0.5 * b.squaredNorm());
  }
  // Just below beta_max the zero vector is not optimal.
  const LassoResult below = SolveLasso(DenseLassoOperator(a), b, {.beta = 0.99 * beta_max});
  EXPECT_LT(below.summary.objective, 0.5 * b.squaredNorm());
}

TEST(LassoTest, WarmStartFromAnotherBetaReachesTheSameOptimum) {
  std::mt19937_64 rng(3);
  const auto [a, b] = MakeRandomProblem(30, 50, rng);
  const DenseLassoOperator op(a);
  const LassoResult first = SolveLasso(op, b, {.beta = 2.0});
  const LassoResult cold = SolveLasso(op, b, {.beta = 1.0});
  const LassoResult warm = SolveLasso(op, b, {.beta = 1.0}, &first.coefficients);
  ExpectCertified(warm, a, b, 1.0);
  EXPECT_NEAR(warm.summary.objective, cold.summary.objective, 1e-12 * cold.summary.objective);
}

TEST(LassoTest, ObjectiveOffsetShiftsBothObjectivesOnly) {
  MatrixXd a(3, 2);
  a << 1, 2, 0, 1, 1, -1;
  VectorXd b(3);
  b << 1, 1, 2;
  const LassoResult plain = SolveLasso(DenseLassoOperator(a), b, {.beta = 0.3});
  const LassoResult shifted =
      SolveLasso(DenseLassoOperator(a), b, {.beta = 0.3, .objective_offset = 10.0});
  EXPECT_NEAR(shifted.summary.objective, plain.summary.objective + 10.0, 1e-12);
  EXPECT_NEAR(shifted.summary.dual_objective, plain.summary.dual_objective + 10.0, 1e-12);
  EXPECT_NEAR(shifted.summary.duality_gap, plain.summary.duality_gap, 1e-12);
}

TEST(LassoTest, RejectsBadBetaAndSizes) {
  const DenseLassoOperator op(MatrixXd::Identity(2, 2));
  const VectorXd b = VectorXd::Ones(2);
  EXPECT_THROW(SolveLasso(op, b, {.beta = 0.0}), Error);
  EXPECT_THROW(SolveLasso(op, b, {.beta = -1.0}), Error);
  EXPECT_THROW(SolveLasso(op, b, {.beta = std::numeric_limits<double>::quiet_NaN()}), Error);
  EXPECT_THROW(SolveLasso(op, VectorXd::Ones(3), {.beta = 1.0}), Error);
  const VectorXd wrong_warm = VectorXd::Zero(5);
  EXPECT_THROW(SolveLasso(op, b, {.beta = 1.0}, &wrong_warm), Error);
}

}  // namespace
}  // namespace convexscore
