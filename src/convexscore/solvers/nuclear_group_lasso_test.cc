#include "convexscore/solvers/nuclear_group_lasso.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "testutil/random_points.h"

namespace convexscore {
namespace {

// Correlated Gaussian points in R^d with a shifted mean.
Eigen::MatrixXd GaussianData(int n, int d, unsigned seed) {
  Eigen::MatrixXd mix = Eigen::MatrixXd::Identity(d, d);
  for (int c = 0; c + 1 < d; ++c) mix(c, c + 1) = 0.6;
  mix(d - 1, d - 1) = 0.5;
  Eigen::MatrixXd x = testutil::RandomPoints(n, d, seed) * mix;
  for (int c = 0; c < d; ++c) x.col(c).array() += 0.3 * (c + 1);
  return x;
}

PatternSet FullPatternOnly(int n) {
  PatternSet patterns(n);
  std::vector<std::uint64_t> full(patterns.words(), 0);
  for (int i = 0; i < n; ++i) full[i >> 6] |= std::uint64_t{1} << (i & 63);
  patterns.Insert(full.data());
  return patterns;
}

// The SM relaxation with ReLU gates (t_k = |k| / n).
NuclearGroupLassoProblem ScoreProblem(const Eigen::MatrixXd& x, const PatternSet& patterns,
                                      double beta) {
  NuclearGroupLassoProblem problem;
  problem.x = x;
  problem.patterns = &patterns;
  problem.beta = beta;
  problem.trace_weight.resize(patterns.size());
  for (int k = 0; k < patterns.size(); ++k) {
    problem.trace_weight[k] = static_cast<double>(patterns.ActiveCount(k)) / x.rows();
  }
  return problem;
}

// With the all-ones pattern alone the optimum is f(x) = -(1 - beta) Sigma^{-1} (x - mean) for
// every beta < 1, whatever the mean (docs/theory.md): the bias row of the block stays zero.
TEST(NuclearGroupLasso, SinglePatternGivesEmpiricalCovarianceEstimator) {
  for (const int d : {2, 5}) {
    const int n = 60;
    const Eigen::MatrixXd x = GaussianData(n, d, 11 + d);
    const PatternSet patterns = FullPatternOnly(n);
    const Eigen::RowVectorXd mean = x.colwise().mean();
    const Eigen::MatrixXd centred = x.rowwise() - mean;
    const Eigen::MatrixXd sigma = centred.transpose() * centred / n;
    for (const double beta : {0.2, 0.8}) {
      const NuclearGroupLassoProblem problem = ScoreProblem(x, patterns, beta);
      const NuclearGroupLassoSolution solution = SolveNuclearGroupLasso(problem, {});
      ASSERT_EQ(solution.summary.status, SolveStatus::kOptimal) << solution.summary.message;
      const Eigen::MatrixXd expected = -(1 - beta) * centred * sigma.inverse();  // f on the data
      EXPECT_LT((solution.fitted - expected).cwiseAbs().maxCoeff(), 1e-8) << "d " << d;
      EXPECT_LT(solution.z[0].row(d).norm(), 1e-8);
      // Objective: (1/2) tr(W^T Sigma W) + tr W + beta ||W||_* at W = -(1 - beta) Sigma^{-1}.
      const Eigen::MatrixXd inverse = sigma.inverse();
      const double value = 0.5 * (1 - beta) * (1 - beta) * inverse.trace() -
                           (1 - beta) * inverse.trace() + beta * (1 - beta) * inverse.trace();
      EXPECT_NEAR(solution.summary.objective, value, 1e-9 * std::abs(value));
      EXPECT_LE(solution.summary.relative_gap, 1e-9);
    }
  }
}

// Weak duality at arbitrary points: the certificate of any point never reports a negative gap
// when its dual point is feasible, and the gap is the sum of block complementarity terms.
TEST(NuclearGroupLasso, CertificateIsValidAtArbitraryPoints) {
  const int n = 12;
  const Eigen::MatrixXd x = GaussianData(n, 2, 5);
  const PatternSet patterns = EnumeratePatterns(x);
  NuclearGroupLassoProblem problem;
  problem.x = x;
  problem.patterns = &patterns;
  problem.target = testutil::RandomPoints(n, 2, 6);
  problem.beta = 0.05;
  std::mt19937_64 engine(3);
  std::normal_distribution<double> normal;
  const NuclearGroupLassoSolution optimum = SolveNuclearGroupLasso(problem, {});
  ASSERT_EQ(optimum.summary.status, SolveStatus::kOptimal) << optimum.summary.message;
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<int> blocks;
    std::vector<Eigen::MatrixXd> z;
    for (int j = 0; j < 4; ++j) {
      blocks.push_back(static_cast<int>(engine() % patterns.size()));
      Eigen::MatrixXd block(3, 2);
      for (int e = 0; e < 6; ++e) block(e) = 0.3 * normal(engine);
      z.push_back(block);
    }
    const NuclearGroupLassoCertificate c = EvaluateNuclearGroupLasso(problem, blocks, z);
    EXPECT_GE(c.gap, -1e-12);
    EXPECT_EQ(c.dual_infeasibility, 0.0);  // DSM: the scaled dual point is feasible
    // No point is below the certified optimum.
    EXPECT_GE(c.primal_objective, optimum.certificate.dual_objective - 1e-12);
  }
}

// beta_max is exact: at 1.001 beta_max the blocks are zero; at 0.95 beta_max they are not and the
// objective is below that of the zero blocks.
TEST(NuclearGroupLasso, BetaMaxSeparatesTheZeroSolution) {
  const int n = 15;
  const Eigen::MatrixXd x = GaussianData(n, 2, 8);
  const PatternSet patterns = EnumeratePatterns(x);
  NuclearGroupLassoProblem problem;
  problem.x = x;
  problem.patterns = &patterns;
  problem.target = testutil::RandomPoints(n, 2, 9);
  problem.gate = Activation::kAbs;
  const double beta_max = NuclearGroupLassoBetaMax(problem);
  const Eigen::MatrixXd centred = problem.target.rowwise() - problem.target.colwise().mean();
  const double zero_value = centred.squaredNorm() / (2.0 * n);
  problem.beta = 1.001 * beta_max;
  const NuclearGroupLassoSolution above = SolveNuclearGroupLasso(problem, {});
  EXPECT_EQ(above.summary.status, SolveStatus::kOptimal);
  EXPECT_NEAR(above.summary.objective, zero_value, 1e-12);
  problem.beta = 0.95 * beta_max;
  const NuclearGroupLassoSolution below = SolveNuclearGroupLasso(problem, {});
  EXPECT_EQ(below.summary.status, SolveStatus::kOptimal) << below.summary.message;
  EXPECT_LT(below.summary.objective, zero_value - 1e-8);
}

// A warm start from the optimum at a nearby beta reaches the same value in fewer iterations.
TEST(NuclearGroupLasso, WarmStartAlongBetaPath) {
  const int n = 12;
  const Eigen::MatrixXd x = GaussianData(n, 2, 21);
  const PatternSet patterns = EnumeratePatterns(x);
  NuclearGroupLassoProblem problem;
  problem.x = x;
  problem.patterns = &patterns;
  problem.target = testutil::RandomPoints(n, 2, 22);
  problem.beta = 0.1;
  const NuclearGroupLassoSolution first = SolveNuclearGroupLasso(problem, {});
  ASSERT_EQ(first.summary.status, SolveStatus::kOptimal) << first.summary.message;
  problem.beta = 0.09;
  const NuclearGroupLassoSolution cold = SolveNuclearGroupLasso(problem, {});
  const NuclearGroupLassoSolution warm = SolveNuclearGroupLasso(problem, {}, &first);
  ASSERT_EQ(cold.summary.status, SolveStatus::kOptimal) << cold.summary.message;
  ASSERT_EQ(warm.summary.status, SolveStatus::kOptimal) << warm.summary.message;
  EXPECT_NEAR(warm.summary.objective, cold.summary.objective,
              2e-9 * std::max(1.0, std::abs(cold.summary.objective)));
  EXPECT_LT(warm.summary.iterations, cold.summary.iterations);
}

TEST(NuclearGroupLasso, RejectsBadInput) {
  const Eigen::MatrixXd x = GaussianData(6, 2, 1);
  const PatternSet patterns = EnumeratePatterns(x);
  NuclearGroupLassoProblem problem;
  problem.x = x;
  problem.patterns = &patterns;
  problem.beta = 0.0;
  EXPECT_THROW(SolveNuclearGroupLasso(problem, {}), Error);
  problem.beta = 0.5;
  problem.target = Eigen::MatrixXd::Zero(5, 2);
  EXPECT_THROW(SolveNuclearGroupLasso(problem, {}), Error);
  problem.target.resize(0, 0);
  problem.trace_weight = Eigen::VectorXd::Zero(3);
  EXPECT_THROW(SolveNuclearGroupLasso(problem, {}), Error);
}

}  // namespace
}  // namespace convexscore
