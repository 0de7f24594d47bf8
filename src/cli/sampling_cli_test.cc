// End-to-end tests of `convexscore sample` and `convexscore limit`: the built binary is run in
// a fresh directory; the files it leaves are compared with the library's own results.
#include <cmath>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convexscore/data/csv.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/model/network1d.h"
#include "convexscore/sampling/langevin.h"
#include "convexscore/sampling/stationary_law.h"
#include "testutil/cli_runner.h"
#include "testutil/temp_directory.h"

namespace convexscore {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A bimodal-looking score: f(x) = -x + relu terms (6 kinks), normalisable.
Network1D BimodalNetwork() {
  Network1D network;
  network.skip = -1.0;
  network.output_bias = 0.1;
  network.neurons = {{1.0, 1.0, 0.8},  {1.0, -0.5, -0.9}, {-1.0, 0.2, -0.3},
                     {2.0, -1.0, 0.4}, {-1.0, -1.5, 0.6}, {1.0, 2.0, -0.2}};
  return network;
}

json ModelDocument(const Network1D& network) {
  return {{"format", "convexscore-model"},
          {"version", 1},
          {"dimension", 1},
          {"network", Network1DToJson(network)}};
}

class SamplingCliTest : public testutil::CliFixture {
 protected:
  void SetUp() override {
    WriteModelFile(work_ / "model.json", ModelDocument(BimodalNetwork()));
  }

  std::vector<double> ReadSamples(const std::string& name) const {
    const CsvColumn column = ReadCsvColumn(work_ / name, CsvColumnSelector::Parse("x"));
    EXPECT_TRUE(column.has_header);
    return column.values;
  }
};

TEST_F(SamplingCliTest, SamplesMatchTheLibraryForAnyThreadCount) {
  const std::string sample =
      "sample --model model.json --particles 301 --steps 200 "
      "--step-size 0.02 --seed 7 --init uniform:-1:1 ";
  const testutil::RunResult one = Run(sample + "--threads 1 --out one.csv");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.err, "") << "no progress display when stderr is not a terminal";
  EXPECT_THAT(one.out, HasSubstr("301 particles, 200 steps, step size 0.02"));
  EXPECT_THAT(one.out, HasSubstr("samples written to one.csv"));
  const testutil::RunResult two = Run(sample + "--threads 2 --out two.csv --quiet");
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(two.out, "");
  EXPECT_EQ(testutil::ReadFileText(work_ / "one.csv"), testutil::ReadFileText(work_ / "two.csv"));
  EXPECT_THAT(testutil::ReadFileText(work_ / "one.csv"), ::testing::StartsWith("x\n"));

  LangevinOptions options;
  options.particles = 301;
  options.steps = 200;
  options.step_size = 0.02;
  options.seed = 7;
  options.init = LangevinInit::Uniform(-1.0, 1.0);
  EXPECT_EQ(ReadSamples("one.csv"),
            SampleLangevin(ToPiecewiseLinear(BimodalNetwork()), options).samples);
  EXPECT_THAT(work_.Names(), ElementsAre("model.json", "one.csv", "two.csv"));
}

TEST_F(SamplingCliTest, AnnealedSamplingOverNoiseLevels) {
  Network1D wide;
  wide.skip = -0.25;
  const json levels = NoiseLevelsToJson({{2.0, ModelDocument(wide)},
                                         {1.0, ModelDocument(BimodalNetwork())},
                                         {0.5, ModelDocument(BimodalNetwork())}});
  WriteModelFile(work_ / "levels.json", levels);
  const testutil::RunResult run =
      Run("sample --model levels.json --annealed --particles 100 --steps 50 --step-size 0.01 "
          "--seed 3 --out s.csv");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("at each of 3 noise levels (sigma 2 to 0.5, step size 0.16 to "
                                 "0.01)"));
  std::vector<NoiseLevelScore> scores;
  for (const NoiseLevelModel1D& level : LoadNoiseLevels1D(levels)) {
    scores.push_back({level.sigma, ToPiecewiseLinear(level.network)});
  }
  LangevinOptions options;
  options.particles = 100;
  options.steps = 50;
  options.step_size = 0.01;
  options.seed = 3;
  EXPECT_EQ(ReadSamples("s.csv"), SampleAnnealedLangevin(scores, options).samples);

  ExpectCleanFailure(
      "sample --model levels.json --particles 10 --steps 5 --step-size 0.1 "
      "--out t.csv",
      "levels.json holds models at 3 noise levels: sample it with --annealed");
  ExpectCleanFailure(
      "sample --model model.json --annealed --particles 10 --steps 5 "
      "--step-size 0.1 --out t.csv",
      "--annealed needs a model file with noise levels");
  json unordered = levels;
  unordered["noise_levels"][2]["sigma"] = 1.0;
  WriteModelFile(work_ / "unordered.json", unordered);
  ExpectCleanFailure(
      "sample --model unordered.json --annealed --particles 10 --steps 5 "
      "--step-size 0.1 --out t.csv",
      "noise_levels[2].sigma = 1 is not below noise_levels[1].sigma = 1");
}

