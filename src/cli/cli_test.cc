// End-to-end tests of the `convexscore` program: each runs the built binary in a fresh
// directory and checks exit code, messages and the files left behind.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convexscore/data/csv.h"
#include "convexscore/data/generators.h"
#include "convexscore/io/model_json.h"
#include "convexscore/model/network1d.h"
#include "testutil/cli_runner.h"
#include "testutil/temp_directory.h"

namespace convexscore {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using testutil::RunResult;

class CliTest : public testutil::CliFixture {
 protected:
  // Distinct, well-spread data in CSV with a header and an extra column.
  void WriteSampleCsv(const std::string& name, int n) const {
    const std::vector<double> x = Generate1D("mixture", n, 11);
    std::vector<double> ids(x.size());
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<double>(i);
    WriteCsvTable(work_ / name, {"id", "x"}, {ids, x});
  }
};

TEST_F(CliTest, EverySubcommandHasHelp) {
  for (const std::string command :
       {"", "fit ", "thresholds ", "score ", "sample ", "limit ", "metrics "}) {
    const RunResult result = Run(command + "--help");
    EXPECT_EQ(result.exit_code, 0) << command;
    EXPECT_THAT(result.out, HasSubstr("Usage")) << command;
  }
  EXPECT_THAT(Run("fit --help").out, HasSubstr("--beta"));
  EXPECT_THAT(Run("thresholds --help").out, HasSubstr("--activation"));
  EXPECT_THAT(Run("score --help").out, HasSubstr("--grid"));
}

TEST_F(CliTest, FitThenScoreOnAGrid) {
  WriteSampleCsv("data.csv", 60);
  const RunResult fit = Run("fit --data data.csv --column x --activation relu --beta 0.1 "
                            "--out model.json");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_EQ(fit.err, "");
  for (const char* words : {"status", "optimal", "objective", "duality gap", "active neurons",
                            "beta_min", "beta_max", "model written to"}) {
    EXPECT_THAT(fit.out, HasSubstr(words));
  }
  EXPECT_THAT(fit.out, ::testing::EndsWith("model.json\n"));

  const json model = ReadModelFile(work_ / "model.json");
  EXPECT_EQ(model["status"], "optimal");
  EXPECT_EQ(model["settings"]["beta"], 0.1);
  EXPECT_EQ(model["data"]["source"]["column_name"], "x");
  EXPECT_EQ(model["data"]["n"], 60);
  EXPECT_LE(model["relative_gap"].get<double>(), 1e-9);
  // Certificate: the stored network attains the convex optimum.
  EXPECT_NEAR(model["network_objective"].get<double>(), model["objective"].get<double>(),
              1e-8 * std::max(1.0, std::abs(model["objective"].get<double>())));

  const RunResult score = Run("score --model model.json --grid -4:4:9 --out score.csv");
  ASSERT_EQ(score.exit_code, 0) << score.err;
  EXPECT_THAT(score.out, HasSubstr("score.csv"));
  const Network1D network = LoadNetwork1DFile(work_ / "model.json");
  const CsvColumn x = ReadCsvColumn(work_ / "score.csv", CsvColumnSelector::Parse("x"));
  const CsvColumn s = ReadCsvColumn(work_ / "score.csv", CsvColumnSelector::Parse("score"));
  EXPECT_THAT(x.values, ElementsAre(-4, -3, -2, -1, 0, 1, 2, 3, 4));
  ASSERT_EQ(s.values.size(), 9u);
  for (std::size_t i = 0; i < 9; ++i) EXPECT_EQ(s.values[i], network.Score(x.values[i]));
  EXPECT_THAT(work_.Names(), ElementsAre("data.csv", "model.json", "score.csv"));

  // --x prints CSV on stdout; negative first values are not mistaken for options.
  const RunResult listed = Run("score --model model.json --x -1.5,0,2");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const CsvColumn printed = ParseCsvColumn(listed.out, "stdout", CsvColumnSelector::Parse("score"));
  EXPECT_THAT(printed.values,
              ElementsAre(network.Score(-1.5), network.Score(0.0), network.Score(2.0)));
  EXPECT_THAT(listed.out, StartsWith("x,score\n-1.5,"));
}

TEST_F(CliTest, FitOnGeneratedDataWithAbsAndSkip) {
  const RunResult fit = Run("fit --generate laplace --n 150 --seed 4 --activation abs --skip "
                            "--beta 0.2 --out m.json --quiet");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_EQ(fit.out, "");
  const json model = ReadModelFile(work_ / "m.json");
  EXPECT_EQ(model["data"]["source"],
            json::parse(R"({"kind":"generator","generator":"laplace","n":150,"seed":4})"));
  EXPECT_EQ(model["settings"]["activation"], "abs");
  EXPECT_EQ(model["settings"]["skip"], true);
  EXPECT_EQ(model["network"]["activation"], "abs");
}

TEST_F(CliTest, ThresholdsPrintJsonWithBetaMinOneOverN) {
  WriteSampleCsv("data.csv", 40);
  const RunResult result = Run("thresholds --data data.csv --column 1 --activation relu");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json thresholds = json::parse(result.out);
  EXPECT_NEAR(thresholds["beta_min"].get<double>(), 1.0 / 40, 1e-12);
  EXPECT_GT(thresholds["beta_max"].get<double>(), thresholds["beta_min"].get<double>());
  EXPECT_EQ(thresholds["n"], 40);
  EXPECT_EQ(thresholds["activation"], "relu");
  EXPECT_EQ(thresholds["skip"], false);
  EXPECT_THAT(work_.Names(), ElementsAre("data.csv"));
}

TEST_F(CliTest, UnboundedBetaExitsTwoNamingBetaMinAndKeepsAnOldModel) {
  WriteSampleCsv("data.csv", 40);  // beta_min = 1/40
  work_.Write("model.json", "previous model\n");
  ExpectCleanFailure("fit --data data.csv --column x --activation relu --beta 0.001 "
                     "--out model.json",
                     "beta_min", 2);
  EXPECT_EQ(testutil::ReadFileText(work_ / "model.json"), "previous model\n");
  ExpectCleanFailure("fit --data data.csv --column x --activation relu --beta 0.001 "
                     "--out fresh.json",
                     "unbounded", 2);
}

TEST_F(CliTest, BadDataFiles) {
  const std::string fit = "fit --activation relu --beta 0.1 --out model.json --data ";
  ExpectCleanFailure(fit + "missing.csv", "cannot read missing.csv: No such file or directory");
  work_.Write("empty.csv", "");
  ExpectCleanFailure(fit + "empty.csv", "empty.csv: the file is empty");
  work_.Write("header.csv", "x\n");
  ExpectCleanFailure(fit + "header.csv", "header.csv: no data rows after the header");
  work_.Write("one.csv", "x\n1.5\n");
  ExpectCleanFailure(fit + "one.csv", "one.csv: ");
  work_.Write("equal.csv", "2\n2\n2\n2\n");
  ExpectCleanFailure(fit + "equal.csv", "equal.csv: ");
  work_.Write("nan.csv", "x\n1\nnan\n2\n");
  ExpectCleanFailure(fit + "nan.csv", "nan.csv line 3, column 'x' (index 0): 'nan' is not a "
                                      "finite number");
  work_.Write("inf.csv", "1\n2\n-inf\n");
  ExpectCleanFailure(fit + "inf.csv", "inf.csv line 3, column 0: '-inf' is not a finite number");
  work_.Write("text.csv", "x,y\n1,2\n3,three\n");
  ExpectCleanFailure(fit + "text.csv --column y",
                     "text.csv line 3, column 'y' (index 1): 'three' is not a number");
  ExpectCleanFailure(fit + "text.csv --column z", "text.csv: no column named 'z'");
  ExpectCleanFailure(fit + "text.csv --column 7", "column index 7 is out of range");
  work_.Write("ragged.csv", "x,y\n1,2\n3\n");
  ExpectCleanFailure(fit + "ragged.csv --column y", "ragged.csv line 3: row has 1 cells");
  ExpectCleanFailure("thresholds --activation abs --data missing.csv", "cannot read missing.csv");
}

TEST_F(CliTest, BadBeta) {
  WriteSampleCsv("data.csv", 20);
  const std::string fit = "fit --data data.csv --column x --activation relu --out model.json ";
  ExpectCleanFailure(fit + "--beta 0", "beta");
  ExpectCleanFailure(fit + "--beta -0.5", "beta");
  ExpectCleanFailure(fit + "--beta nan", "--beta: 'nan' is not a finite number");
  ExpectCleanFailure(fit + "--beta inf", "--beta: 'inf' is not a finite number");
  ExpectCleanFailure(fit + "--beta 0,1", "--beta: '0,1' is not a number");
  ExpectCleanFailure(fit + "--beta abc", "--beta: 'abc' is not a number");
}

TEST_F(CliTest, UnwritableOutputIsReportedBeforeFitting) {
  WriteSampleCsv("data.csv", 20);
  const std::string fit = "fit --data data.csv --column x --activation relu --beta 0.1 --out ";
  ExpectCleanFailure(fit + "/nonexistent_dir/x.json", "cannot write /nonexistent_dir/x.json");
  // A path through a regular file cannot be created, even by root.
  ExpectCleanFailure(fit + "data.csv/model.json", "cannot write data.csv/model.json");
  fs::create_directory(work_ / "outdir");
  ExpectCleanFailure(fit + "outdir", "cannot write outdir: it is a directory");
  EXPECT_TRUE(fs::is_empty(work_ / "outdir"));
}

TEST_F(CliTest, BadGeneratorArguments) {
  const std::string fit = "fit --activation relu --beta 0.1 --out m.json --generate gaussian ";
  ExpectCleanFailure(fit + "--n 1", "--n: need 2 <= n");
  ExpectCleanFailure(fit + "--n many", "--n: 'many' is not an integer");
  ExpectCleanFailure(fit + "--n 10 --seed -3", "--seed: '-3' is not a non-negative integer");
}

TEST_F(CliTest, MalformedModelsForScore) {
  const std::string score = " --grid 0:1:5 --out s.csv";
  ExpectCleanFailure("score --model none.json" + score, "cannot read none.json");
  work_.Write("text.json", "not json at all");
  ExpectCleanFailure("score --model text.json" + score,
                     "invalid model file text.json: not valid JSON");
  work_.Write("other.json", R"({"format": "something"})");
  ExpectCleanFailure("score --model other.json" + score,
                     "invalid model file other.json: field 'format'");
  work_.Write("nonet.json", R"({"format": "convexscore-model", "version": 1})");
  ExpectCleanFailure("score --model nonet.json" + score, "missing field 'network'");
  work_.Write("nan.json", R"({"format": "convexscore-model", "version": 1, "network":
      {"activation": "relu", "neurons": [{"w": 1, "b": 0, "a": null}], "output_bias": 0,
       "skip": 0}})");
  ExpectCleanFailure("score --model nan.json" + score,
                     "field 'network.neurons[0].a' is not a number");
}

