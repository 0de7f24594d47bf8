// The CVXOPT values of tests/data/reference/shared_nd.json (tools/make_shared_reference.py: the
// nuclear-norm relaxation over all patterns by a semidefinite program) against the first-order
// solver, within 1e-6 relative.
#include <cmath>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convexscore/programs/shared_hidden_layer_nd.h"

namespace convexscore {
namespace {

Eigen::MatrixXd Matrix(const nlohmann::json& rows) {
  Eigen::MatrixXd m(rows.size(), rows.at(0).size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t c = 0; c < rows[i].size(); ++c) m(i, c) = rows[i][c].get<double>();
  }
  return m;
}

TEST(SharedNDReference, RelaxationMatchesSemidefiniteReference) {
  std::ifstream in(std::string(CONVEXSCORE_TEST_DATA_DIR) + "/reference/shared_nd.json");
  ASSERT_TRUE(in) << "missing tests/data/reference/shared_nd.json";
  const nlohmann::json doc = nlohmann::json::parse(in);
  ASSERT_GE(doc.at("cases").size(), 8u);
  for (const nlohmann::json& entry : doc.at("cases")) {
    const std::string label = entry.at("name").get<std::string>() + " " +
                              entry.at("objective_kind").get<std::string>() + " " +
                              entry.at("activation").get<std::string>() + " beta " +
                              std::to_string(entry.at("beta").get<double>());
    SharedHiddenLayerNDOptions options;
    options.activation = ParseActivation(entry.at("activation").get<std::string>());
    options.beta = entry.at("beta").get<double>();
    const Eigen::MatrixXd x = Matrix(entry.at("x"));
    SharedHiddenLayerNDResult result;
    if (entry.at("objective_kind") == "sm") {
      result = FitSharedHiddenLayerND(x, options);
    } else {
      DenoisingDataND data;
      data.inputs = x;
      data.targets = Matrix(entry.at("targets"));
      result = FitSharedHiddenLayerDenoisingND(data, options);
    }
    ASSERT_EQ(result.summary.status, SolveStatus::kOptimal) << label << result.summary.message;
    EXPECT_EQ(result.patterns, entry.at("patterns").get<int>()) << label;
    const double expected = entry.at("optimal_value").get<double>();
    EXPECT_NEAR(result.summary.objective, expected, 1e-6 * std::max(1.0, std::abs(expected)))
        << label;
    EXPECT_LE(result.lower_bound, expected + 1e-8) << label;
    EXPECT_GE(result.upper_bound, expected - 1e-8) << label;
  }
}

}  // namespace
}  // namespace convexscore
