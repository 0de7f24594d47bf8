// Every case of tests/data/reference/dsm1d.json: optimal values of univariate denoising score
// matching computed by an independent generic solver (CVXOPT interior-point QP over the
// explicit dictionary of kinks at the noisy inputs; generator
// tests/data/reference/make_dsm1d_reference.py). The file holds the noisy inputs and targets
// it used.
//
// Tolerances. The reference rounds optimal_value and beta_max to 10 decimals (5e-11):
//   optimal value:  |ours - ref| <= max(1e-6 |ref|, 1e-9)
//   beta_max:       |ours - ref| <= 1e-9
// Active neurons. The reference counts the coefficients above 1e-11 of an interior-point
// solution. Where the optimum is not unique (relu: a right and a left ramp at one kink differ
// by a line; abs without skip: the columns at the two ends are the same line) an interior point
// lies inside the optimal face and has the largest support of all optima; and the columns that
// the free terms absorb entirely (lines) keep small nonzero values in an interior point. So the
// test asks for at most as many neurons, and for none at or above beta_max.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "convexscore/common.h"
#include "convexscore/model/network1d.h"
#include "convexscore/programs/denoising_score_matching_1d.h"

namespace convexscore {
namespace {

constexpr double kValueRelTol = 1e-6;
constexpr double kAbsTol = 1e-9;

std::string ReferencePath() {
  return std::string(CONVEXSCORE_TEST_DATA_DIR) + "/reference/dsm1d.json";
}

struct ReferenceCase {
  std::vector<double> inputs, targets;
  Activation activation = Activation::kRelu;
  bool skip = false;
  double beta = 0.0;
  double optimal_value = 0.0;
  double beta_max = 0.0;
  int active_neurons = 0;
  std::string name;  // e.g. mix15_sigma0p5_relu_skip_beta0p001
};

void PrintTo(const ReferenceCase& c, std::ostream* os) { *os << c.name; }

std::string Identifier(const std::string& text) {
  std::string out = text;
  std::replace(out.begin(), out.end(), '.', 'p');
  return out;
}

// An unreadable or malformed file gives no cases (and the count test fails).
std::vector<ReferenceCase> LoadCases() {
  std::ifstream in(ReferencePath());
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  std::vector<ReferenceCase> cases;
  if (doc.is_discarded()) return cases;
  for (const auto& c : doc.at("cases")) {
    ReferenceCase rc;
    const std::string data_name = c.at("data").get<std::string>();
    const auto& data = doc.at("data").at(data_name);
    rc.inputs = data.at("x_noisy").get<std::vector<double>>();
    rc.targets = data.at("target").get<std::vector<double>>();
    rc.activation = ParseActivation(c.at("activation").get<std::string>());
    rc.skip = c.at("skip").get<bool>();
    rc.beta = c.at("beta").get<double>();
    rc.optimal_value = c.at("optimal_value").get<double>();
    rc.beta_max = c.at("beta_max").get<double>();
    rc.active_neurons = c.at("active_neurons").get<int>();
    std::ostringstream beta;
    beta << rc.beta;
    rc.name = Identifier(data_name + "_" + c.at("activation").get<std::string>() +
                         (rc.skip ? "_skip" : "_noskip") + "_beta" + beta.str());
    cases.push_back(std::move(rc));
  }
  return cases;
}

const std::vector<ReferenceCase>& Cases() {
  static const std::vector<ReferenceCase> cases = LoadCases();
  return cases;
}

// 2 data sets x 2 activations x 2 skip x 5 betas; none when the file cannot be read.
TEST(DSM1DReferenceFile, HoldsFortyCases) { EXPECT_EQ(Cases().size(), 40u) << ReferencePath(); }

class DSM1DReferenceTest : public ::testing::TestWithParam<ReferenceCase> {};

TEST_P(DSM1DReferenceTest, MatchesOptimalValueBetaMaxAndActiveNeurons) {
  const ReferenceCase& c = GetParam();
  const DenoisingScoreMatching1DResult fit = FitDenoisingScoreMatching1D(
      c.inputs, c.targets, {.activation = c.activation, .skip = c.skip, .beta = c.beta});
  ASSERT_EQ(fit.summary.status, SolveStatus::kOptimal) << fit.summary.message;
  const double tol = std::max(kValueRelTol * std::abs(c.optimal_value), kAbsTol);
  EXPECT_NEAR(fit.summary.objective, c.optimal_value, tol);
  EXPECT_NEAR(DenoisingScoreMatchingObjective(fit.network, c.inputs, c.targets, c.beta),
              c.optimal_value, tol);
  EXPECT_NEAR(fit.beta_max, c.beta_max, kAbsTol);
  if (c.beta >= c.beta_max) {
    EXPECT_EQ(fit.active_neurons, 0);
    EXPECT_EQ(c.active_neurons, 0);
  } else {
    EXPECT_LE(fit.active_neurons, c.active_neurons);
  }
}

INSTANTIATE_TEST_SUITE_P(Dsm1dJson, DSM1DReferenceTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<ReferenceCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace convexscore
