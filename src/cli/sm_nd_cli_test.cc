// End-to-end tests of multivariate score matching on the command line (`fit --columns ...
// --objective sm`, `thresholds --columns`): the built binary runs in a fresh directory; the
// model file it writes is read back by the d-D loaders and used by `score`, `sample`, `metrics`
// and `plot quiver`; bad input fails cleanly (one line, non-zero exit, no file).
#include <cmath>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convexscore/data/csv.h"
#include "convexscore/data/distribution_spec.h"
#include "convexscore/data/generators.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/model_nd_json.h"
#include "convexscore/io/numbers.h"
#include "convexscore/io/read_file.h"
#include "convexscore/model/network_nd.h"
#include "convexscore/programs/score_matching_nd.h"
#include "testutil/cli_runner.h"
#include "testutil/random_points.h"

namespace convexscore {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SmNdCliTest : public testutil::CliFixture {
 protected:
  // 8 standard normal points in the plane, with an id column in front (few points: the
  // bracketing of beta_min takes a solve per step).
  void SetUp() override {
    points_ = testutil::RandomPoints(8, 2, 31);
    Eigen::MatrixXd table(points_.rows(), 3);
    for (Eigen::Index i = 0; i < points_.rows(); ++i) {
      table(i, 0) = static_cast<double>(i);
      table.row(i).tail(2) = points_.row(i);
    }
    WriteCsvPoints(work_ / "points.csv", {"id", "x", "y"}, table);
  }

  json ReadJson(const std::string& name) const {
    return json::parse(testutil::ReadFileText(work_ / name));
  }