TEST_F(CliTest, MalformedPointsForScore) {
  ASSERT_EQ(Run("fit --generate gaussian --n 30 --seed 2 --activation relu --beta 0.3 "
                "--out model.json --quiet").exit_code,
            0);
  const std::string score = "score --model model.json --out s.csv ";
  ExpectCleanFailure(score + "--grid 1:0:5", "--grid: need LO < HI");
  ExpectCleanFailure(score + "--grid 0:1:1", "--grid: need 2 <= COUNT");
  ExpectCleanFailure(score + "--grid 0:1", "--grid: expected LO:HI:COUNT");
  ExpectCleanFailure(score + "--grid 0:inf:5", "--grid HI: 'inf' is not a finite number");
  ExpectCleanFailure(score + "--grid a:1:5", "--grid LO: 'a' is not a number");
  ExpectCleanFailure(score + "--grid 0:1:2.5", "--grid COUNT: '2.5' is not an integer");
  ExpectCleanFailure(score + "--x 1,,2", "--x: empty item");
  ExpectCleanFailure(score + "--x 1,abc", "--x: 'abc' is not a number");
  ExpectCleanFailure(score + "--x nan", "--x: 'nan' is not a finite number");
  ExpectCleanFailure(score, "give exactly one of --x");
  ExpectCleanFailure("score --model model.json --grid 0:1:5 --out /nonexistent_dir/s.csv",
                     "cannot write /nonexistent_dir/s.csv");
}

