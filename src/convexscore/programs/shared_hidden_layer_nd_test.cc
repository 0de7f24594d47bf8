#include "convexscore/programs/shared_hidden_layer_nd.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "convexscore/data/portable_random.h"
#include "testutil/random_network.h"
#include "testutil/random_points.h"

namespace convexscore {
namespace {

using testutil::RandomPoints;

Eigen::MatrixXd GaussianData(int n, int d, unsigned seed) {
  Eigen::MatrixXd mix = Eigen::MatrixXd::Identity(d, d);
  for (int c = 0; c + 1 < d; ++c) mix(c, c + 1) = 0.5;
  Eigen::MatrixXd x = RandomPoints(n, d, seed) * mix;
  for (int c = 0; c < d; ++c) x.col(c).array() += 0.2 * (c + 1);
  return x;
}

double Scale(double value) { return std::max(1.0, std::abs(value)); }

// Issue 6 item 3: above the threshold of docs/theory.md the relaxation over all patterns is
// solved by the empirical covariance estimator; below it the closed form's dual point is
// infeasible and the solver finds a strictly smaller value.
TEST(SharedND, ClosedFormIsOptimalExactlyFromItsThreshold) {
  struct Case {
    int n, d;
    bool sample;
  };
  for (const Case c : {Case{30, 2, false}, Case{60, 5, true}}) {
    const Eigen::MatrixXd x = GaussianData(c.n, c.d, 40 + c.d);
    SharedHiddenLayerNDOptions options;
    options.sample_patterns = c.sample;
    options.sampled_directions = 300;
    const PatternSet patterns = SharedHiddenLayerPatterns(x, options);
    const double threshold = SharedClosedFormThreshold(x, patterns, Activation::kRelu);
    ASSERT_GT(threshold, 0.0);
    ASSERT_LT(threshold, 0.9);
    options.beta = threshold + 0.3 * (1 - threshold);
    const SharedHiddenLayerNDResult fit = FitSharedHiddenLayerND(x, options);
    ASSERT_EQ(fit.summary.status, SolveStatus::kOptimal) << fit.summary.message;
    const NuclearGroupLassoProblem problem =
        SharedScoreMatchingProblem(x, patterns, Activation::kRelu, options.beta);
    const SharedClosedForm form = SharedScoreMatchingClosedForm(problem);
    EXPECT_LE(form.certificate.dual_infeasibility, 1e-12);
    const Eigen::MatrixXd expected =
        (x.rowwise() - form.mean.transpose()) * form.slope.transpose();
    EXPECT_LT((fit.relaxation.fitted - expected).cwiseAbs().maxCoeff(), 1e-8) << "d " << c.d;
    EXPECT_NEAR(fit.summary.objective, form.certificate.primal_objective,
                1e-9 * Scale(fit.summary.objective));
    // Below the threshold the closed form is no longer optimal.
    options.beta = 0.7 * threshold;
    options.solver.max_iterations = 30000;  // it may be below beta_min (then it stops early)
    const SharedHiddenLayerNDResult below = FitSharedHiddenLayerND(x, options);
    if (below.summary.status == SolveStatus::kOptimal) {
      const SharedClosedForm form_below = SharedScoreMatchingClosedForm(
          SharedScoreMatchingProblem(x, patterns, Activation::kRelu, options.beta));
      EXPECT_GT(form_below.certificate.dual_infeasibility, 1e-6);
      EXPECT_LT(below.summary.objective,
                form_below.certificate.primal_objective - 1e-7 * Scale(below.summary.objective));
    }
  }
}

// The relaxation bounds every network from below: the reconstructed network and random ReLU
// networks never go below the certified lower bound; the reconstructed one is the upper bound.
TEST(SharedND, LowerBoundHoldsForReconstructedAndRandomNetworks) {
  const Eigen::MatrixXd x = GaussianData(12, 2, 3);
  for (const Activation activation : {Activation::kRelu, Activation::kAbs}) {
    SharedHiddenLayerNDOptions options;
    options.activation = activation;
    options.beta = 0.9;  // the relaxation's beta_min is large (docs/theory.md)
    const SharedHiddenLayerNDResult fit = FitSharedHiddenLayerND(x, options);
    ASSERT_EQ(fit.summary.status, SolveStatus::kOptimal) << fit.summary.message;
    EXPECT_EQ(fit.patterns, 12 * 11 + 2);
    EXPECT_LE(fit.summary.relative_gap, 1e-9);
    EXPECT_GE(fit.gap, -1e-9 * Scale(fit.lower_bound));
    EXPECT_NEAR(fit.upper_bound,
                ScoreMatchingObjective(fit.network, x, options.beta, BiasDecay::kPenalized), 1e-12);
    std::mt19937_64 engine(17);
    for (int trial = 0; trial < 40; ++trial) {
      NetworkND network = NetworkND::Zero(activation, 2);
      const int m = 1 + trial % 6;
      network.w.resize(m, 2);
      network.b.resize(m);
      network.a.resize(m, 2);
      for (int j = 0; j < m; ++j) {
        network.w.row(j) << StandardNormal(engine), StandardNormal(engine);
        network.b[j] = StandardNormal(engine);
        network.a.row(j) << 0.5 * StandardNormal(engine), 0.5 * StandardNormal(engine);
      }
      network.output_bias << StandardNormal(engine), StandardNormal(engine);
      EXPECT_GE(ScoreMatchingObjective(network, x, options.beta, BiasDecay::kPenalized),
                fit.lower_bound - 1e-9);
    }
    // Perturbing the reconstructed network does not beat the lower bound either.
    for (int trial = 0; trial < 20; ++trial) {
      NetworkND network = fit.network;
      for (int e = 0; e < network.w.size(); ++e) network.w(e) += 0.05 * StandardNormal(engine);
      for (int e = 0; e < network.a.size(); ++e) network.a(e) += 0.05 * StandardNormal(engine);
      EXPECT_GE(ScoreMatchingObjective(network, x, options.beta, BiasDecay::kPenalized),
                fit.lower_bound - 1e-9);
    }
  }
}

// DSM (Y = targets, no trace term): lower bound <= relaxation value, upper bound = the network's
// own DSM objective, a warm start from a nearby beta, and the exact beta_max.
TEST(SharedND, DenoisingFitReportsBoundsAndWarmStarts) {
  const Eigen::MatrixXd x = GaussianData(10, 2, 5);
  const DenoisingDataND data = MakeDenoisingDataND(x, 0.3, 2, 9);
  SharedHiddenLayerNDOptions options;
  options.beta = 0.5;
  const SharedHiddenLayerNDResult fit = FitSharedHiddenLayerDenoisingND(data, options);
  ASSERT_EQ(fit.summary.status, SolveStatus::kOptimal) << fit.summary.message;
  EXPECT_EQ(fit.objective_kind, "dsm");
  EXPECT_LE(fit.lower_bound, fit.summary.objective + 1e-12);
  EXPECT_GE(fit.gap, -1e-9);
  EXPECT_NEAR(fit.upper_bound,
              DenoisingScoreMatchingObjective(fit.network, data.inputs, data.targets, options.beta,
                                              BiasDecay::kPenalized),
              1e-12);
  options.beta = 0.45;
  const SharedHiddenLayerNDResult cold = FitSharedHiddenLayerDenoisingND(data, options);
  const SharedHiddenLayerNDResult warm = FitSharedHiddenLayerDenoisingND(data, options, &fit);
  ASSERT_EQ(warm.summary.status, SolveStatus::kOptimal) << warm.summary.message;
  EXPECT_NEAR(warm.summary.objective, cold.summary.objective, 2e-9 * Scale(cold.summary.objective));
  EXPECT_LT(warm.summary.iterations, cold.summary.iterations);
  // beta_max: the zero network is optimal from there on.
  options.beta = 1.0001 * fit.beta_max;
  const SharedHiddenLayerNDResult zero = FitSharedHiddenLayerDenoisingND(data, options);
  EXPECT_EQ(zero.network.neurons(), 0);
}

// The warm start of the next noise level: a network's units placed on the patterns their gates
// cut on new inputs represent the network exactly (fitted values equal up to the constant c0),
// for ReLU and for abs (where a unit may land on the complement pattern with the opposite sign).
TEST(SharedND, WarmStartFromNetworkReproducesItsValues) {
  std::mt19937_64 rng(17);
  const DenoisingDataND data = MakeDenoisingDataND(GaussianData(6, 2, 3), 0.4, 2, 21);
  for (const Activation activation : {Activation::kRelu, Activation::kAbs}) {
    SCOPED_TRACE(ActivationName(activation));
    const NetworkND network = testutil::RandomNetworkND(activation, 2, 5, false, rng);
    SharedHiddenLayerNDOptions options;
    options.activation = activation;
    const PatternSet patterns = SharedHiddenLayerPatterns(data.inputs, options);
    const NuclearGroupLassoProblem problem =
        SharedDenoisingProblem(data.inputs, data.targets, patterns, activation, 0.1);
    const NuclearGroupLassoSolution start =
        SharedWarmStartFromNetwork(network, data.inputs, patterns);
    EXPECT_GE(start.blocks.size(), 1u);
    Eigen::MatrixXd fitted;
    EvaluateNuclearGroupLasso(problem, start.blocks, start.z, &fitted);
    const Eigen::MatrixXd values = network.ScoreRows(data.inputs);
    const Eigen::MatrixXd difference = fitted - values;
    const Eigen::MatrixXd centred = difference.rowwise() - difference.colwise().mean();
    EXPECT_LT(centred.cwiseAbs().maxCoeff(), 1e-10);
    // It is a point of the relaxation: its value is at least the optimum's.
    options.beta = 0.1;
    const SharedHiddenLayerNDResult fit = FitSharedHiddenLayerDenoisingND(data, options);
    EXPECT_GE(EvaluateNuclearGroupLasso(problem, start.blocks, start.z).primal_objective,
              fit.lower_bound - 1e-9);
  }
}

// Several noise levels: each level's noise is MakeDenoisingDataND with seed noise_seed + l, the
// warm-started solve reaches the cold solve's optimum, and the upper bound is the network's own
// DSM objective on that level's noisy data.
TEST(SharedND, DenoisingLevelsMatchColdFitsOnTheSameNoise) {
  const Eigen::MatrixXd x = GaussianData(8, 2, 8);
  SharedHiddenLayerNDOptions options;
  options.beta = 0.5;
  const std::vector<double> sigmas = {0.5, 0.3, 0.2};
  const std::vector<SharedDenoisingLevelND> levels =
      FitSharedHiddenLayerDenoisingLevelsND(x, sigmas, 2, 30, options, std::int64_t{1} << 30);
  ASSERT_EQ(levels.size(), 3u);
  int warm_iterations = 0, cold_iterations = 0;
  for (std::size_t l = 0; l < levels.size(); ++l) {
    SCOPED_TRACE("level " + std::to_string(l));
    const SharedHiddenLayerNDResult& warm = levels[l].result;
    EXPECT_EQ(levels[l].sigma, sigmas[l]);
    EXPECT_EQ(levels[l].noise_seed, 30 + l);
    EXPECT_EQ(levels[l].noisy_inputs, 16);
    const DenoisingDataND data = MakeDenoisingDataND(x, sigmas[l], 2, 30 + l);
    const SharedHiddenLayerNDResult cold = FitSharedHiddenLayerDenoisingND(data, options);
    ASSERT_EQ(warm.summary.status, SolveStatus::kOptimal) << warm.summary.message;
    ASSERT_EQ(cold.summary.status, SolveStatus::kOptimal) << cold.summary.message;
    EXPECT_NEAR(warm.lower_bound, cold.lower_bound, 1e-8 * Scale(cold.lower_bound));
    EXPECT_EQ(warm.patterns, cold.patterns);
    EXPECT_NEAR(warm.upper_bound,
                DenoisingScoreMatchingObjective(warm.network, data.inputs, data.targets,
                                                options.beta, BiasDecay::kPenalized),
                1e-12 * Scale(warm.upper_bound));
    EXPECT_GE(warm.gap, -1e-9);
    if (l > 0) {
      warm_iterations += warm.summary.iterations;
      cold_iterations += cold.summary.iterations;
    }
  }
  // The warm start pays: fewer proximal-gradient steps than cold solves of the later levels.
  EXPECT_LT(warm_iterations, cold_iterations);
  // The first level is not warm-started: it is the cold fit, number for number.
  const SharedHiddenLayerNDResult first =
      FitSharedHiddenLayerDenoisingND(MakeDenoisingDataND(x, sigmas[0], 2, 30), options);
  EXPECT_EQ(levels[0].result.upper_bound, first.upper_bound);
  EXPECT_EQ(levels[0].result.lower_bound, first.lower_bound);
  // The checks of the per-coordinate levels, before any solve.
  const auto fails = [&](std::vector<double> s, int copies, std::int64_t budget) {
    EXPECT_THROW(FitSharedHiddenLayerDenoisingLevelsND(x, s, copies, 1, options, budget), Error);
  };
  fails({0.5, 0.0}, 2, std::int64_t{1} << 30);
  fails({0.5, 0.5}, 2, std::int64_t{1} << 30);
  fails({0.5}, 0, std::int64_t{1} << 30);
  fails({0.5}, 2, 1000);
  EXPECT_THROW(FitSharedHiddenLayerDenoisingLevelsND(x.topRows(2), sigmas, 2, 1, options,
                                                     std::int64_t{1} << 30),
               Error);
}

// Points with exactly the given mean-form mean and covariance (a standardised normal sample).
Eigen::MatrixXd Cluster(int n, const Eigen::Vector2d& mean, const Eigen::Matrix2d& covariance,
                        unsigned seed) {
  Eigen::MatrixXd z = RandomPoints(n, 2, seed);
  z = z.rowwise() - z.colwise().mean();
  const Eigen::Matrix2d sample = z.transpose() * z / n;
  const Eigen::Matrix2d whiten = Eigen::LLT<Eigen::Matrix2d>(sample).matrixL().solve(
      Eigen::Matrix2d::Identity());
  const Eigen::Matrix2d colour = Eigen::LLT<Eigen::Matrix2d>(covariance).matrixL();
  Eigen::MatrixXd x = z * (colour * whiten).transpose();
  return x.rowwise() + mean.transpose();
}

// Two patterns: the first n_a points (the side x_1 >= 0) and the rest.
PatternSet TwoSides(int n_a, int n) {
  PatternSet patterns(n);
  std::vector<std::uint64_t> a(patterns.words(), 0), b(patterns.words(), 0);
  for (int i = 0; i < n; ++i) (i < n_a ? a : b)[i >> 6] |= std::uint64_t{1} << (i & 63);
  patterns.Insert(a.data());
  patterns.Insert(b.data());
  return patterns;
}

struct Region {
  Eigen::Matrix2d sigma;
  Eigen::Vector2d mean;
};
Region RegionOf(const Eigen::MatrixXd& x) {
  Region r;
  r.mean = x.colwise().mean().transpose();
  const Eigen::MatrixXd c = x.rowwise() - r.mean.transpose();
  r.sigma = c.transpose() * c / x.rows();
  return r;
}

// The piecewise empirical covariance estimator (docs/theory.md): with the units switched by a
// line that separates two clusters (patterns A and B), the score on each side is
// -(1 - beta n / n_r) Sigma_r^{-1} (x - m_r) exactly when the two regional estimators have the
// same offset (1 - beta_r) Sigma_r^{-1} m_r, which this mirror-symmetric mixture is built to
// satisfy; with every pattern available the full pattern's price is 2 beta and it is not optimal.
TEST(SharedND, PiecewiseCovarianceEstimatorOnMirroredMixture) {
  const int half = 12, n = 2 * half;
  Eigen::Matrix2d cov_a;
  cov_a << 0.04, 0.02, 0.02, 0.04;  // correlation 1/2
  const Eigen::Vector2d mean_a(1.0, 2.0);  // Sigma_a^{-1} m_a has a zero first coordinate
  Eigen::MatrixXd x(n, 2);
  x.topRows(half) = Cluster(half, mean_a, cov_a, 31);
  x.bottomRows(half) = x.topRows(half);
  x.bottomRows(half).col(0) *= -1.0;  // the mirror image x_1 -> -x_1
  ASSERT_GT(x.topRows(half).col(0).minCoeff(), 0.0);
  const PatternSet sides = TwoSides(half, n);
  for (const double beta : {0.1, 0.3}) {
    const NuclearGroupLassoProblem problem =
        SharedScoreMatchingProblem(x, sides, Activation::kRelu, beta);
    const NuclearGroupLassoSolution solution = SolveNuclearGroupLasso(problem, {});
    ASSERT_EQ(solution.summary.status, SolveStatus::kOptimal) << solution.summary.message;
    const double shrink = 1.0 - beta * n / half;
    for (int side = 0; side < 2; ++side) {
      const Eigen::MatrixXd points = x.middleRows(side * half, half);
      const Region r = RegionOf(points);
      const Eigen::MatrixXd expected =
          -shrink * (points.rowwise() - r.mean.transpose()) * r.sigma.inverse();
      EXPECT_LT((solution.fitted.middleRows(side * half, half) - expected).cwiseAbs().maxCoeff(),
                1e-8)
          << "side " << side << " beta " << beta;
    }
    // Over all patterns: the same point has the full pattern priced at 2 beta.
    const PatternSet all = EnumeratePatterns(x);
    const NuclearGroupLassoProblem everything =
        SharedScoreMatchingProblem(x, all, Activation::kRelu, beta);
    std::vector<int> blocks;
    for (int k = 0; k < 2; ++k) blocks.push_back(all.Find(sides.Bits(solution.blocks[k])));
    const NuclearGroupLassoCertificate c =
        EvaluateNuclearGroupLasso(everything, blocks, solution.z);
    EXPECT_GE(c.worst_norm, 2 * beta - 1e-8);
    EXPECT_GT(c.dual_infeasibility, 0.9);
  }
}

// Without that symmetry the penalized bias rows are active and the plain regional estimator is
// off; what holds exactly is the KKT identity of each full-rank block:
// [Sigma_r W_r + I + m_r sbar_r^T ; sbar_r^T] = -(beta n / n_r) Q_r, Q_r the polar factor of Z_r,
// sbar_r the mean score on the region.
TEST(SharedND, PiecewiseRegionsSatisfyTheirKktIdentity) {
  const int n_a = 10, n_b = 14, n = n_a + n_b;
  Eigen::Matrix2d cov_a, cov_b;
  cov_a << 0.05, 0.01, 0.01, 0.03;
  cov_b << 0.04, -0.015, -0.015, 0.06;
  Eigen::MatrixXd x(n, 2);
  x.topRows(n_a) = Cluster(n_a, Eigen::Vector2d(1.2, 0.4), cov_a, 41);
  x.bottomRows(n_b) = Cluster(n_b, Eigen::Vector2d(-1.0, -0.3), cov_b, 42);
  const PatternSet sides = TwoSides(n_a, n);
  const double beta = 0.15;
  const NuclearGroupLassoProblem problem =
      SharedScoreMatchingProblem(x, sides, Activation::kRelu, beta);
  NuclearGroupLassoOptions options;
  options.gap_tolerance = 1e-12;
  const NuclearGroupLassoSolution solution = SolveNuclearGroupLasso(problem, options);
  ASSERT_EQ(solution.summary.status, SolveStatus::kOptimal) << solution.summary.message;
  for (std::size_t j = 0; j < solution.blocks.size(); ++j) {
    const int k = solution.blocks[j];
    const int first = k == 0 ? 0 : n_a, count = k == 0 ? n_a : n_b;
    const Region r = RegionOf(x.middleRows(first, count));
    const Eigen::MatrixXd& z = solution.z[j];
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(z, Eigen::ComputeThinU | Eigen::ComputeThinV);
    ASSERT_GT(svd.singularValues().minCoeff(), 1e-6);
    const Eigen::MatrixXd q = svd.matrixU() * svd.matrixV().transpose();
    const Eigen::Matrix2d w = z.topRows(2);
    const Eigen::Vector2d sbar =
        solution.fitted.middleRows(first, count).colwise().mean().transpose();
    Eigen::MatrixXd lhs(3, 2);
    lhs.topRows(2) = r.sigma * w + Eigen::Matrix2d::Identity() + r.mean * sbar.transpose();
    lhs.row(2) = sbar.transpose();
    const double scale = beta * n / count;
    EXPECT_LT((lhs + scale * q).cwiseAbs().maxCoeff(), 1e-6) << "region " << k;
    // The plain estimator is visibly off here (the mean score on the region is not zero).
    EXPECT_GT((w + (1 - scale) * r.sigma.inverse()).cwiseAbs().maxCoeff(), 1e-3);
    EXPECT_GT(sbar.norm(), 1e-3);
  }
}

TEST(SharedND, BadInputAndUnboundedBeta) {
  SharedHiddenLayerNDOptions options;
  options.beta = 0.5;
  Eigen::MatrixXd line(6, 2);
  for (int i = 0; i < 6; ++i) line.row(i) << i, 2.0 * i + 1.0;
  EXPECT_THROW(FitSharedHiddenLayerND(line, options), Error);
  const Eigen::MatrixXd x = GaussianData(8, 2, 2);
  options.beta = 0.0;
  EXPECT_THROW(FitSharedHiddenLayerND(x, options), Error);
  // A single point's pattern: a unit through that point vanishes on the data (up to c0) and adds
  // 1/n times its normal component to the trace, so beta_min >= 1/n.
  options.beta = 0.5;
  const SharedHiddenLayerNDResult fit = FitSharedHiddenLayerND(x, options);
  EXPECT_GE(fit.beta_min_lower, 1.0 / 8 - 1e-12);
  options.beta = 0.5 * fit.beta_min_lower;
  const SharedHiddenLayerNDResult unbounded = FitSharedHiddenLayerND(x, options);
  EXPECT_EQ(unbounded.summary.status, SolveStatus::kUnbounded);
  EXPECT_NE(unbounded.summary.message.find("beta_min"), std::string::npos);
}

}  // namespace
}  // namespace convexscore
