// End-to-end tests of `convexscore metrics`: the built binary on files in a fresh directory.
#include <cmath>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convexscore/data/csv.h"
#include "convexscore/data/generators.h"
#include "convexscore/metrics/known_laws.h"
#include "convexscore/metrics/multivariate.h"
#include "convexscore/metrics/univariate.h"
#include "testutil/cli_runner.h"

namespace convexscore {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class MetricsCliTest : public testutil::CliFixture {
 protected:
  // Writes draws of `spec` with the given header; returns the points written.
  Eigen::MatrixXd WritePoints(const std::string& name, std::string_view spec, int n,
                              std::uint64_t seed, const std::vector<std::string>& header) const {
    const Eigen::MatrixXd points = GenerateFromSpec(ParseDistributionSpec(spec), n, seed);
    WriteCsvPoints(work_ / name, header, points);
    return points;
  }

  json RunJson(const std::string& args) const {
    const testutil::RunResult result = Run(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err, "");
    return json::parse(result.out);
  }
};

std::span<const double> Values(const Eigen::MatrixXd& column) {
  return {column.data(), static_cast<std::size_t>(column.rows())};
}

TEST_F(MetricsCliTest, HelpNamesTheOptions) {
  const testutil::RunResult result = Run("metrics --help");
  EXPECT_EQ(result.exit_code, 0);
  for (const char* option : {"--samples", "--columns", "--reference", "--target", "--seed",
                             "--projections", "--reference-n", "--model", "--bandwidth"}) {
    EXPECT_THAT(result.out, HasSubstr(option));
  }
}

TEST_F(MetricsCliTest, OneDimensionAgainstATarget) {
  const Eigen::MatrixXd x = WritePoints("a.csv", "gaussian", 2000, 1, {"x"});
  const json report = RunJson("metrics --samples a.csv --target gaussian:0:1");
  EXPECT_EQ(report["dimension"], 1);
  EXPECT_EQ(report["samples"]["n"], 2000);
  EXPECT_EQ(report["samples"]["columns"], json::array({"x"}));
  EXPECT_EQ(report["reference"]["target"], "gaussian:0:1");
  const json& metrics = report["metrics"];
  std::vector<std::string> names;
  for (const auto& item : metrics.items()) names.push_back(item.key());
  EXPECT_THAT(names, ElementsAre("energy", "kl", "ks", "w1"));
  for (const auto& item : metrics.items()) {
    EXPECT_TRUE(item.value()["estimator"].is_string()) << item.key();
  }
  // The values are the library's on the same numbers (the CSV round trip is exact).
  const UnivariateLaw law = UnivariateLaw::FromSpec(ParseDistributionSpec("gaussian"));
  EXPECT_EQ(metrics["w1"]["value"].get<double>(), Wasserstein1(Values(x), law));
  EXPECT_EQ(metrics["ks"]["value"].get<double>(), KolmogorovSmirnov(Values(x), law));
  EXPECT_EQ(metrics["energy"]["value"].get<double>(), EnergyDistance(Values(x), law));
  EXPECT_EQ(metrics["kl"]["value"].get<double>(), KlDivergence(Values(x), law));
  EXPECT_EQ(metrics["kl"]["neighbours"], 11);  // round(sqrt(2000) / 4)
  // And they are small, as they should be for a sample of the target itself.
  EXPECT_LT(metrics["ks"]["value"].get<double>(), 0.04);  // 1% critical value 1.63/sqrt(n)
  EXPECT_LT(std::abs(metrics["kl"]["value"].get<double>()), 0.04);
  EXPECT_THAT(work_.Names(), ElementsAre("a.csv"));
}

TEST_F(MetricsCliTest, OneDimensionAgainstAReferenceFileWithColumns) {
  const Eigen::MatrixXd a = WritePoints("a.csv", "gmm-d:1,0/0,1", 300, 1, {"x", "y"});
  const Eigen::MatrixXd b = WritePoints("b.csv", "gmm-d:1,0/0.5,1", 200, 2, {"y", "x"});
  const json report = RunJson("metrics --samples a.csv --reference b.csv --columns y");
  EXPECT_EQ(report["reference"]["file"], "b.csv");
  EXPECT_EQ(report["reference"]["n"], 200);
  const Eigen::MatrixXd ay = a.col(1), by = b.col(0);  // column "y" of each file
  EXPECT_EQ(report["metrics"]["w1"]["value"].get<double>(), Wasserstein1(Values(ay), Values(by)));
  EXPECT_EQ(report["metrics"]["ks"]["value"].get<double>(),
            KolmogorovSmirnov(Values(ay), Values(by)));
  EXPECT_FALSE(report["metrics"].contains("kl"));  // no density to compare with
}

TEST_F(MetricsCliTest, TwoDimensionsAgainstAReferenceAndATarget) {
  const Eigen::MatrixXd a = WritePoints("a.csv", "moons:0.05", 400, 1, {"x", "y"});
  const Eigen::MatrixXd b = WritePoints("b.csv", "moons:0.05", 300, 2, {"x", "y"});
  const json report = RunJson("metrics --samples a.csv --reference b.csv --seed 3");
  EXPECT_EQ(report["dimension"], 2);
  std::vector<std::string> names;
  for (const auto& item : report["metrics"].items()) names.push_back(item.key());
  EXPECT_THAT(names, ElementsAre("energy", "mmd2", "sliced_w"));
  EXPECT_NEAR(report["metrics"]["energy"]["value"].get<double>(), EnergyDistance(a, b), 1e-12);
  EXPECT_GT(report["metrics"]["mmd2"]["bandwidth"].get<double>(), 0.0);
  EXPECT_EQ(report["metrics"]["sliced_w"]["projections"], 200);
  // The same seed, the same numbers.
  EXPECT_EQ(RunJson("metrics --samples a.csv --reference b.csv --seed 3"), report);

  // Against the target: reference drawn from it, as many points as the samples by default.
  const json target = RunJson("metrics --samples a.csv --target moons:0.05 --projections 50");
  EXPECT_EQ(target["reference"]["draws"], 400);
  EXPECT_EQ(target["metrics"]["sliced_w"]["projections"], 50);
  EXPECT_LT(std::abs(target["metrics"]["mmd2"]["value"].get<double>()), 0.01);
  const json circle = RunJson("metrics --samples a.csv --target circle:3 --reference-n 500");
  EXPECT_EQ(circle["reference"]["draws"], 500);
  EXPECT_GT(circle["metrics"]["sliced_w"]["value"].get<double>(),
            10 * target["metrics"]["sliced_w"]["value"].get<double>());
}

TEST_F(MetricsCliTest, FixedBandwidthIsTheKernelOfTheMmd) {
  const Eigen::MatrixXd a = WritePoints("a.csv", "circle:1:0.1", 300, 1, {"x", "y"});
  const Eigen::MatrixXd b = WritePoints("b.csv", "circle:1.3:0.1", 200, 2, {"x", "y"});
  const json heuristic = RunJson("metrics --samples a.csv --reference b.csv");
  const double median_h = heuristic["metrics"]["mmd2"]["bandwidth"].get<double>();
  for (const double h : {0.05, 0.3}) {
    const json report =
        RunJson("metrics --samples a.csv --reference b.csv --bandwidth " + std::to_string(h));
    const json& mmd = report["metrics"]["mmd2"];
    EXPECT_EQ(mmd["bandwidth"].get<double>(), h);
    EXPECT_THAT(mmd["estimator"].get<std::string>(), HasSubstr("--bandwidth"));
    MmdOptions options;
    options.bandwidth = h;
    EXPECT_NEAR(mmd["value"].get<double>(), UnbiasedMmd2(a, b, options).mmd2, 1e-12);
    // Not the median-heuristic value: the kernel really changed.
    EXPECT_GT(std::abs(mmd["value"].get<double>() -
                       heuristic["metrics"]["mmd2"]["value"].get<double>()),
              1e-3);
    EXPECT_NE(h, median_h);
    // The other metrics do not depend on the bandwidth.
    EXPECT_EQ(report["metrics"]["sliced_w"], heuristic["metrics"]["sliced_w"]);
  }
  // Against a target too.
  const json target = RunJson("metrics --samples a.csv --target circle:1:0.1 --bandwidth 0.2");
  EXPECT_EQ(target["metrics"]["mmd2"]["bandwidth"].get<double>(), 0.2);
}

TEST_F(MetricsCliTest, FisherDivergenceOfAModelAgainstTheTargetScore) {
  WritePoints("a.csv", "gaussian", 300, 5, {"x"});
  ASSERT_EQ(Run("fit --data a.csv --activation relu --skip --beta 0.05 --out m.json --quiet")
                .exit_code,
            0);
  const json report = RunJson("metrics --samples a.csv --target gaussian --model m.json");
  const double fisher = report["metrics"]["fisher"]["value"].get<double>();
  EXPECT_GE(fisher, 0.0);
  EXPECT_LT(fisher, 0.5);  // a fitted Gaussian score is close to -x on its own data
  const json far = RunJson("metrics --samples a.csv --target gaussian:3:1 --model m.json");
  // Against N(3, 1) the true score is off by 3 everywhere: the error is about 9.
  EXPECT_GT(far["metrics"]["fisher"]["value"].get<double>(), 5.0);
}

TEST_F(MetricsCliTest, KlOutsideTheSupportIsNullWithANote) {
  WritePoints("a.csv", "gaussian", 100, 1, {"x"});
  const json report = RunJson("metrics --samples a.csv --target uniform:-1:1");
  EXPECT_TRUE(report["metrics"]["kl"]["value"].is_null());
  EXPECT_THAT(report["metrics"]["kl"]["note"].get<std::string>(), HasSubstr("infinite"));
}

TEST_F(MetricsCliTest, BadInput) {
  WritePoints("a.csv", "gaussian", 50, 1, {"x"});
  WritePoints("two.csv", "moons", 50, 1, {"x", "y"});
  WritePoints("three.csv", "gmm-d:1,0/0/0,1", 50, 1, {"x", "y", "z"});
  ExpectCleanFailure("metrics --samples missing.csv --target gaussian",
                     "cannot read missing.csv: No such file or directory");
  work_.Write("empty.csv", "");
  ExpectCleanFailure("metrics --samples empty.csv --target gaussian",
                     "empty.csv: the file is empty");
  work_.Write("header.csv", "x,y\n");
  ExpectCleanFailure("metrics --samples header.csv --target moons",
                     "header.csv: no data rows after the header");
  work_.Write("nan.csv", "x\n1\nnan\n2\n");
  ExpectCleanFailure("metrics --samples nan.csv --target gaussian",
                     "nan.csv line 3, column 'x' (index 0): 'nan' is not a finite number");
  work_.Write("one.csv", "x\n1\n");
  ExpectCleanFailure("metrics --samples one.csv --target gaussian",
                     "one.csv: need at least 2 sample points");
  ExpectCleanFailure("metrics --samples a.csv --reference empty.csv",
                     "empty.csv: the file is empty");
  ExpectCleanFailure("metrics --samples a.csv --reference missing.csv", "cannot read missing.csv");

  ExpectCleanFailure("metrics --samples two.csv --target gaussian",
                     "dimension mismatch: two.csv gives 2 columns but target 'gaussian' is "
                     "1-dimensional (choose columns with --columns)");
  ExpectCleanFailure("metrics --samples a.csv --target spiral",
                     "dimension mismatch: a.csv gives 1 column but target 'spiral' is "
                     "2-dimensional");
  ExpectCleanFailure("metrics --samples two.csv --reference three.csv",
                     "dimension mismatch: two.csv gives 2 columns but three.csv gives 3 columns");
  ExpectCleanFailure("metrics --samples two.csv --reference three.csv --columns x,w",
                     "two.csv: no column named 'w' (the header has 'x', 'y')");
  ExpectCleanFailure("metrics --samples two.csv --columns x,,y --target moons",
                     "--columns: column list 'x,,y': item 2 is empty");

  ExpectCleanFailure("metrics --samples a.csv --target cauchy",
                     "--target: invalid distribution spec 'cauchy': unknown distribution "
                     "'cauchy'");
  ExpectCleanFailure("metrics --samples a.csv --target gaussian:0:-1",
                     "--target: invalid distribution spec 'gaussian:0:-1': SD must be > 0");
  ExpectCleanFailure("metrics --samples a.csv --target 'mixture:0.5,1'",
                     "component 1 '0.5,1' is not WEIGHT,MEAN,SD");
  ExpectCleanFailure("metrics --samples a.csv --target ''", "give exactly one of --reference");
  ExpectCleanFailure("metrics --samples a.csv", "give exactly one of --reference B.csv and "
                                                "--target SPEC");
  ExpectCleanFailure("metrics --samples a.csv --reference a.csv --target gaussian", "excludes");

  ExpectCleanFailure("metrics --samples a.csv --target gaussian --seed -1",
                     "--seed: '-1' is not a non-negative integer");
  ExpectCleanFailure("metrics --samples two.csv --target moons --projections 0",
                     "--projections: need 1 <= L");
  ExpectCleanFailure("metrics --samples two.csv --target moons --reference-n 1",
                     "--reference-n: need 2 <= N");
  ExpectCleanFailure("metrics --samples two.csv --target moons --bandwidth 0",
                     "--bandwidth: need H > 0 (got 0)");
  ExpectCleanFailure("metrics --samples two.csv --target moons --bandwidth -1",
                     "--bandwidth: need H > 0 (got -1)");
  ExpectCleanFailure("metrics --samples two.csv --target moons --bandwidth wide", "--bandwidth");
  ExpectCleanFailure("metrics --samples a.csv --target gaussian --bandwidth 1",
                     "--bandwidth: the MMD is computed for d-D samples only, but a.csv gives 1 "
                     "column");
  ExpectCleanFailure("metrics --samples a.csv --reference a.csv --model m.json", "--model");
  ExpectCleanFailure("metrics --samples a.csv --target gaussian --model none.json",
                     "cannot read none.json");
  ExpectCleanFailure("metrics --samples a.csv --target uniform --model none.json",
                     "--model: target 'uniform' has no score");
  ExpectCleanFailure("metrics --samples two.csv --target moons --model none.json",
                     "--model: models are univariate but the samples have 2 columns");
}

}  // namespace
}  // namespace convexscore
