#include "convexscore/solvers/cone_group_lasso.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "convexscore/arrangements/patterns.h"
#include "convexscore/data/portable_random.h"
#include "testutil/random_points.h"

namespace convexscore {
namespace {

Eigen::MatrixXd RandomPoints(int n, unsigned seed) { return testutil::RandomPoints(n, 2, seed); }

// psi(h) = max of -<h, z> over z = (w, b) in the pattern's cone with ||w|| <= 1, by brute
// force in the plane: w on a fine circle, b at the better end of its feasible interval.
double BruteForcePsi(const Eigen::MatrixXd& x, const PatternSet& patterns, int k,
                     const Eigen::Vector3d& h) {
  double best = 0.0;  // z = 0
  // A fine circle, the exact corners of the feasible arc (w perpendicular to x_i - x_j), and
  // the stationary point of each piece between corners: there b = -x_i.w for one point i, so
  // -<h, z> = -(h_w - h_b x_i).w, largest at w along -(h_w - h_b x_i).
  std::vector<double> angles;
  const int steps = 200000;
  for (int s = 0; s < steps; ++s) angles.push_back(2.0 * std::numbers::pi * s / steps);
  for (int i = 0; i < x.rows(); ++i)
    angles.push_back(std::atan2(-(h[1] - h[2] * x(i, 1)), -(h[0] - h[2] * x(i, 0))));
  for (int i = 0; i < x.rows(); ++i)
    for (int j = 0; j < x.rows(); ++j)
      if (i != j) angles.push_back(std::atan2(x(j, 1) - x(i, 1), x(j, 0) - x(i, 0)) + 0.5 * std::numbers::pi);
  for (double angle : angles) {
    const Eigen::Vector2d w(std::cos(angle), std::sin(angle));
    double lo = -INFINITY, hi = INFINITY;  // b >= -x.w on active points, b <= -x.w on the others
    for (int i = 0; i < x.rows(); ++i) {
      const double v = -x.row(i).dot(w);
      if (patterns.Active(k, i)) lo = std::max(lo, v);
      else hi = std::min(hi, v);
    }
    // At a corner lo = hi, up to rounding either way: the maximum is often there.
    if (lo > hi + 1e-12 * (1.0 + std::abs(hi))) continue;
    const double b = h[2] > 0 ? lo : hi;
    if (!std::isfinite(b)) {
      if (h[2] != 0) return INFINITY;
      continue;
    }
    best = std::max(best, -(h[0] * w[0] + h[1] * w[1] + h[2] * b));
  }
  return best;
}

// Spread points, and clustered ones (three copies of each of four points within 0.01 of it, as
// in small-noise DSM data), where the weighted attempts alone overestimated psi on some
// patterns and the active-set finish has to bring it to the maximum.
TEST(ConeGroupLasso, PatternDualNormMatchesBruteForceMaximum) {
  Eigen::MatrixXd clustered(12, 2);
  const Eigen::MatrixXd centres = RandomPoints(4, 11);
  std::mt19937_64 noise(12);
  for (int i = 0; i < 12; ++i)
    for (int c = 0; c < 2; ++c) clustered(i, c) = centres(i / 3, c) + 0.01 * StandardNormal(noise);
  for (const Eigen::MatrixXd& x : {RandomPoints(7, 5), clustered}) {
    const PatternSet patterns = EnumeratePatterns(x);
    std::mt19937_64 engine(9);
    int checked = 0;
    for (int k = 0; k < patterns.size(); k += 3) {
      const int active = patterns.ActiveCount(k);
      if (active == 0 || active == x.rows()) continue;  // mixed patterns: b is bounded
      Eigen::Vector3d h(StandardNormal(engine), StandardNormal(engine), StandardNormal(engine));
      double bias_residual = -1;
      Eigen::VectorXd mu;
      const double psi = PatternDualNorm(x, patterns, k, h, &bias_residual, &mu);
      const double brute = BruteForcePsi(x, patterns, k, h);
      // psi is attained by a feasible multiplier, so it never falls below the maximum (that is
      // what makes the certificate valid), and the active-set finish makes it exact.
      EXPECT_NEAR(psi, brute, 1e-8 * (1 + brute)) << x.rows() << " points, pattern " << k;
      EXPECT_LE(bias_residual, 1e-14 * (1 + mu.sum()));  // rounding of the bias row's sum
      ++checked;
    }
    EXPECT_GT(checked, 10);
  }
}

TEST(ConeGroupLasso, FullPatternNeedsZeroBiasGradient) {
  const Eigen::MatrixXd x = RandomPoints(6, 6);
  const PatternSet patterns = EnumeratePatterns(x);
  int full = -1;
  for (int k = 0; k < patterns.size(); ++k)
    if (patterns.ActiveCount(k) == 6) full = k;
  ASSERT_GE(full, 0);
  double bias_residual = 0;
  PatternDualNorm(x, patterns, full, Eigen::Vector3d(0.1, 0.2, -0.3), &bias_residual);
  EXPECT_NEAR(bias_residual, 0.3, 1e-12);  // the constant direction cannot absorb it
  const double psi = PatternDualNorm(x, patterns, full, Eigen::Vector3d(0.1, 0.2, 0.0), &bias_residual);
  EXPECT_NEAR(psi, std::hypot(0.1, 0.2), 1e-12);  // every w is allowed in the full pattern
  EXPECT_EQ(bias_residual, 0.0);
}

// The pricing of the d = 5, n = 1000 benchmark's data (bench/score_matching_nd_benchmark.cc):
// at lambda = 0 every block's reduced gradient is +-(trace / n) e_c with a zero bias entry, and
// many of them lie in the polar of their cone (psi = 0). There the Lawson-Hanson loop of the
// pricing used to chase rounding noise for up to 3n iterations of O(n) each, some calls looping
// in the inner step for 26 s (docs/theory.md, "Speed of the d-D score-matching fit"). Checked
// here: psi(h) <= ||h_w|| (mu = 0 is feasible when h_b = 0), psi = 0 to rounding for h built
// inside the polar cone (h = A^T mu, mu >= 0), no bias residual, and the whole sweep in
// seconds rather than minutes.
TEST(ConeGroupLasso, PatternDualNormIsQuickOnFiveDimensionalSampledPatterns) {
  const int n = 1000, d = 5;
  std::mt19937_64 engine(2026);
  Eigen::MatrixXd x(n, d);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < d; ++c) x(i, c) = StandardNormal(engine);
  const PatternSet patterns = SamplePatterns(x, 100, 1);
  std::mt19937_64 draw(3);
  std::uniform_int_distribution<int> point(0, n - 1);
  const auto start = std::chrono::steady_clock::now();
  int priced = 0;
  for (int k = 0; k < patterns.size(); ++k) {
    const int active = patterns.ActiveCount(k);
    if (active == 0 || active == n) continue;
    for (double sign : {1.0, -1.0}) {
      Eigen::VectorXd h = Eigen::VectorXd::Zero(d + 1);
      h[k % d] = sign * active / static_cast<double>(n);
      double bias_residual = -1.0;
      const double psi = PatternDualNorm(x, patterns, k, h, &bias_residual);
      EXPECT_GE(psi, 0.0);
      EXPECT_LE(psi, h.head(d).norm() * (1 + 1e-12)) << "pattern " << k;
      EXPECT_LE(bias_residual, 1e-12) << "pattern " << k;
      ++priced;
    }
    // h = sum of mu_i (2 D_k(i) - 1) x~_i over a few points: inside the polar cone.
    Eigen::VectorXd h = Eigen::VectorXd::Zero(d + 1);
    for (int j = 0; j < 4; ++j) {
      const int i = point(draw);
      const double s = patterns.Active(k, i) ? 1.0 : -1.0;
      Eigen::VectorXd xt(d + 1);
      xt << x.row(i).transpose(), 1.0;
      h += (0.5 + j) * s * xt;
    }
    double bias_residual = -1.0;
    EXPECT_LE(PatternDualNorm(x, patterns, k, h, &bias_residual), 1e-9 * h.norm()) << "pattern " << k;
    EXPECT_LE(bias_residual, 1e-9 * h.norm()) << "pattern " << k;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GT(priced, 150);
  EXPECT_LT(seconds, 20.0) << priced << " prices";  // about 0.1 s; minutes before the fix
}

struct DsmCase {
  Eigen::MatrixXd x, target;
  Activation gate = Activation::kRelu;
  double beta = 0.0, reference = 0.0;
  int patterns = 0;
};

std::vector<DsmCase> LoadDsmReference() {
  std::ifstream in(std::string(CONVEXSCORE_TEST_DATA_DIR) + "/reference/dsmnd.json");
  EXPECT_TRUE(in);
  const nlohmann::json doc = nlohmann::json::parse(in);
  std::vector<DsmCase> out;
  for (const auto& c : doc.at("cases")) {
    if (c.at("status") != "optimal") continue;
    const auto& data = doc.at("data").at(c.at("data").get<std::string>());
    const auto& xs = data.at("x_noisy");
    const auto& ts = data.at("target");
    const int n = static_cast<int>(xs.size());
    DsmCase out_case;
    out_case.x.resize(n, 2);
    out_case.target.resize(n, 2);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < 2; ++j) {
        out_case.x(i, j) = xs.at(i).at(j).get<double>();
        out_case.target(i, j) = ts.at(i).at(j).get<double>();
      }
    out_case.gate = c.at("activation") == "relu" ? Activation::kRelu : Activation::kAbs;
    out_case.beta = c.at("beta").get<double>();
    out_case.reference = c.at("optimal_value").get<double>();
    out_case.patterns = c.at("patterns").get<int>();
    out.push_back(out_case);
  }
  return out;
}

ConeGroupLassoProblem DsmProblem(const DsmCase& c, const PatternSet& patterns, int coordinate) {
  ConeGroupLassoProblem problem;
  problem.x = c.x;
  problem.patterns = &patterns;
  problem.gate = c.gate;
  problem.target = c.target.col(coordinate);
  problem.beta = c.beta;
  return problem;
}

// DSM form (g = 0, y = targets) against the independent values of dsmnd.json: one network per
// coordinate over all patterns of the noisy inputs, every solve certified.
TEST(ConeGroupLasso, MatchesDsmReferenceValues) {
  const std::vector<DsmCase> cases = LoadDsmReference();
  ASSERT_GE(cases.size(), 4u);
  for (const DsmCase& c : cases) {
    const PatternSet patterns = EnumeratePatterns(c.x);
    EXPECT_EQ(patterns.size(), c.patterns);
    double total = 0.0;
    for (int coordinate = 0; coordinate < 2; ++coordinate) {
      const ConeGroupLassoProblem problem = DsmProblem(c, patterns, coordinate);
      const ConeGroupLassoSolution solution = SolveConeGroupLasso(problem, {});
      EXPECT_EQ(StatusName(solution.summary.status), "optimal");
      EXPECT_LE(std::abs(solution.summary.relative_gap), 1e-9);
      EXPECT_LE(solution.certificate.dual_infeasibility, 1e-9);
      EXPECT_LE(solution.certificate.primal_infeasibility, 1e-12);
      // The certificate is that of the returned point, recomputed independently.
      const ConeGroupLassoCertificate again =
          EvaluateConeGroupLasso(problem, solution.positive, solution.negative);
      EXPECT_NEAR(again.primal_objective, solution.summary.objective, 1e-12);
      EXPECT_LE(again.primal_infeasibility, 1e-12);
      total += solution.summary.objective;
    }
    EXPECT_NEAR(total, c.reference, 1e-6 * std::abs(c.reference))
        << (c.gate == Activation::kRelu ? "relu" : "abs") << " beta " << c.beta;
  }
}

// Whatever the budget, the returned point lies in the cones (the first-order iterate meets them
// only to a tolerance; an earlier version returned such a point), and with g = 0 the certificate
// is valid at any point: dual <= reference optimum <= primal, summed over the coordinates.
TEST(ConeGroupLasso, ReturnedPointIsFeasibleAndBracketsOptimumForAnyBudget) {
  const std::vector<DsmCase> cases = LoadDsmReference();
  ASSERT_GE(cases.size(), 1u);
  for (int budget : {1, 20, 300}) {
    for (const DsmCase& c : cases) {
      const PatternSet patterns = EnumeratePatterns(c.x);
      double primal = 0.0, dual = 0.0;
      for (int coordinate = 0; coordinate < 2; ++coordinate) {
        const ConeGroupLassoProblem problem = DsmProblem(c, patterns, coordinate);
        ConeGroupLassoOptions options;
        options.max_iterations = budget;
        options.max_rounds = 1;
        options.polish = false;
        const ConeGroupLassoSolution solution = SolveConeGroupLasso(problem, options);
        const ConeGroupLassoCertificate cert =
            EvaluateConeGroupLasso(problem, solution.positive, solution.negative);
        EXPECT_LE(cert.primal_infeasibility, 1e-12) << "budget " << budget;
        if (solution.summary.status == SolveStatus::kOptimal)
          EXPECT_LE(cert.primal_infeasibility, options.feasibility_tolerance);
        EXPECT_LE(cert.dual_infeasibility, 1e-12);
        EXPECT_LE(cert.bias_residual, 1e-12);
        primal += cert.primal_objective;
        dual += cert.dual_objective;
      }
      // The reference carries 8 significant digits.
      EXPECT_LE(dual, c.reference * (1 + 1e-7)) << "budget " << budget;
      EXPECT_GE(primal, c.reference * (1 - 1e-7)) << "budget " << budget;
    }
  }
}

TEST(ConeGroupLasso, RejectsBadInput) {
  const Eigen::MatrixXd x = RandomPoints(5, 1);
  const PatternSet patterns = EnumeratePatterns(x);
  ConeGroupLassoProblem problem;
  problem.x = x;
  problem.patterns = &patterns;
  problem.target = Eigen::VectorXd::Zero(5);
  problem.beta = 0.0;
  EXPECT_THROW(SolveConeGroupLasso(problem, {}), Error);
  problem.beta = 1.0;
  problem.target = Eigen::VectorXd::Zero(4);
  EXPECT_THROW(SolveConeGroupLasso(problem, {}), Error);
}

}  // namespace
}  // namespace convexscore
