// Multivariate DSM (architecture (a), all patterns of the noisy inputs) against optimal values
// from an independent generic solver (CVXOPT SOCP over the explicit pattern dictionary):
//   tests/data/reference/dsmnd.json  2-D, 12 noisy inputs (make_dsmnd_reference.py)
//   tests/data/reference/dsm3d.json  3-D (tools/make_dsm3d_reference.py)
// Both files hold the noisy inputs and targets they used.
//
// Tolerance: the references round optimal values to 8 decimals (5e-9); ours must match within
// 1e-6 relative (and 5e-9 absolute). Each fit must also be certified: status optimal (solver
// gap and feasibility, and the rebuilt network attaining the convex value).

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "convexscore/common.h"
#include "convexscore/programs/denoising_score_matching_nd.h"

namespace convexscore {
namespace {

struct ReferenceCase {
  std::string name;
  DenoisingDataND data;
  Activation activation = Activation::kRelu;
  double beta = 0.0;
  int patterns = 0;
  double optimal_value = NAN;
};

void PrintTo(const ReferenceCase& c, std::ostream* os) { *os << c.name; }

Eigen::MatrixXd Matrix(const nlohmann::json& rows) {
  Eigen::MatrixXd m(rows.size(), rows.at(0).size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows.at(i).size(); ++j) m(i, j) = rows.at(i).at(j).get<double>();
  return m;
}

std::vector<ReferenceCase> LoadCases(const std::string& file) {
  std::vector<ReferenceCase> cases;
  std::ifstream in(std::string(CONVEXSCORE_TEST_DATA_DIR) + "/reference/" + file);
  if (!in) return cases;
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded()) return cases;
  for (const auto& c : doc.at("cases")) {
    if (c.at("status") != "optimal") continue;
    ReferenceCase rc;
    const std::string data_name = c.at("data").get<std::string>();
    const nlohmann::json& data = doc.at("data").at(data_name);
    rc.data.inputs = Matrix(data.at("x_noisy"));
    rc.data.targets = Matrix(data.at("target"));
    rc.data.sigma = data.at("sigma").get<double>();
    rc.activation = ParseActivation(c.at("activation").get<std::string>());
    rc.beta = c.at("beta").get<double>();
    rc.patterns = c.at("patterns").get<int>();
    rc.optimal_value = c.at("optimal_value").get<double>();
    std::ostringstream beta;
    beta << rc.beta;
    rc.name = data_name + "_" + c.at("activation").get<std::string>() + "_beta" + beta.str();
    for (char& ch : rc.name)
      if (ch == '.') ch = 'p';
    cases.push_back(std::move(rc));
  }
  return cases;
}

TEST(DsmNDReferenceFiles, Load) {
  EXPECT_EQ(LoadCases("dsmnd.json").size(), 4u);
  EXPECT_GE(LoadCases("dsm3d.json").size(), 4u);
}

class DsmNDReferencePatterns : public ::testing::TestWithParam<ReferenceCase> {};

TEST_P(DsmNDReferencePatterns, CountMatches) {
  const ReferenceCase& c = GetParam();
  EXPECT_EQ(DenoisingScoreMatchingNDPatterns(c.data.inputs, {}).size(), c.patterns);
}

class DsmNDReferenceFit : public ::testing::TestWithParam<ReferenceCase> {};

TEST_P(DsmNDReferenceFit, CertifiedFitMatchesOptimalValue) {
  const ReferenceCase& c = GetParam();
  DenoisingScoreMatchingNDOptions options;
  options.activation = c.activation;
  options.beta = c.beta;
  const DenoisingScoreMatchingNDResult r = FitDenoisingScoreMatchingND(c.data, options);
  EXPECT_EQ(StatusName(r.summary.status), "optimal") << r.summary.message;
  EXPECT_LE(std::abs(r.summary.relative_gap), 1e-9);
  EXPECT_NEAR(r.summary.objective, c.optimal_value, std::max(1e-6 * std::abs(c.optimal_value), 5e-9));
  EXPECT_NEAR(r.network_objective, r.summary.objective,
              1e-8 * std::max(1.0, std::abs(r.summary.objective)));
}

auto CaseName = [](const auto& info) { return info.param.name; };

INSTANTIATE_TEST_SUITE_P(Dsmnd, DsmNDReferencePatterns, ::testing::ValuesIn(LoadCases("dsmnd.json")),
                         CaseName);
INSTANTIATE_TEST_SUITE_P(Dsm3d, DsmNDReferencePatterns, ::testing::ValuesIn(LoadCases("dsm3d.json")),
                         CaseName);
// The full fit (patterns, solve, certificate, reconstruction) against the independent values.
INSTANTIATE_TEST_SUITE_P(DsmndFit, DsmNDReferenceFit,
                         ::testing::ValuesIn(LoadCases("dsmnd.json")), CaseName);
INSTANTIATE_TEST_SUITE_P(Dsm3dFit, DsmNDReferenceFit,
                         ::testing::ValuesIn(LoadCases("dsm3d.json")), CaseName);

}  // namespace
}  // namespace convexscore