TEST_F(SamplingCliTest, StartFromDataPoints) {
  WriteCsvTable(work_ / "points.csv", {"id", "v"},
                std::vector<std::vector<double>>{{1, 2, 3}, {-4.5, 0.25, 8}});
  // A step of 1e-300 moves a particle by ~1e-150: the samples are the starting points.
  const testutil::RunResult run =
      Run("sample --model model.json --particles 50 --steps 1 --step-size 1e-300 --init data "
          "--data points.csv --column v --out s.csv --quiet");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (double x : ReadSamples("s.csv")) EXPECT_THAT(x, ::testing::AnyOf(-4.5, 0.25, 8.0));
  const std::string sample =
      "sample --model model.json --particles 5 --steps 5 --step-size 0.1 "
      "--out t.csv ";
  ExpectCleanFailure(sample + "--init data", "--init data needs --data FILE.csv");
  ExpectCleanFailure(sample + "--data points.csv", "--data is only used with --init data");
  ExpectCleanFailure(sample + "--init data --data missing.csv", "cannot read missing.csv");
  ExpectCleanFailure(sample + "--init data --data points.csv --column w", "no column named 'w'");
}

TEST_F(SamplingCliTest, BadSampleArguments) {
  const std::string sample = "sample --model model.json --out s.csv ";
  const std::string counts = "--particles 10 --steps 10 ";
  ExpectCleanFailure(sample + counts + "--step-size 0", "--step-size: need eps > 0");
  ExpectCleanFailure(sample + counts + "--step-size -0.1", "--step-size: need eps > 0");
  ExpectCleanFailure(sample + counts + "--step-size nan", "--step-size: 'nan' is not a finite");
  ExpectCleanFailure(sample + counts + "--step-size big", "--step-size: 'big' is not a number");
  ExpectCleanFailure(sample + "--particles 0 --steps 10 --step-size 0.1",
                     "--particles: need 1 <= N");
  ExpectCleanFailure(sample + "--particles -3 --steps 10 --step-size 0.1",
                     "--particles: need 1 <= N");
  ExpectCleanFailure(sample + "--particles 2.5 --steps 10 --step-size 0.1",
                     "--particles: '2.5' is not an integer");
  ExpectCleanFailure(sample + "--particles 10 --steps 0 --step-size 0.1", "--steps: need 1 <= N");
  ExpectCleanFailure(sample + counts + "--step-size 0.1 --threads -1", "--threads: need 0 <= K");
  ExpectCleanFailure(sample + counts + "--step-size 0.1 --seed -1",
                     "--seed: '-1' is not a non-negative integer");
  ExpectCleanFailure(sample + counts + "--step-size 0.1 --init cauchy",
                     "--init: unknown start 'cauchy'");
  ExpectCleanFailure(sample + counts + "--step-size 0.1 --init uniform:2:1",
                     "--init: start 'uniform:2:1': need LO < HI");
}

TEST_F(SamplingCliTest, BadModelsAndOutputsLeaveNoFile) {
  const std::string run = "sample --particles 10 --steps 10 --step-size 0.1 ";
  ExpectCleanFailure(run + "--model none.json --out s.csv", "cannot read none.json");
  work_.Write("text.json", "{ not json");
  ExpectCleanFailure(run + "--model text.json --out s.csv",
                     "invalid model file text.json: not valid JSON");
  work_.Write("nonet.json", R"({"format": "convexscore-model", "version": 1})");
  ExpectCleanFailure(run + "--model nonet.json --out s.csv", "missing field 'network'");
  // A univariate network under "dimension": 2 (d-D networks have "network.dimension").
  work_.Write("twod.json", R"({"format": "convexscore-model", "version": 1, "dimension": 2,
      "network": {"activation": "relu", "neurons": [], "output_bias": 0, "skip": 0}})");
  ExpectCleanFailure(run + "--model twod.json --out s.csv", "dimension 2 is not 1");
  ExpectCleanFailure(run + "--model model.json --out /nonexistent_dir/s.csv",
                     "cannot write /nonexistent_dir/s.csv");
  ExpectCleanFailure(run + "--model model.json --out model.json/s.csv",
                     "cannot write model.json/s.csv");
  std::filesystem::create_directory(work_ / "outdir");
  ExpectCleanFailure(run + "--model model.json --out outdir", "it is a directory");
}

TEST_F(SamplingCliTest, DivergenceNamesTheStepAndKeepsTheOldOutput) {
  Network1D stiff;
  stiff.skip = -1000.0;
  WriteModelFile(work_ / "stiff.json", ModelDocument(stiff));
  work_.Write("s.csv", "x\n1\n");
  ExpectCleanFailure(
      "sample --model stiff.json --particles 20 --steps 2000 --step-size 0.01 "
      "--out s.csv",
      "sampling diverged at step ");
  EXPECT_EQ(testutil::ReadFileText(work_ / "s.csv"), "x\n1\n");
  ExpectCleanFailure(
      "sample --model stiff.json --particles 20 --steps 2000 --step-size 0.01 "
      "--out fresh.csv",
      "the step size is too large for this score");
}

