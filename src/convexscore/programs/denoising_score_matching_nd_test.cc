// Multivariate DSM, architecture (a). Certificates checked here: the rebuilt network's own DSM
// objective equals the convex value; in d = 1 the value equals the independent univariate
// Lasso program (programs/denoising_score_matching_1d.h); a beta large enough gives the constant
// mean-target network (closed form); sampled patterns (a subset) never beat exact ones; a warm
// beta path gives the cold values. The reference values are in the *_reference_test.cc files.
#include "convexscore/programs/denoising_score_matching_nd.h"

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/data/denoising_data.h"
#include "convexscore/data/distribution_spec.h"
#include "convexscore/data/generators.h"
#include "convexscore/programs/denoising_score_matching_1d.h"

namespace convexscore {
namespace {

using ::testing::HasSubstr;

Eigen::MatrixXd CleanPoints(int n, int d, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd x(n, d);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) x(i, j) = normal(rng) + (i % 2 == 0 ? 1.5 : -1.0) * (j == 0);
  return x;
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

double Relative(double a, double b) { return std::abs(a - b) / std::max(1.0, std::abs(b)); }

// Status and the two certificates of a fit reported optimal.
void ExpectCertified(const DenoisingScoreMatchingNDResult& r) {
  ASSERT_EQ(StatusName(r.summary.status), "optimal") << r.summary.message;
  EXPECT_LE(std::abs(r.summary.relative_gap), 1e-9);
  EXPECT_LE(Relative(r.network_objective, r.summary.objective), 1e-8);
  for (const ConeGroupLassoSolution& c : r.coordinates) {
    EXPECT_LE(c.certificate.primal_infeasibility, 1e-9);
    EXPECT_LE(c.certificate.dual_infeasibility, 1e-9);
  }
}

// The contract whatever the solver achieves: a fit reported optimal carries both certificates;
// any other fit says why it is not certified.
void ExpectHonest(const DenoisingScoreMatchingNDResult& r) {
  if (r.summary.status == SolveStatus::kOptimal) {
    ExpectCertified(r);
  } else {
    EXPECT_THAT(r.summary.message, ::testing::AnyOf(HasSubstr("not certified"), HasSubstr("differs")));
  }
}

class DsmNDActivation : public ::testing::TestWithParam<Activation> {};

TEST_P(DsmNDActivation, RebuiltNetworkAttainsTheConvexValueIn2D) {
  const DenoisingDataND data = MakeDenoisingDataND(CleanPoints(5, 2, 3), 0.5, 2, 7);
  DenoisingScoreMatchingNDOptions options;
  options.activation = GetParam();
  options.beta = 0.2;
  const DenoisingScoreMatchingNDResult r = FitDenoisingScoreMatchingND(data, options);
  EXPECT_EQ(r.patterns, 10 * 9 + 2);
  EXPECT_EQ(r.pattern_method, PatternMethod::kExact);
  ExpectCertified(r);
  EXPECT_GT(r.active_neurons, 0);
  EXPECT_EQ(r.network.dimension(), 2);
  // The objective is at most that of the best constant (the zero network plus free bias).
  const Eigen::RowVectorXd mean = data.targets.colwise().mean();
  const double constant = 0.5 * (data.targets.rowwise() - mean).squaredNorm() / data.targets.rows();
  EXPECT_LE(r.summary.objective, constant + 1e-12);
}

// In d = 1 the per-coordinate program over the patterns of the line is the univariate DSM
// Lasso, solved by a different method: the optimal values agree.
TEST_P(DsmNDActivation, OneDimensionalCaseEqualsTheUnivariateLasso) {
  const DenoisingDataND data = MakeDenoisingDataND(CleanPoints(6, 1, 5), 0.3, 3, 11);
  DenoisingScoreMatchingNDOptions options;
  options.activation = GetParam();
  options.beta = 0.05;
  const DenoisingScoreMatchingNDResult r = FitDenoisingScoreMatchingND(data, options);
  ExpectCertified(r);
  DenoisingScoreMatching1DOptions one;
  one.activation = GetParam();
  one.beta = options.beta;
  const std::vector<double> inputs(data.inputs.data(), data.inputs.data() + data.inputs.size());
  const std::vector<double> targets(data.targets.data(),
                                    data.targets.data() + data.targets.size());
  const DenoisingScoreMatching1DResult lasso = FitDenoisingScoreMatching1D(inputs, targets, one);
  ASSERT_EQ(StatusName(lasso.summary.status), "optimal");
  EXPECT_NEAR(r.summary.objective, lasso.summary.objective,
              1e-7 * std::max(1.0, std::abs(lasso.summary.objective)));
}

// Above beta_max every neuron vanishes: the fit is the constant mean target (closed form).
TEST_P(DsmNDActivation, LargeBetaGivesTheMeanTarget) {
  const DenoisingDataND data = MakeDenoisingDataND(CleanPoints(4, 2, 9), 0.5, 2, 1);
  DenoisingScoreMatchingNDOptions options;
  options.activation = GetParam();
  options.beta = 1e4;
  const DenoisingScoreMatchingNDResult r = FitDenoisingScoreMatchingND(data, options);
  ExpectCertified(r);
  EXPECT_EQ(r.active_neurons, 0);
  const Eigen::VectorXd mean = data.targets.colwise().mean().transpose();
  const double constant =
      0.5 * (data.targets.rowwise() - mean.transpose()).squaredNorm() / data.targets.rows();
  EXPECT_NEAR(r.summary.objective, constant, 1e-10 * std::max(1.0, constant));
  const Eigen::VectorXd at_origin = r.network.Score(Eigen::VectorXd::Zero(2));
  EXPECT_LE((at_origin - mean).norm(), 1e-8 * std::max(1.0, mean.norm()));
}

INSTANTIATE_TEST_SUITE_P(Activations, DsmNDActivation,
                         ::testing::Values(Activation::kRelu, Activation::kAbs),
                         [](const auto& info) { return std::string(ActivationName(info.param)); });

TEST(DsmND, WarmBetaPathGivesTheColdValues) {
  const DenoisingDataND data = MakeDenoisingDataND(CleanPoints(4, 2, 13), 0.4, 2, 3);
  DenoisingScoreMatchingNDOptions options;
  const std::vector<double> betas = {2.0, 1.0, 0.5};
  const std::vector<DenoisingScoreMatchingNDResult> path =
      FitDenoisingScoreMatchingNDPath(data, betas, options);
  ASSERT_EQ(path.size(), 3u);
  for (std::size_t i = 0; i < betas.size(); ++i) {
    SCOPED_TRACE("beta " + std::to_string(betas[i]));
    ExpectCertified(path[i]);
    options.beta = betas[i];
    const DenoisingScoreMatchingNDResult cold = FitDenoisingScoreMatchingND(data, options);
    ExpectCertified(cold);
    EXPECT_NEAR(path[i].summary.objective, cold.summary.objective,
                1e-8 * std::max(1.0, std::abs(cold.summary.objective)));
    if (i > 0) EXPECT_LT(path[i].summary.objective, path[i - 1].summary.objective);
  }
}

// Sampled patterns are a subset of the exact ones, so their optimum is no lower; the result
// says how the patterns were made.
TEST(DsmND, SampledPatternsAreReportedAndNeverBeatExactOnes) {
  const DenoisingDataND data = MakeDenoisingDataND(CleanPoints(4, 2, 17), 0.5, 2, 5);
  DenoisingScoreMatchingNDOptions options;
  options.beta = 0.1;
  const DenoisingScoreMatchingNDResult exact = FitDenoisingScoreMatchingND(data, options);
  ExpectCertified(exact);
  options.sample_patterns = true;
  options.sampled_directions = 20;
  options.pattern_seed = 42;
  const DenoisingScoreMatchingNDResult sampled = FitDenoisingScoreMatchingND(data, options);
  EXPECT_EQ(sampled.pattern_method, PatternMethod::kSampled);
  EXPECT_EQ(sampled.pattern_seed, 42u);
  EXPECT_EQ(sampled.sampled_directions, 20);
  EXPECT_LE(sampled.patterns, exact.patterns);
  ExpectCertified(sampled);  // certified over its own (sampled) dictionary
  EXPECT_GE(sampled.summary.objective, exact.summary.objective - 1e-9);
}

// d = 4 has no exact enumeration: patterns are sampled, reproducibly from the seed.
TEST(DsmND, FourDimensionsSamplePatternsReproducibly) {
  const DenoisingDataND data = MakeDenoisingDataND(CleanPoints(5, 4, 19), 0.5, 1, 2);
  DenoisingScoreMatchingNDOptions options;
  options.beta = 0.3;
  options.sampled_directions = 30;
  options.pattern_seed = 8;
  const DenoisingScoreMatchingNDResult a = FitDenoisingScoreMatchingND(data, options);
  const DenoisingScoreMatchingNDResult b = FitDenoisingScoreMatchingND(data, options);
  EXPECT_EQ(a.pattern_method, PatternMethod::kSampled);
  EXPECT_EQ(a.pattern_seed, 8u);
  EXPECT_EQ(a.patterns, b.patterns);
  EXPECT_EQ(a.summary.objective, b.summary.objective);
  ExpectCertified(a);
  EXPECT_EQ(a.network.dimension(), 4);
}

// The coordinates are solved on separate threads; each is the same computation on any thread,
// so the model is identical (not merely close) for 1, 2 and 4 threads.
TEST(DsmND, CoordinatesOnSeveralThreadsGiveTheSameModel) {
  const DenoisingDataND data = MakeDenoisingDataND(CleanPoints(5, 4, 23), 0.5, 1, 4);
  DenoisingScoreMatchingNDOptions options;
  options.beta = 0.2;
  options.sampled_directions = 30;
  options.threads = 1;
  const DenoisingScoreMatchingNDResult one = FitDenoisingScoreMatchingND(data, options);
  ExpectCertified(one);
  ASSERT_EQ(one.coordinates.size(), 4u);
  for (int threads : {2, 4}) {
    options.threads = threads;
    const DenoisingScoreMatchingNDResult many = FitDenoisingScoreMatchingND(data, options);
    EXPECT_EQ(many.summary.objective, one.summary.objective) << threads << " threads";
    EXPECT_EQ(many.summary.duality_gap, one.summary.duality_gap) << threads << " threads";
    ASSERT_EQ(many.coordinates.size(), one.coordinates.size());
    for (std::size_t c = 0; c < one.coordinates.size(); ++c) {
      EXPECT_TRUE(many.coordinates[c].positive == one.coordinates[c].positive) << "coordinate " << c;
      EXPECT_TRUE(many.coordinates[c].negative == one.coordinates[c].negative) << "coordinate " << c;
    }
  }
}

// The levels' plumbing: sigma, seed noise_seed + l, the level's own noisy data. (Whether the
// current solver certifies these levels varies; a fit that is not certified must say so.)
TEST(DsmNDLevels, OneFitPerSigmaWithItsOwnNoise) {
  const Eigen::MatrixXd x = CleanPoints(4, 2, 23);
  DenoisingScoreMatchingNDOptions options;
  options.beta = 0.5;
  const std::vector<double> sigmas = {1.0, 0.5};
  const std::vector<DenoisingLevelND> levels = FitDenoisingLevelsND(x, sigmas, 2, 100, options);
  ASSERT_EQ(levels.size(), 2u);
  for (std::size_t l = 0; l < levels.size(); ++l) {
    EXPECT_EQ(levels[l].sigma, sigmas[l]);
    EXPECT_EQ(levels[l].noise_seed, 100 + l);
    ExpectHonest(levels[l].result);
    // The level's data are those of MakeDenoisingDataND with its seed.
    const DenoisingDataND noisy = MakeDenoisingDataND(x, sigmas[l], 2, 100 + l);
    EXPECT_EQ(levels[l].result.coordinates.front().fitted.size(), noisy.inputs.rows());
    EXPECT_NEAR(DenoisingScoreMatchingObjective(levels[l].result.network, noisy.inputs,
                                                noisy.targets, options.beta),
                levels[l].result.network_objective,
                1e-12 * std::max(1.0, levels[l].result.network_objective));
  }
}

// The levels' coordinates are tasks on one pool, the smallest sigma's first; each task is the
// same computation on any thread, so every level is identical for 1, 2 and 3 threads, and the
// same as a fit of that level alone.
TEST(DsmNDLevels, LevelsOnSeveralThreadsGiveTheSameModels) {
  const Eigen::MatrixXd x = CleanPoints(6, 2, 29);
  DenoisingScoreMatchingNDOptions options;
  options.beta = 0.3;
  const std::vector<double> sigmas = {0.8, 0.4, 0.2};
  options.threads = 1;
  const std::vector<DenoisingLevelND> one = FitDenoisingLevelsND(x, sigmas, 2, 7, options);
  ASSERT_EQ(one.size(), sigmas.size());
  for (int threads : {2, 3}) {
    options.threads = threads;
    const std::vector<DenoisingLevelND> many = FitDenoisingLevelsND(x, sigmas, 2, 7, options);
    ASSERT_EQ(many.size(), one.size());
    for (std::size_t l = 0; l < one.size(); ++l) {
      EXPECT_EQ(many[l].result.summary.objective, one[l].result.summary.objective) << l;
      EXPECT_EQ(many[l].result.network_objective, one[l].result.network_objective) << l;
      EXPECT_TRUE(many[l].result.network.w == one[l].result.network.w) << l;
      EXPECT_TRUE(many[l].result.network.a == one[l].result.network.a) << l;
    }
  }
  const DenoisingScoreMatchingNDResult alone =
      FitDenoisingScoreMatchingND(MakeDenoisingDataND(x, sigmas[1], 2, 8), options);
  EXPECT_EQ(alone.summary.objective, one[1].result.summary.objective);
  EXPECT_EQ(alone.network_objective, one[1].result.network_objective);
  EXPECT_EQ(StatusName(alone.summary.status), StatusName(one[1].result.summary.status));
}

// The 10-point spiral of the benchmark (BM_SpiralFiveLevels) at sigma 0.5: the planar path's
// atom solve stopped on rounding above its tolerance, and while the tolerance was kept after
// such a stop (not only after a round that ran out of budget) every round repeated it and the
// fit ended at the iteration limit with a relative gap of 2.9e-6.
TEST(DsmNDLevels, TenPointSpiralIsCertifiedAtTheLargestSigma) {
  const Eigen::MatrixXd x = GenerateFromSpec(ParseDistributionSpec("spiral:10"), 10, 1);
  DenoisingScoreMatchingNDOptions options;
  options.beta = 0.1;
  const std::vector<double> sigmas = {0.5};
  const std::vector<DenoisingLevelND> levels = FitDenoisingLevelsND(x, sigmas, 5, 1, options);
  ASSERT_EQ(levels.size(), 1u);
  const DenoisingScoreMatchingNDResult& result = levels[0].result;
  EXPECT_EQ(StatusName(result.summary.status), "optimal") << result.summary.message;
  EXPECT_LE(std::abs(result.summary.relative_gap), 1e-9);
  EXPECT_NEAR(result.network_objective, result.summary.objective, 1e-8 * result.summary.objective);
}

TEST(DsmNDLevels, RejectsBadInputBeforeSolving) {
  const Eigen::MatrixXd x = CleanPoints(4, 2, 29);
  DenoisingScoreMatchingNDOptions options;
  const std::vector<double> good = {0.5, 0.1};
  EXPECT_THAT(ErrorOf([&] { FitDenoisingLevelsND(x, std::vector<double>{0.5, 0.0}, 2, 1, options); }),
              HasSubstr("sigma 0 is not positive"));
  EXPECT_THAT(ErrorOf([&] { FitDenoisingLevelsND(x, std::vector<double>{-1.0}, 2, 1, options); }),
              HasSubstr("is not positive"));
  EXPECT_THAT(ErrorOf([&] { FitDenoisingLevelsND(x, good, 0, 1, options); }),
              HasSubstr("copies must be at least 1"));
  EXPECT_THAT(ErrorOf([&] { FitDenoisingLevelsND(x.topRows(2), good, 5, 1, options); }),
              HasSubstr("too few points for dimension 2: 2, need at least 3"));
  options.beta = 0.0;
  EXPECT_THAT(ErrorOf([&] { FitDenoisingLevelsND(x, good, 2, 1, options); }),
              HasSubstr("beta must be positive"));
}

// The budget is checked from the counts alone: 3000 points x 100 copies in 3-D would need
// about 4.5e15 patterns, refused at once (an attempt would exhaust memory).
TEST(DsmNDLevels, RefusesAPatternBudgetOverTheLimitBeforeAllocating) {
  const Eigen::MatrixXd x = CleanPoints(3000, 3, 31);
  DenoisingScoreMatchingNDOptions options;
  const PatternBudget budget = DenoisingPatternBudget(300000, 3, options);
  EXPECT_TRUE(budget.exact);
  EXPECT_EQ(budget.patterns, GeneralPositionPatternCount(300000, 3));
  EXPECT_GT(budget.bytes, options.memory_budget_bytes);
  const std::string message =
      ErrorOf([&] { FitDenoisingLevelsND(x, std::vector<double>{0.1}, 100, 1, options); });
  EXPECT_THAT(message, HasSubstr("pattern budget exceeded"));
  EXPECT_THAT(message, HasSubstr("would need about"));
  EXPECT_THAT(message, HasSubstr("GiB"));
  // A small problem under a tiny limit is refused the same way, with the sizes named.
  options.memory_budget_bytes = 1000;
  EXPECT_THAT(ErrorOf([&] { FitDenoisingLevelsND(x.topRows(5), std::vector<double>{0.1}, 2, 1,
                                                 options); }),
              HasSubstr("of 10 noisy inputs in dimension 3"));
}

TEST(DsmND, RejectsInconsistentData) {
  DenoisingDataND data = MakeDenoisingDataND(CleanPoints(4, 2, 37), 0.5, 1, 1);
  DenoisingScoreMatchingNDOptions options;
  DenoisingDataND bad = data;
  bad.targets = data.targets.leftCols(1);
  EXPECT_THAT(ErrorOf([&] { FitDenoisingScoreMatchingND(bad, options); }),
              HasSubstr("the targets are 4 x 1"));
  bad = data;
  bad.inputs(0, 0) = NAN;
  EXPECT_THAT(ErrorOf([&] { FitDenoisingScoreMatchingND(bad, options); }),
              HasSubstr("non-finite"));
  bad = data;
  bad.inputs = data.inputs.topRows(2);
  bad.targets = data.targets.topRows(2);
  EXPECT_THAT(ErrorOf([&] { FitDenoisingScoreMatchingND(bad, options); }),
              HasSubstr("too few noisy inputs for dimension 2"));
}

}  // namespace
}  // namespace convexscore