  Eigen::MatrixXd points_;
};

TEST_F(SmNdCliTest, FitScoreSampleMetricsAndQuiverOnTheFittedFile) {
  const testutil::RunResult fit = Run(
      "fit --data points.csv --columns x,y --objective sm --architecture per-coordinate "
      "--activation relu --beta 0.6 --threshold-tolerance 0.5 --out model.json");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_EQ(fit.err, "");
  for (const char* words : {"2-D, architecture per-coordinate", "patterns", "58 (exact)",
                            "status", "optimal", "network objective", "duality gap",
                            "active neurons", "beta_min", "beta_max", "model written to"}) {
    EXPECT_THAT(fit.out, HasSubstr(words));
  }

  // The file: the fields of a 1-D model plus the pattern and threshold fields.
  const json model = ReadJson("model.json");
  EXPECT_EQ(model["status"], "optimal");
  EXPECT_EQ(model["objective_kind"], "sm");
  EXPECT_EQ(model["architecture"], "per-coordinate");
  EXPECT_EQ(model["dimension"], 2);
  EXPECT_EQ(model["patterns"], 8 * 7 + 2);
  EXPECT_EQ(model["pattern_method"], "exact");
  EXPECT_TRUE(model["pattern_seed"].is_null());
  EXPECT_EQ(model["coordinate_names"], json::array({"x", "y"}));
  EXPECT_EQ(model["data"]["n"], 8);
  EXPECT_EQ(model["data"]["source"]["column_indices"], json::array({1, 2}));
  EXPECT_EQ(model["settings"]["beta"], 0.6);
  for (const char* key : {"duality_gap", "relative_gap", "kkt_residual", "dual_objective"}) {
    EXPECT_TRUE(model[key].is_number()) << key;
  }
  const double lower = model["beta_min_lower"], upper = model["beta_min_upper"];
  EXPECT_LE(lower, upper);
  EXPECT_LE(lower, 0.6);  // the fit at 0.6 is bounded
  EXPECT_EQ(model["beta_min"].get<double>(), upper);
  EXPECT_GE(model["beta_max"].get<double>(), upper);
  ASSERT_EQ(model["coordinate_thresholds"].size(), 2u);
  double max_lower = 0.0, max_beta_max = 0.0;
  for (const json& c : model["coordinate_thresholds"]) {
    max_lower = std::max(max_lower, c["beta_min_lower"].get<double>());
    max_beta_max = std::max(max_beta_max, c["beta_max"].get<double>());
  }
  EXPECT_EQ(lower, max_lower);
  EXPECT_EQ(model["beta_max"].get<double>(), max_beta_max);

  // The network in the file, loaded by the d-D loader, attains the convex value on the data,
  // and that value is the library's.
  const NetworkND network = LoadNetworkNDFile(work_ / "model.json");
  const double objective = model["objective"];
  EXPECT_NEAR(ScoreMatchingObjective(network, points_, 0.6), objective,
              1e-8 * std::max(1.0, std::abs(objective)));
  EXPECT_EQ(model["network_objective"].get<double>(), ScoreMatchingObjective(network, points_, 0.6));
  ScoreMatchingNDOptions options;
  options.beta = 0.6;
  EXPECT_NEAR(FitScoreMatchingND(points_, options).summary.objective, objective, 1e-10);
  EXPECT_EQ(model["active_neurons"], network.neurons());

  // score: the file's network at the data points.
  ASSERT_EQ(Run("score --model model.json --points points.csv --columns x,y --out s.csv").exit_code,
            0);
  const CsvColumns scores = ReadCsvColumns(work_ / "s.csv", ParseCsvColumnList("s1,s2"));
  EXPECT_TRUE(scores.values.isApprox(network.ScoreRows(points_), 1e-15));

  // sample from the data, then metrics of the draws against the data.
  const testutil::RunResult sample =
      Run("sample --model model.json --particles 300 --steps 200 --step-size 0.02 --seed 3 "
          "--init data --data points.csv --columns x,y --out draws.csv");
  ASSERT_EQ(sample.exit_code, 0) << sample.err;
  const CsvColumns draws = ReadCsvColumns(work_ / "draws.csv");
  EXPECT_THAT(draws.names, ElementsAre("x", "y"));
  EXPECT_EQ(draws.values.rows(), 300);
  EXPECT_TRUE(draws.values.allFinite());
  const testutil::RunResult metrics =
      Run("metrics --samples draws.csv --reference points.csv --columns x,y");
  ASSERT_EQ(metrics.exit_code, 0) << metrics.err;
  const json report = json::parse(metrics.out);
  EXPECT_EQ(report["dimension"], 2);
  EXPECT_TRUE(report["metrics"]["mmd2"]["value"].is_number());

  // plot quiver of the fitted field over the data.
  const testutil::RunResult quiver =
      Run("plot quiver --model model.json --points points.csv --points-columns x,y --out q.svg");
  ASSERT_EQ(quiver.exit_code, 0) << quiver.err;
  EXPECT_THAT(testutil::ReadFileText(work_ / "q.svg"), HasSubstr("<svg"));
}

// `thresholds --columns` prints a certified bracket and beta_max; below a certified lower end
// the fit is unbounded (exit 2, message naming beta_min, no file), from an upper end it is
// optimal.
TEST_F(SmNdCliTest, ThresholdsBracketAndUnboundedBelowBetaMin) {
  const testutil::RunResult run =
      Run("thresholds --data points.csv --columns x,y --activation relu --threshold-tolerance 0.5");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json t = json::parse(run.out);
  EXPECT_EQ(t["dimension"], 2);
  EXPECT_EQ(t["n"], 8);
  const double upper = t["beta_min_upper"];
  EXPECT_GE(t["beta_min_lower"].get<double>(), 0.0);
  EXPECT_LE(t["beta_min_lower"].get<double>(), upper);
  EXPECT_LE(upper, t["beta_max"].get<double>());
  // beta_max is the largest price at the zero network (computed independently here).
  ScoreMatchingNDOptions options;
  const PatternSet patterns = ScoreMatchingNDPatterns(points_, options);
  EXPECT_NEAR(t["beta_max"].get<double>(),
              std::max(ScoreMatchingNDBetaMax(points_, patterns, Activation::kRelu, 0),
                       ScoreMatchingNDBetaMax(points_, patterns, Activation::kRelu, 1)),
              1e-14);

  // From the upper end on, the fit is certified optimal; its own bracket starts below beta.
  const double beta_above = upper * 1.01;
  const testutil::RunResult above =
      Run("fit --data points.csv --columns x,y --activation relu --quiet --beta " +
          FormatDouble(beta_above, 17) + " --threshold-tolerance 0.5 --out above.json");
  ASSERT_EQ(above.exit_code, 0) << above.err;
  const json model = ReadJson("above.json");
  EXPECT_EQ(model["status"], "optimal");
  EXPECT_EQ(model["settings"]["threshold_tolerance"], 0.5);
  const double lower = model["beta_min_lower"];
  EXPECT_LE(lower, model["beta_min_upper"].get<double>());
  EXPECT_LE(model["beta_min_upper"].get<double>(), beta_above);
  EXPECT_EQ(model["beta_max"], t["beta_max"]);

  // Below the certified lower end: unbounded, exit 2, no file.
  ASSERT_GT(lower, 1e-3);  // a recession direction was found
  ExpectCleanFailure("fit --data points.csv --columns x,y --activation relu --beta " +
                         FormatDouble(0.5 * lower, 17) + " --out below.json",
                     "is below beta_min (beta_min >= ", 2);
}

TEST_F(SmNdCliTest, GeneratedTwoDimensionalLaw) {
  const testutil::RunResult fit =
      Run("fit --generate moons:0.2 --n 8 --seed 5 --activation abs --beta 0.5 --quiet "
          "--threshold-tolerance 0.5 --out moons.json");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_EQ(fit.out, "");
  const json model = ReadJson("moons.json");
  EXPECT_EQ(model["data"]["source"]["kind"], "generator");
  EXPECT_EQ(model["data"]["source"]["generator"], "moons:0.2");
  EXPECT_EQ(model["settings"]["activation"], "abs");
  EXPECT_FALSE(model.contains("coordinate_names"));
  const Eigen::MatrixXd x = GenerateFromSpec(ParseDistributionSpec("moons:0.2"), 8, 5);
  const NetworkND network = LoadNetworkNDFile(work_ / "moons.json");
  EXPECT_NEAR(ScoreMatchingObjective(network, x, 0.5), model["objective"].get<double>(), 1e-8);
}

// Architecture (b): the relaxation's lower bound, the rebuilt network's objective as the upper
// bound (recomputed here from the file's network with penalized biases), and the gap.
TEST_F(SmNdCliTest, SharedArchitectureReportsBoundsAndGap) {
  const testutil::RunResult run = Run("fit --data points.csv --columns x,y --architecture shared "
                            "--activation relu --beta 0.9 --out shared.json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("shared hidden layer"));
  EXPECT_THAT(run.out, HasSubstr("lower bound"));
  const nlohmann::json model = ReadModelFile(work_ / "shared.json");
  EXPECT_EQ(model["architecture"], "shared");
  const double lower = model["lower_bound"].get<double>();
  const double upper = model["upper_bound"].get<double>();
  EXPECT_LE(lower, upper + 1e-12);
  EXPECT_NEAR(model["gap"].get<double>(), upper - lower, 1e-12 * std::max(1.0, std::abs(upper)));
  const NetworkND network = LoadNetworkNDFile(work_ / "shared.json");
  EXPECT_NEAR(upper, ScoreMatchingObjective(network, points_, 0.9, BiasDecay::kPenalized),
              1e-9 * std::max(1.0, std::abs(upper)));
  ASSERT_EQ(Run("score --model shared.json --points points.csv --columns x,y --out s.csv").exit_code, 0);
  ExpectCleanFailure("fit --data points.csv --column x --architecture per-coordinate "
                     "--activation relu --beta 0.5 --out m.json",
                     "--architecture applies to multivariate data");
}

TEST_F(SmNdCliTest, BadInputFailsCleanly) {
  const std::string fit = "fit --activation relu --out m.json ";
  // All points on one line: rank-deficient, reported as such (no NaN, no file).
  work_.Write("line.csv", "x,y\n0,0\n1,2\n2,4\n-1,-2\n3,6\n");
  ExpectCleanFailure(fit + "--beta 0.5 --data line.csv --columns x,y",
                     "line.csv: rank-deficient data: the centred points span 1 of 2 dimensions");
  ExpectCleanFailure("thresholds --activation relu --data line.csv --columns x,y",
                     "rank-deficient data");
  work_.Write("nan.csv", "x,y\n0,0\n1,nan\n2,5\n");
  ExpectCleanFailure(fit + "--beta 0.5 --data nan.csv --columns x,y", "nan.csv");
  work_.Write("inf.csv", "x,y\n0,0\n1,inf\n2,5\n");
  ExpectCleanFailure(fit + "--beta 0.5 --data inf.csv --columns x,y", "inf.csv");
  work_.Write("two.csv", "x,y\n0,0\n1,2\n");
  ExpectCleanFailure(fit + "--beta 0.5 --data two.csv --columns x,y",
                     "two.csv: score matching in 2 dimensions needs at least 3 points (got 2)");
  ExpectCleanFailure(fit + "--beta 0.5 --data points.csv --columns x,w", "'w'");
  ExpectCleanFailure(fit + "--beta 0.5 --data points.csv --columns x,x",
                     "--columns: column 'x' is listed twice");
  ExpectCleanFailure(fit + "--beta 0.5 --data points.csv --columns x,1",
                     "--columns: column 'x' is listed twice");
  ExpectCleanFailure(fit + "--beta 0.5 --data points.csv --columns x",
                     "--columns: give at least two columns");
  ExpectCleanFailure(fit + "--beta 0 --data points.csv --columns x,y",
                     "--beta must be positive (got 0)");
  ExpectCleanFailure(fit + "--beta -1 --data points.csv --columns x,y",
                     "--beta must be positive (got -1)");
  ExpectCleanFailure(fit + "--beta 0.5 --data points.csv --columns x,y --skip",
                     "--skip is not available for multivariate score matching");
  ExpectCleanFailure(fit + "--beta 0.5 --data points.csv --columns x,y --patterns sampled "
                           "--pattern-directions 0",
                     "--pattern-directions must be between 1 and");
  ExpectCleanFailure(fit + "--beta 0.5 --data points.csv --columns x,y --threshold-tolerance 2",
                     "--threshold-tolerance must be in (0, 1)");
  ExpectCleanFailure(fit + "--beta 0.5 --data points.csv --columns x,y --objective dsm",
                     "--objective dsm needs --sigmas");
}

}  // namespace
}  // namespace convexscore
