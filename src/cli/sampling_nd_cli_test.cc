// End-to-end tests of `convexscore sample` and `convexscore score` on d-D model files: the
// built binary is run in a fresh directory and its files are compared with the library's own
// results; `convexscore metrics` reads the samples; bad input fails cleanly.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convexscore/data/csv.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/model_nd_json.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/model/network_nd.h"
#include "convexscore/sampling/langevin_nd.h"
#include "testutil/cli_runner.h"
#include "testutil/langevin_options.h"

namespace convexscore {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A confining 2-D score with a nonlinear part: -x plus three ReLU units.
NetworkND Network2D(double shift = 0.0) {
  NetworkND net = NetworkND::Zero(Activation::kRelu, 2);
  net.w = RowMatrixXd{{1.0, 0.0}, {0.6, 0.8}, {-0.5, 1.0}};
  net.b = Eigen::Vector3d(0.5, -0.2, shift);
  net.a = RowMatrixXd{{0.4, -0.3}, {-0.2, 0.5}, {0.3, 0.1}};
  net.output_bias = Eigen::Vector2d(0.2, -0.1);
  net.skip = -Eigen::MatrixXd::Identity(2, 2);
  return net;
}

class SamplingNDCliTest : public testutil::CliFixture {
 protected:
  void SetUp() override {
    WriteModelFile(work_ / "named.json", ModelNDToJson(Network2D(), {"u", "v"}));
    WriteModelFile(work_ / "plain.json", ModelNDToJson(Network2D()));
    Eigen::MatrixXd points(4, 3);
    points << 0.5, -1.0, 9.0, 1.5, 0.25, 9.0, -2.0, 0.0, 9.0, 0.0, 3.0, 9.0;
    WriteCsvPoints(work_ / "points.csv", {"a", "b", "c"}, points);
  }

  CsvColumns ReadTable(const std::string& name) const { return ReadCsvColumns(work_ / name); }
};

// Options as the command line sets them (threads 0: the samples do not depend on it).
LangevinOptions Options(std::int64_t particles, std::int64_t steps, double step_size,
                        std::uint64_t seed) {
  return testutil::MakeLangevinOptions(particles, steps, step_size, 0, seed);
}

TEST_F(SamplingNDCliTest, SamplesMatchTheLibraryForAnyThreadCount) {
  const std::string sample =
      "sample --model named.json --particles 257 --steps 120 --step-size 0.05 --seed 9 "
      "--init uniform:-2:2 ";
  const testutil::RunResult one = Run(sample + "--threads 1 --out one.csv");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_THAT(one.out, HasSubstr("257 particles, 120 steps, step size 0.05"));
  EXPECT_THAT(one.out, HasSubstr("sample mean ("));
  ASSERT_EQ(Run(sample + "--threads 2 --quiet --out two.csv").exit_code, 0);
  EXPECT_EQ(testutil::ReadFileText(work_ / "one.csv"), testutil::ReadFileText(work_ / "two.csv"));

  const CsvColumns table = ReadTable("one.csv");
  EXPECT_THAT(table.names, ElementsAre("u", "v"));  // the model's coordinate names
  LangevinOptions options = Options(257, 120, 0.05, 9);
  options.init = LangevinInit::Uniform(-2.0, 2.0);
  EXPECT_TRUE(table.values == SampleLangevinND(Network2D(), options).samples);

  ASSERT_EQ(Run("sample --model plain.json --particles 10 --steps 5 --step-size 0.05 --quiet "
                "--out plain.csv")
                .exit_code,
            0);
  EXPECT_THAT(ReadTable("plain.csv").names, ElementsAre("x1", "x2"));
}

TEST_F(SamplingNDCliTest, DataStartAndMetricsOnTheSamples) {
  const testutil::RunResult run =
      Run("sample --model plain.json --particles 400 --steps 200 --step-size 0.05 --seed 4 "
          "--init data --data points.csv --columns b,a --quiet --out draws.csv");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  LangevinOptions options = Options(400, 200, 0.05, 4);
  Eigen::MatrixXd starts(4, 2);  // columns b then a, as asked
  starts << -1.0, 0.5, 0.25, 1.5, 0.0, -2.0, 3.0, 0.0;
  options.init = LangevinInit::DataPoints(starts);
  EXPECT_TRUE(ReadTable("draws.csv").values == SampleLangevinND(Network2D(), options).samples);

  // `metrics` reads the d-D samples (two reference draws of the same model: MMD^2 near 0).
  ASSERT_EQ(Run("sample --model plain.json --particles 400 --steps 200 --step-size 0.05 --seed 5 "
                "--quiet --out reference.csv")
                .exit_code,
            0);
  const testutil::RunResult metrics =
      Run("metrics --samples draws.csv --reference reference.csv --seed 1");
  ASSERT_EQ(metrics.exit_code, 0) << metrics.err;
  const json report = json::parse(metrics.out);
  EXPECT_EQ(report["dimension"], 2);
  EXPECT_LT(std::abs(report["metrics"]["mmd2"]["value"].get<double>()), 0.02);
}

TEST_F(SamplingNDCliTest, AnnealedOverDDNoiseLevels) {
  const json levels = NoiseLevelsToJson(
      {{1.0, ModelNDToJson(Network2D(0.3))}, {0.5, ModelNDToJson(Network2D(-0.3))}}, 2);
  WriteModelFile(work_ / "levels.json", levels);
  const testutil::RunResult run =
      Run("sample --model levels.json --annealed --particles 50 --steps 40 --step-size 0.02 "
          "--seed 3 --threads 2 --out s.csv");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("at each of 2 noise levels (sigma 1 to 0.5, step size 0.08 to "
                                 "0.02)"));
  const std::vector<NoiseLevelScoreND> library = {{1.0, Network2D(0.3)}, {0.5, Network2D(-0.3)}};
  LangevinOptions options = Options(50, 40, 0.02, 3);
  EXPECT_TRUE(ReadTable("s.csv").values == SampleAnnealedLangevinND(library, options).samples);
  ExpectCleanFailure("sample --model levels.json --particles 5 --steps 5 --step-size 0.1 "
                     "--out s2.csv",
                     "holds models at 2 noise levels: sample it with --annealed");
}

