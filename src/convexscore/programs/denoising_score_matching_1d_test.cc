#include "convexscore/programs/denoising_score_matching_1d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "convexscore/data/denoising_data.h"
#include "convexscore/data/generators.h"
#include "convexscore/model/network1d.h"
#include "convexscore/solvers/lasso.h"

namespace convexscore {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

// Noisy copies of mixture data; with `ties`, some noisy inputs are repeated exactly (with
// their own targets), at the ends and inside.
DenoisingData1D MakeData(int n, double sigma, bool ties, std::uint64_t seed) {
  DenoisingData1D data = MakeDenoisingData1D(Generate1D("mixture", n, seed), sigma, 2, seed);
  if (ties) {
    std::vector<double> sorted = data.inputs;
    std::sort(sorted.begin(), sorted.end());
    const double repeated[] = {sorted.front(), sorted[sorted.size() / 2], sorted.back(),
                               sorted.back()};
    for (int r = 0; r < 4; ++r) {
      data.inputs.push_back(repeated[r]);
      data.targets.push_back(-data.targets[static_cast<std::size_t>(r)]);
    }
  }
  return data;
}

// The whole dictionary written out, independently of the program: for relu the ramps
// (x - k)_+ and (k - x)_+, for abs |x - k|, with kinks at every entry of `kinks`, evaluated
// at every input (ties included).
MatrixXd ExplicitDictionary(const std::vector<double>& inputs, const std::vector<double>& kinks,
                            Activation activation) {
  const int per_kink = activation == Activation::kRelu ? 2 : 1;
  MatrixXd a(inputs.size(), per_kink * kinks.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    for (std::size_t k = 0; k < kinks.size(); ++k) {
      const double d = inputs[i] - kinks[k];
      if (activation == Activation::kRelu) {
        a(i, 2 * k) = std::max(d, 0.0);
        a(i, 2 * k + 1) = std::max(-d, 0.0);
      } else {
        a(i, k) = std::abs(d);
      }
    }
  }
  return a;
}

// P = I - X1 (X1^T X1)^{-1} X1^T with X1 = [1] or [1, x].
MatrixXd FreeTermProjection(const std::vector<double>& inputs, bool skip) {
  const int n = static_cast<int>(inputs.size());
  MatrixXd x1(n, skip ? 2 : 1);
  for (int i = 0; i < n; ++i) {
    x1(i, 0) = 1.0;
    if (skip) x1(i, 1) = inputs[i];
  }
  return MatrixXd::Identity(n, n) - x1 * (x1.transpose() * x1).ldlt().solve(x1.transpose());
}

VectorXd AsVector(const std::vector<double>& v) {
  return Eigen::Map<const VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

// The optimum over an explicit dictionary of kinks: the mean-form loss minimised over the free
// terms is 1/(2N) ||P (A y - t)||^2, a dense Lasso after scaling by 1/sqrt(N).
double ExplicitOptimum(const DenoisingData1D& data, const std::vector<double>& kinks,
                       Activation activation, bool skip, double beta) {
  const double n = static_cast<double>(data.inputs.size());
  const MatrixXd p = FreeTermProjection(data.inputs, skip);
  const MatrixXd a = p * ExplicitDictionary(data.inputs, kinks, activation) / std::sqrt(n);
  const VectorXd b = p * AsVector(data.targets) / std::sqrt(n);
  const LassoResult result = SolveLasso(DenseLassoOperator(a), b, {.beta = beta});
  EXPECT_EQ(result.summary.status, SolveStatus::kOptimal) << result.summary.message;
  return result.summary.objective;
}

double ExplicitBetaMax(const DenoisingData1D& data, Activation activation, bool skip) {
  const MatrixXd p = FreeTermProjection(data.inputs, skip);
  const MatrixXd a = ExplicitDictionary(data.inputs, data.inputs, activation);
  return (a.transpose() * (p * AsVector(data.targets))).lpNorm<Eigen::Infinity>() /
         static_cast<double>(data.inputs.size());
}

struct SweepCase {
  Activation activation;
  bool skip;
  bool ties;
  double sigma;
  std::string name;
};

std::vector<SweepCase> SweepCases() {
  std::vector<SweepCase> cases;
  for (Activation activation : {Activation::kRelu, Activation::kAbs}) {
    for (bool skip : {false, true}) {
      for (bool ties : {false, true}) {
        for (double sigma : {0.5, 0.05}) {
          cases.push_back({activation, skip, ties, sigma,
                           std::string(ActivationName(activation)) + (skip ? "_skip" : "_noskip") +
                               (ties ? "_ties" : "_distinct") +
                               (sigma > 0.1 ? "_sigma0p5" : "_sigma0p05")});
        }
      }
    }
  }
  return cases;
}

class DSM1DSweepTest : public ::testing::TestWithParam<SweepCase> {
 protected:
  DenoisingScoreMatching1DOptions Options(double beta) const {
    return {.activation = GetParam().activation, .skip = GetParam().skip, .beta = beta};
  }
};

TEST_P(DSM1DSweepTest, BetaMaxEqualsLargestCorrelationOverTheWrittenOutDictionary) {
  const DenoisingData1D data = MakeData(15, GetParam().sigma, GetParam().ties, 3);
  const double expected = ExplicitBetaMax(data, GetParam().activation, GetParam().skip);
  EXPECT_NEAR(DenoisingScoreMatching1DBetaMax(data.inputs, data.targets, GetParam().activation,
                                              GetParam().skip),
              expected, 1e-12 * expected);
}

TEST_P(DSM1DSweepTest, OptimumEqualsTheWrittenOutDictionaryAndDenserKinksDoNotHelp) {
  const DenoisingData1D data = MakeData(12, GetParam().sigma, GetParam().ties, 4);
  // Kinks at the inputs, plus every midpoint and two points outside the data.
  std::vector<double> denser = data.inputs, sorted = data.inputs;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i + 1 < sorted.size(); ++i) {
    denser.push_back(0.5 * (sorted[i] + sorted[i + 1]));
  }
  denser.push_back(sorted.front() - 1.0);
  denser.push_back(sorted.back() + 1.0);
  const double beta_max = DenoisingScoreMatching1DBetaMax(data.inputs, data.targets,
                                                          GetParam().activation, GetParam().skip);
  for (double fraction : {0.003, 0.05, 0.4}) {
    const double beta = fraction * beta_max;
    SCOPED_TRACE("beta = " + std::to_string(beta));
    const DenoisingScoreMatching1DResult fit =
        FitDenoisingScoreMatching1D(data, Options(beta));
    ASSERT_EQ(fit.summary.status, SolveStatus::kOptimal) << fit.summary.message;
    const double at_inputs =
        ExplicitOptimum(data, data.inputs, GetParam().activation, GetParam().skip, beta);
    EXPECT_NEAR(fit.summary.objective, at_inputs, 1e-9 * std::max(1.0, std::abs(at_inputs)));
    const double with_denser =
        ExplicitOptimum(data, denser, GetParam().activation, GetParam().skip, beta);
    EXPECT_GE(with_denser, fit.summary.objective - 1e-9 * std::max(1.0, std::abs(at_inputs)));
  }
}

TEST_P(DSM1DSweepTest, ReconstructedNetworkAttainsConvexObjectiveWithKinksAtInputs) {
  const DenoisingData1D data = MakeData(60, GetParam().sigma, GetParam().ties, 5);
  const double beta_max = DenoisingScoreMatching1DBetaMax(data.inputs, data.targets,
                                                          GetParam().activation, GetParam().skip);
  std::vector<double> sorted = data.inputs;
  std::sort(sorted.begin(), sorted.end());
  // Smallest beta 1e-3 beta_max: see KnownLimitation below for 1e-4.
  for (double fraction : {1e-3, 1e-2, 0.1, 0.5, 0.95}) {
    const double beta = fraction * beta_max;
    SCOPED_TRACE("beta = " + std::to_string(beta));
    const DenoisingScoreMatching1DResult fit =
        FitDenoisingScoreMatching1D(data, Options(beta));
    const SolveSummary& s = fit.summary;
    ASSERT_EQ(s.status, SolveStatus::kOptimal) << s.message;
    EXPECT_LE(std::abs(s.relative_gap), 1e-9);
    EXPECT_NEAR(s.duality_gap, s.objective - s.dual_objective, 1e-14 * std::abs(s.objective));
    EXPECT_LE(s.dual_objective, s.objective + 1e-12 * std::abs(s.objective));
    EXPECT_LE(s.kkt_residual, 1e-8);
    const double network_objective =
        DenoisingScoreMatchingObjective(fit.network, data.inputs, data.targets, beta);
    EXPECT_NEAR(network_objective, s.objective, 1e-9 * std::abs(s.objective));
    EXPECT_GT(fit.active_neurons, 0);
    EXPECT_EQ(fit.active_neurons, static_cast<int>(fit.network.neurons.size()));
    // The score is piecewise linear with kinks only at noisy inputs.
    for (double kink : fit.network.Kinks()) {
      const auto nearest = std::lower_bound(sorted.begin(), sorted.end(), kink - 1e-12);
      ASSERT_NE(nearest, sorted.end()) << kink;
      EXPECT_NEAR(*nearest, kink, 1e-12 * std::max(1.0, std::abs(kink)));
    }
    const PiecewiseLinear1D pieces = ToPiecewiseLinear(fit.network);
    for (double x : data.inputs) {
      EXPECT_NEAR(pieces(x), fit.network.Score(x), 1e-9 * std::max(1.0, std::abs(pieces(x))));
    }
  }
}

TEST_P(DSM1DSweepTest, AtAndAboveBetaMaxTheZeroNetwork) {
  const DenoisingData1D data = MakeData(20, GetParam().sigma, GetParam().ties, 6);
  const double beta_max = DenoisingScoreMatching1DBetaMax(data.inputs, data.targets,
                                                          GetParam().activation, GetParam().skip);
  // Free terms alone: the mean target, or the least-squares line on [1, x] with the skip term.
  const double n = static_cast<double>(data.inputs.size());
  double mean_x = 0.0, mean_t = 0.0;
  for (std::size_t i = 0; i < data.inputs.size(); ++i) {
    mean_x += data.inputs[i] / n;
    mean_t += data.targets[i] / n;
  }
  double sxx = 0.0, sxt = 0.0;
  for (std::size_t i = 0; i < data.inputs.size(); ++i) {
    sxx += (data.inputs[i] - mean_x) * (data.inputs[i] - mean_x);
    sxt += (data.inputs[i] - mean_x) * (data.targets[i] - mean_t);
  }
  const double slope = GetParam().skip ? sxt / sxx : 0.0;
  for (double factor : {1.0, 2.0}) {
    const DenoisingScoreMatching1DResult fit =
        FitDenoisingScoreMatching1D(data, Options(factor * beta_max));
    ASSERT_EQ(fit.summary.status, SolveStatus::kOptimal) << fit.summary.message;
    EXPECT_EQ(fit.active_neurons, 0);
    EXPECT_NEAR(fit.network.skip, slope, 1e-12 * std::max(1.0, std::abs(slope)));
    EXPECT_NEAR(fit.network.output_bias, mean_t - slope * mean_x,
                1e-10 * std::max(1.0, std::abs(mean_t)));
  }
  const DenoisingScoreMatching1DResult below =
      FitDenoisingScoreMatching1D(data, Options(0.98 * beta_max));
  EXPECT_GT(below.active_neurons, 0);
}

TEST_P(DSM1DSweepTest, WarmStartAlongABetaPathReachesTheColdOptimum) {
  const DenoisingData1D data = MakeData(40, GetParam().sigma, GetParam().ties, 7);
  const double beta_max = DenoisingScoreMatching1DBetaMax(data.inputs, data.targets,
                                                          GetParam().activation, GetParam().skip);
  DenoisingScoreMatching1DResult previous = FitDenoisingScoreMatching1D(data, Options(0.5 * beta_max));
  for (double fraction : {0.1, 0.01, 0.001}) {
    const DenoisingScoreMatching1DResult warm =
        FitDenoisingScoreMatching1D(data, Options(fraction * beta_max), &previous);
    const DenoisingScoreMatching1DResult cold =
        FitDenoisingScoreMatching1D(data, Options(fraction * beta_max));
    ASSERT_EQ(warm.summary.status, SolveStatus::kOptimal) << warm.summary.message;
    EXPECT_NEAR(warm.summary.objective, cold.summary.objective,
                1e-9 * std::abs(cold.summary.objective));
    previous = warm;
  }
}

// Known limitation: at beta = 1e-4 beta_max the support has ~100 ramps with nearby kinks, the
// Gram matrix of the working set is badly conditioned, and refinement with it stalls; for ReLU
// without skip the relative gap can then end near 1e-9 to 1e-8 instead of below 1e-9. The
// value is still right to far better than the reference tolerance, and the status says so.
TEST_P(DSM1DSweepTest, KnownLimitationAtTinyBetaStillCloseAndHonest) {
  const DenoisingData1D data = MakeData(60, GetParam().sigma, GetParam().ties, 5);
  const double beta = 1e-4 * DenoisingScoreMatching1DBetaMax(
                                 data.inputs, data.targets, GetParam().activation, GetParam().skip);
  const DenoisingScoreMatching1DResult fit = FitDenoisingScoreMatching1D(data, Options(beta));
  const SolveSummary& s = fit.summary;
  EXPECT_LE(std::abs(s.relative_gap), 1e-7);
  EXPECT_EQ(s.status == SolveStatus::kOptimal, std::abs(s.relative_gap) <= 1e-9);
  EXPECT_NEAR(DenoisingScoreMatchingObjective(fit.network, data.inputs, data.targets, beta),
              s.objective, 1e-9 * std::abs(s.objective));
}

INSTANTIATE_TEST_SUITE_P(RandomData, DSM1DSweepTest, ::testing::ValuesIn(SweepCases()),
                         [](const ::testing::TestParamInfo<SweepCase>& info) {
                           return info.param.name;
                         });

TEST(DSM1DTest, AbsWithSkipAtBetaIsReluWithSkipAtHalfBeta) {
  // |x - k| = 2 (x - k)_+ - (x - k), and the line is absorbed by the free terms.
  const DenoisingData1D data = MakeData(30, 0.2, true, 9);
  const double relu_max =
      DenoisingScoreMatching1DBetaMax(data.inputs, data.targets, Activation::kRelu, true);
  const double abs_max =
      DenoisingScoreMatching1DBetaMax(data.inputs, data.targets, Activation::kAbs, true);
  EXPECT_NEAR(abs_max, 2.0 * relu_max, 1e-12 * abs_max);
  for (double beta : {0.01 * abs_max, 0.3 * abs_max}) {
    const auto abs = FitDenoisingScoreMatching1D(
        data, {.activation = Activation::kAbs, .skip = true, .beta = beta});
    const auto relu = FitDenoisingScoreMatching1D(
        data, {.activation = Activation::kRelu, .skip = true, .beta = beta / 2});
    EXPECT_NEAR(abs.summary.objective, relu.summary.objective,
                1e-9 * std::abs(relu.summary.objective));
    for (double x : data.inputs) {
      EXPECT_NEAR(abs.network.Score(x), relu.network.Score(x),
                  1e-7 * std::max(1.0, std::abs(relu.network.Score(x))));
    }
  }
}

TEST(DSM1DTest, AllInputsEqualGivesTheMeanTarget) {
  const std::vector<double> inputs(5, 0.3), targets = {1, 2, 3, 4, 5};
  const auto fit = FitDenoisingScoreMatching1D(inputs, targets, {.beta = 0.1});
  EXPECT_EQ(fit.summary.status, SolveStatus::kOptimal);
  EXPECT_EQ(fit.active_neurons, 0);
  EXPECT_DOUBLE_EQ(fit.network.output_bias, 3.0);
  EXPECT_DOUBLE_EQ(fit.summary.objective, 1.0);  // (1/2) mean (t - 3)^2 = (1/2)(10/5)
}

TEST(DSM1DTest, RejectsBadInput) {
  const std::vector<double> inputs = {0.0, 1.0, 2.0}, targets = {1.0, 0.0, -1.0};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(FitDenoisingScoreMatching1D(inputs, targets, {.beta = 0.0}), Error);
  EXPECT_THROW(FitDenoisingScoreMatching1D(inputs, targets, {.beta = nan}), Error);
  EXPECT_THROW(FitDenoisingScoreMatching1D(inputs, std::vector<double>{1.0}, {.beta = 1.0}),
               Error);
  EXPECT_THROW(FitDenoisingScoreMatching1D(std::vector<double>{}, std::vector<double>{},
                                           {.beta = 1.0}),
               Error);
  EXPECT_THROW(FitDenoisingScoreMatching1D(std::vector<double>{0.0, nan, 1.0}, targets,
                                           {.beta = 1.0}),
               Error);
  EXPECT_THROW(FitDenoisingScoreMatching1D(std::vector<double>{1.0, 1.0}, std::vector<double>{1, 2},
                                           {.skip = true, .beta = 1.0}),
               Error);
  const auto other = FitDenoisingScoreMatching1D(inputs, targets, {.beta = 0.1});
  const std::vector<double> more_inputs = {0.0, 1.0, 2.0, 3.0, 4.0},
                            more_targets = {1, 0, -1, 0, 1};
  EXPECT_THROW(FitDenoisingScoreMatching1D(more_inputs, more_targets, {.beta = 0.1}, &other),
               Error);
}

}  // namespace
}  // namespace convexscore