TEST_F(SamplingCliTest, LimitPrintsTheMomentsAndWritesTheDensity) {
  const StationaryLaw1D law(ToPiecewiseLinear(BimodalNetwork()));
  const testutil::RunResult run = Run("limit --model model.json --out density.csv");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json report = json::parse(run.out);
  EXPECT_EQ(report["normalisable"], true);
  EXPECT_EQ(report["mean"].get<double>(), law.Mean());
  EXPECT_EQ(report["variance"].get<double>(), law.Variance());
  EXPECT_EQ(report["std"].get<double>(), std::sqrt(law.Variance()));
  EXPECT_EQ(report["median"].get<double>(), law.Quantile(0.5));
  EXPECT_EQ(report["density_file"], "density.csv");
  EXPECT_EQ(report["grid"]["count"], 401);
  EXPECT_THAT(testutil::ReadFileText(work_ / "density.csv"),
              ::testing::StartsWith("x,density,cdf\n"));
  const auto column = [&](const char* name) {
    return ReadCsvColumn(work_ / "density.csv", CsvColumnSelector::Parse(name)).values;
  };
  const std::vector<double> x = column("x"), density = column("density"), cdf = column("cdf");
  ASSERT_EQ(x.size(), 401u);
  for (std::size_t i = 0; i < x.size(); i += 40) {
    EXPECT_EQ(density[i], law.Density(x[i]));
    EXPECT_EQ(cdf[i], law.Cdf(x[i]));
  }
  EXPECT_LT(cdf.front(), 1e-4);
  EXPECT_GT(cdf.back(), 1 - 1e-4);

  const testutil::RunResult grid = Run("limit --model model.json --out g.csv --grid -3:3:7");
  ASSERT_EQ(grid.exit_code, 0) << grid.err;
  EXPECT_THAT(ReadCsvColumn(work_ / "g.csv", CsvColumnSelector::Parse("x")).values,
              ElementsAre(-3, -2, -1, 0, 1, 2, 3));
  // Without --out only the report is printed.
  const testutil::RunResult printed = Run("limit --model model.json");
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_FALSE(json::parse(printed.out).contains("density_file"));
  EXPECT_THAT(work_.Names(), ElementsAre("density.csv", "g.csv", "model.json"));
}

TEST_F(SamplingCliTest, LimitOfANoiseLevelFileUsesTheSmallestSigma) {
  Network1D narrow;
  narrow.skip = -4.0;
  WriteModelFile(work_ / "levels.json", NoiseLevelsToJson({{1.0, ModelDocument(BimodalNetwork())},
                                                           {0.1, ModelDocument(narrow)}}));
  const testutil::RunResult run = Run("limit --model levels.json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json report = json::parse(run.out);
  EXPECT_EQ(report["sigma"], 0.1);
  EXPECT_NEAR(report["variance"].get<double>(), 0.25, 1e-14);
}

TEST_F(SamplingCliTest, LimitOfANonNormalisableModel) {
  Network1D growing;
  growing.skip = 0.5;
  WriteModelFile(work_ / "growing.json", ModelDocument(growing));
  const testutil::RunResult run = Run("limit --model growing.json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json report = json::parse(run.out);
  EXPECT_EQ(report["normalisable"], false);
  EXPECT_THAT(report["reason"].get<std::string>(), HasSubstr("does not decay"));
  EXPECT_FALSE(report.contains("mean"));
  ExpectCleanFailure("limit --model growing.json --out d.csv",
                     "the stationary law of growing.json is not normalisable");
}

TEST_F(SamplingCliTest, BadLimitArguments) {
  ExpectCleanFailure("limit --model none.json", "cannot read none.json");
  ExpectCleanFailure("limit --model model.json --grid -1:1:5", "--grid is used with --out");
  ExpectCleanFailure("limit --model model.json --out d.csv --grid 1:-1:5", "--grid: need LO < HI");
  ExpectCleanFailure("limit --model model.json --out d.csv --grid 0:1:1",
                     "--grid: need 2 <= COUNT");
  ExpectCleanFailure("limit --model model.json --out /nonexistent_dir/d.csv",
                     "cannot write /nonexistent_dir/d.csv");
  work_.Write("bad.json", R"({"format": "convexscore-model", "version": 1, "network":
      {"activation": "relu", "neurons": [{"w": 1, "b": 0, "a": "x"}], "output_bias": 0,
       "skip": -1}})");
  ExpectCleanFailure("limit --model bad.json --out d.csv",
                     "field 'network.neurons[0].a' is not a number");
}

}  // namespace
}  // namespace convexscore