TEST_F(SamplingNDCliTest, ScoreAtPoints) {
  const testutil::RunResult run =
      Run("score --model named.json --points points.csv --columns a,b --out s.csv");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const CsvColumns table = ReadTable("s.csv");
  EXPECT_THAT(table.names, ElementsAre("x1", "x2", "s1", "s2"));
  ASSERT_EQ(table.values.rows(), 4);
  const Eigen::MatrixXd x = table.values.leftCols(2);
  EXPECT_EQ(x.col(0), Eigen::Vector4d(0.5, 1.5, -2.0, 0.0));
  EXPECT_TRUE(table.values.rightCols(2) == Network2D().ScoreRows(x));
}

TEST_F(SamplingNDCliTest, MismatchedDimensionsFailCleanly) {
  const std::string sample = "sample --model plain.json --particles 5 --steps 5 --step-size 0.1 ";
  ExpectCleanFailure(sample + "--init data --data points.csv --out s.csv",
                     "--data points.csv: 3 columns selected but the model has dimension 2 "
                     "(choose 2 with --columns)");
  ExpectCleanFailure(sample + "--init data --data points.csv --columns a --out s.csv",
                     "1 columns selected but the model has dimension 2");
  ExpectCleanFailure(sample + "--init data --data points.csv --columns a,zz --out s.csv",
                     "zz");
  ExpectCleanFailure(sample + "--init data --data points.csv --column a --out s.csv",
                     "--column is for univariate models; plain.json has dimension 2");
  ExpectCleanFailure(sample + "--annealed --out s.csv", "holds a single model");
  ExpectCleanFailure("score --model plain.json --grid 0:1:5 --out s.csv",
                     "plain.json has dimension 2: give the points with --points");
  ExpectCleanFailure("score --model plain.json --points points.csv --out s.csv",
                     "--points points.csv: 3 columns selected but the model has dimension 2");

  // A univariate model with --columns, or with a 2-column --points.
  Network1D net1;
  net1.skip = -1.0;
  WriteModelFile(work_ / "one.json", {{"format", "convexscore-model"},
                                      {"version", 1},
                                      {"dimension", 1},
                                      {"network", Network1DToJson(net1)}});
  ExpectCleanFailure("sample --model one.json --particles 5 --steps 5 --step-size 0.1 "
                     "--init data --data points.csv --columns a --out s.csv",
                     "--columns is for models of dimension 2 or more");
  ExpectCleanFailure("score --model one.json --points points.csv --columns a,b --out s.csv",
                     "2 columns selected but the model has dimension 1 (choose one");

  // A malformed d-D model file.
  json broken = ModelNDToJson(Network2D());
  broken["network"]["neurons"][1]["a"] = {1.0};
  WriteModelFile(work_ / "broken.json", broken);
  ExpectCleanFailure("sample --model broken.json --particles 5 --steps 5 --step-size 0.1 "
                     "--out s.csv",
                     "invalid model file broken.json: field 'network.neurons[1].a' has 1 "
                     "entries, expected 2");
}

TEST_F(SamplingNDCliTest, DivergenceWritesNothing) {
  NetworkND repelling = NetworkND::Zero(Activation::kAbs, 2);
  repelling.skip = Eigen::MatrixXd::Identity(2, 2);
  WriteModelFile(work_ / "repelling.json", ModelNDToJson(repelling));
  ExpectCleanFailure("sample --model repelling.json --particles 20 --steps 3000 --step-size 1 "
                     "--out s.csv",
                     "sampling diverged at step ");
}

}  // namespace
}  // namespace convexscore