// --generate takes any univariate distribution spec (docs/data.md), not only the three defaults.
TEST_F(CliTest, FitGeneratesFromADistributionSpec) {
  const RunResult result =
      Run("fit --generate uniform:-1:1 --n 80 --seed 3 --activation relu --beta 0.3 --out u.json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("uniform:-1:1"));
  EXPECT_TRUE(std::filesystem::exists(work_ / "u.json"));
}

TEST_F(CliTest, UsageErrorsExitNonZeroWithoutFiles) {
  const std::vector<std::string> before = work_.Names();
  for (const std::string args :
       {"", "frobnicate", "fit --activation relu --out m.json --generate gaussian",
        "fit --activation tanh --beta 0.1 --out m.json --generate gaussian",
        "fit --activation relu --beta 0.1 --out m.json --generate gaussian --data x.csv",
        "fit --activation relu --beta 0.1 --out m.json --generate bogus",
        // A 2-D law is multivariate data, but 1000 points have too many exact patterns.
        "fit --activation relu --beta 0.1 --out m.json --generate spiral",
        "fit --activation relu --beta 0.1 --out m.json --generate gaussian --bogus",
        "score --model m.json --x 1 --grid 0:1:3"}) {
    const RunResult result = Run(args);
    EXPECT_EQ(result.exit_code, 1) << args;
    EXPECT_THAT(result.err, StartsWith("error: ")) << args;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }
  ExpectCleanFailure("fit --activation relu --beta 0.1 --out m.json", "no data");
  EXPECT_EQ(work_.Names(), before);
}

}  // namespace
}  // namespace convexscore
