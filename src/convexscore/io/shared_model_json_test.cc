#include "convexscore/io/shared_model_json.h"

#include <gtest/gtest.h>

#include "convexscore/io/model_json.h"
#include "convexscore/io/model_nd_json.h"
#include "testutil/random_points.h"
#include "testutil/temp_directory.h"

namespace convexscore {
namespace {

TEST(SharedModelJson, DocumentCarriesBoundsPatternsAndLoadsBack) {
  const Eigen::MatrixXd x = testutil::RandomPoints(9, 2, 4);
  SharedHiddenLayerNDOptions options;
  options.beta = 0.9;
  const SharedHiddenLayerNDResult result = FitSharedHiddenLayerND(x, options);
  ASSERT_EQ(result.summary.status, SolveStatus::kOptimal) << result.summary.message;
  const nlohmann::json source = {{"kind", "array"}, {"n", 9}};
  const nlohmann::json doc =
      SharedModelNDToJson(result, options, DataSummaryNDJson(x, source), {"x", "y"});
  EXPECT_EQ(doc.at("format"), "convexscore-model");
  EXPECT_EQ(doc.at("dimension"), 2);
  EXPECT_EQ(doc.at("objective_kind"), "sm");
  EXPECT_EQ(doc.at("architecture"), "shared");
  EXPECT_EQ(doc.at("status"), "optimal");
  EXPECT_EQ(doc.at("lower_bound").get<double>(), result.lower_bound);
  EXPECT_EQ(doc.at("upper_bound").get<double>(), result.upper_bound);
  EXPECT_EQ(doc.at("gap").get<double>(), result.gap);
  EXPECT_EQ(doc.at("beta_max").get<double>(), result.beta_max);
  EXPECT_EQ(doc.at("patterns"), 9 * 8 + 2);
  EXPECT_EQ(doc.at("pattern_method"), "exact");
  EXPECT_EQ(doc.at("settings").at("bias_decay"), "penalized");
  EXPECT_EQ(doc.at("data").at("n"), 9);
  EXPECT_EQ(doc.at("data").at("source").at("kind"), "array");
  EXPECT_EQ(doc.at("coordinate_names"), nlohmann::json({"x", "y"}));

  const testutil::TempDirectory dir;
  const auto file = dir.path() / "shared.json";
  WriteModelFile(file, doc);
  const NetworkND loaded = LoadNetworkNDFile(file);
  ASSERT_EQ(loaded.neurons(), result.network.neurons());
  EXPECT_EQ(loaded.w, result.network.w);
  EXPECT_EQ(loaded.b, result.network.b);
  EXPECT_EQ(loaded.a, result.network.a);
  EXPECT_EQ(loaded.output_bias, result.network.output_bias);
  EXPECT_EQ(ScoreMatchingObjective(loaded, x, options.beta, BiasDecay::kPenalized),
            result.upper_bound);
}

TEST(SharedModelJson, UnboundedFitHasNullBoundsAndSampledPatternsAreNamed) {
  const Eigen::MatrixXd x = testutil::RandomPoints(8, 2, 6);
  SharedHiddenLayerNDOptions options;
  options.beta = 0.01;  // below 1/n <= beta_min
  const SharedHiddenLayerNDResult unbounded = FitSharedHiddenLayerND(x, options);
  ASSERT_EQ(unbounded.summary.status, SolveStatus::kUnbounded);
  const nlohmann::json doc = SharedModelNDToJson(unbounded, options, DataSummaryNDJson(x));
  EXPECT_EQ(doc.at("status"), "unbounded");
  EXPECT_TRUE(doc.at("lower_bound").is_null());
  EXPECT_TRUE(doc.at("gap").is_null());

  options.beta = 0.9;
  options.sample_patterns = true;
  options.sampled_directions = 20;
  options.seed = 77;
  const SharedHiddenLayerNDResult sampled = FitSharedHiddenLayerND(x, options);
  const nlohmann::json doc2 = SharedModelNDToJson(sampled, options, DataSummaryNDJson(x));
  EXPECT_EQ(doc2.at("pattern_method"), "sampled");
  EXPECT_EQ(doc2.at("pattern_seed"), 77);
  EXPECT_EQ(doc2.at("sampled_directions"), 20);
  EXPECT_FALSE(doc2.contains("sigma"));
  const nlohmann::json doc3 = SharedModelNDToJson(sampled, options, DataSummaryNDJson(x), {},
                                                  {{"sigma", 0.5}, {"copies", 2}});
  EXPECT_EQ(doc3.at("sigma"), 0.5);
  EXPECT_EQ(doc3.at("settings").at("copies"), 2);
}

}  // namespace
}  // namespace convexscore
