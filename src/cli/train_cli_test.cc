// End-to-end tests of `convexscore train`: the built binary is run in a fresh directory; the
// model file it writes is compared with the library's own training run and read back by the
// commands that take model files.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convexscore/data/denoising_data.h"
#include "convexscore/data/generators.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/numbers.h"
#include "convexscore/model/network1d.h"
#include "convexscore/training/nonconvex_training_1d.h"
#include "testutil/cli_runner.h"
#include "testutil/temp_directory.h"

namespace convexscore {
namespace {

using ::testing::HasSubstr;
using testutil::RunResult;

class TrainCliTest : public testutil::CliFixture {
 protected:
  nlohmann::json ReadModel(const std::string& name) const { return ReadModelFile(work_ / name); }
};

const char kGenerate[] = "--generate mixture --n 50 --seed 4 ";

TEST_F(TrainCliTest, ScoreMatchingModelIsTheLibrarysRunAndOtherCommandsReadIt) {
  const RunResult run =
      Run(std::string("train ") + kGenerate +
          "--objective sm --activation relu --width 12 --beta 0.1 --optimizer adam --lr 0.02 "
          "--epochs 80 --batch 16 --init-seed 5 --history-every 20 --out model.json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  for (const char* words : {"score matching", "final objective", "best objective",
                            "adam, lr 0.02, 80 epochs, batch 16, width 12, init seed 5",
                            "model written to    model.json"}) {
    EXPECT_THAT(run.out, HasSubstr(words));
  }

  const std::vector<double> x = Generate1D("mixture", 50, 4);
  NonconvexTraining1DOptions options;
  options.width = 12;
  options.beta = 0.1;
  options.learning_rate = 0.02;
  options.epochs = 80;
  options.batch = 16;
  options.init_seed = 5;
  const TrainingResult1D expected = TrainScoreMatching1D(x, options);

  const nlohmann::json model = ReadModel("model.json");
  const Network1D network = LoadNetwork1D(model);
  EXPECT_EQ(PackParameters(network, false), PackParameters(expected.network, false));
  EXPECT_EQ(model["status"], "trained");
  EXPECT_EQ(model["objective_kind"], "sm");
  EXPECT_EQ(model["objective"].get<double>(), expected.summary.final_objective);
  EXPECT_EQ(model["settings"]["beta"].get<double>(), 0.1);
  const nlohmann::json& training = model["training"];
  EXPECT_EQ(training["optimizer"], "adam");
  EXPECT_EQ(training["batch"], 16);
  EXPECT_EQ(training["epochs_run"], 80);
  EXPECT_EQ(training["steps"], 80 * 4);
  EXPECT_EQ(training["best_objective"].get<double>(), expected.summary.best_objective);
  EXPECT_EQ(training["history"].size(), 5u);  // epochs 0, 20, 40, 60, 80
  EXPECT_EQ(model["data"]["n"], 50);

  const RunResult score = Run("score --model model.json --x 0.5 --out score.csv");
  ASSERT_EQ(score.exit_code, 0) << score.err;
  EXPECT_THAT(testutil::ReadFileText(work_ / "score.csv"), HasSubstr("0.5,"));
  const RunResult sample = Run(
      "sample --model model.json --particles 50 --steps 10 --step-size 0.01 --quiet "
      "--out draws.csv");
  EXPECT_EQ(sample.exit_code, 0) << sample.err;
}

TEST_F(TrainCliTest, DenoisingModelRecordsItsNoiseAndObjective) {
  const RunResult run =
      Run(std::string("train ") + kGenerate +
          "--objective dsm --sigma 0.4 --copies 3 --noise-seed 9 --activation abs --skip "
          "--width 6 --beta 0.05 --optimizer gd --lr 0.05 --epochs 30 --quiet --out dsm.json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");
  const nlohmann::json model = ReadModel("dsm.json");
  EXPECT_EQ(model["objective_kind"], "dsm");
  EXPECT_EQ(model["settings"]["sigma"].get<double>(), 0.4);
  EXPECT_EQ(model["settings"]["copies"], 3);
  EXPECT_EQ(model["settings"]["noise_seed"], 9);
  EXPECT_TRUE(model["training"]["batch"].is_null());
  EXPECT_FALSE(model["training"].contains("adam"));
  const DenoisingData1D data = MakeDenoisingData1D(Generate1D("mixture", 50, 4), 0.4, 3, 9);
  const Network1D network = LoadNetwork1D(model);
  EXPECT_EQ(network.activation, Activation::kAbs);
  EXPECT_NEAR(model["objective"].get<double>(),
              DenoisingScoreMatchingObjective(network, data.inputs, data.targets, 0.05), 1e-12);
}

TEST_F(TrainCliTest, BadInputFailsCleanly) {
  const std::string base = std::string("train ") + kGenerate + "--activation relu --out m.json ";
  const std::string sm = base + "--objective sm ";
  const std::string good = "--beta 0.1 --lr 0.01 --epochs 10 ";
  ExpectCleanFailure(sm + good + "--width 0", "--width: need 1 <= N");
  ExpectCleanFailure(sm + "--width 4 --beta 0.1 --lr 0 --epochs 10", "--lr: need a value > 0");
  ExpectCleanFailure(sm + "--width 4 --beta 0.1 --lr -1 --epochs 10", "--lr: need a value > 0");
  ExpectCleanFailure(sm + "--width 4 --beta 0.1 --lr nan --epochs 10", "--lr");
  ExpectCleanFailure(sm + "--width 4 --beta 0.1 --lr 0.01 --epochs 0", "--epochs: need 1 <= N");
  ExpectCleanFailure(sm + good + "--width 4 --batch 0", "--batch: need 1 <= N");
  ExpectCleanFailure(sm + "--width 4 --beta 0 --lr 0.01 --epochs 10", "--beta: need a value > 0");
  ExpectCleanFailure(base + "--objective dsm --width 4 " + good, "--objective dsm needs --sigma");
  ExpectCleanFailure(sm + good + "--width 4 --sigma 0.5", "--sigma is only used with");
  ExpectCleanFailure(base + "--objective dsm --sigma -1 --width 4 " + good, "--sigma");
  ExpectCleanFailure(sm + good + "--width 4 --optimizer sgd", "--optimizer");
  // A learning rate far beyond stability: the objective overflows and the run stops.
  ExpectCleanFailure(sm + "--width 4 --beta 0.1 --optimizer gd --lr 50 --epochs 5000",
                     "training diverged at epoch ");
}

TEST_F(TrainCliTest, StartsFromAFitsModelFile) {
  const std::string data = std::string(kGenerate) + "--activation abs --skip --beta 0.1 ";
  ASSERT_EQ(Run("fit " + data + "--quiet --out fit.json").exit_code, 0);
  const RunResult run = Run("train " + data +
                            "--objective sm --init-model fit.json --optimizer gd --lr 1e-9 "
                            "--epochs 2 --quiet --out trained.json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json fit = ReadModel("fit.json");
  const nlohmann::json trained = ReadModel("trained.json");
  EXPECT_EQ(trained["training"]["start"]["kind"], "model_file");
  EXPECT_EQ(trained["training"]["width"], fit["network"]["neurons"].size());
  // Started at the optimum: the recorded start is the fit's objective (the network's value).
  EXPECT_NEAR(trained["training"]["initial_objective"].get<double>(),
              fit["network_objective"].get<double>(), 1e-12);
  ExpectCleanFailure("train " + data + "--objective sm --init-model fit.json --width 999 "
                     "--lr 0.1 --epochs 1 --out other.json",
                     "units but --width is 999");
  ExpectCleanFailure("train " + std::string(kGenerate) +
                         "--activation relu --beta 0.1 --objective sm --init-model fit.json "
                         "--lr 0.1 --epochs 1 --out other.json",
                     "has activation abs, not relu");
  ExpectCleanFailure("train " + data + "--objective sm --lr 0.1 --epochs 1 --out other.json",
                     "--width M is required");
}

// `fit --objective dsm` writes a noise-levels file; train starts from its model at --sigma,
// and with the same --copies and the level's noise seed (fit's --noise-seed plus the level
// index) that model is the optimum of the same objective.
TEST_F(TrainCliTest, StartsFromTheMatchingLevelOfADsmFit) {
  const std::string data = std::string(kGenerate) + "--activation relu --beta 0.05 ";
  ASSERT_EQ(Run("fit " + data + "--objective dsm --sigmas 0.5,0.1 --copies 3 --noise-seed 7 "
                "--quiet --out levels.json")
                .exit_code,
            0);
  const nlohmann::json levels = ReadModel("levels.json");
  for (int l = 0; l < 2; ++l) {
    const double sigma = l == 0 ? 0.5 : 0.1;
    SCOPED_TRACE("sigma " + std::to_string(sigma));
    const nlohmann::json& level = levels["noise_levels"][l];
    ASSERT_EQ(level["settings"]["noise_seed"], 7 + l);
    const RunResult run =
        Run("train " + data + "--objective dsm --sigma " + (l == 0 ? "0.5" : "0.1") +
            " --copies 3 --noise-seed " + std::to_string(7 + l) +
            " --init-model levels.json --optimizer gd --lr 1e-12 --epochs 1 --quiet "
            "--out trained.json");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const nlohmann::json trained = ReadModel("trained.json");
    EXPECT_EQ(trained["training"]["width"], level["network"]["neurons"].size());
    const double optimum = level["objective"].get<double>();
    EXPECT_NEAR(trained["training"]["initial_objective"].get<double>(), optimum,
                1e-9 * optimum);
  }
  ExpectCleanFailure("train " + data + "--objective dsm --sigma 0.2 --copies 3 --init-model "
                     "levels.json --lr 0.1 --epochs 1 --out other.json",
                     "has no model at sigma 0.2 (its noise levels: 0.5, 0.1)");
  ExpectCleanFailure("train " + data + "--objective sm --init-model levels.json --lr 0.1 "
                     "--epochs 1 --out other.json",
                     "holds denoising models at noise levels 0.5, 0.1");
}

TEST_F(TrainCliTest, SeedIsTheRunsSeedWithDataFromAFile) {
  // Issue 4's contract: `train --data FILE ... --seed S`. --seed seeds the initial weights
  // unless --init-seed is given.
  std::string csv = "x\n";
  for (double v : Generate1D("gaussian", 40, 2)) csv += FormatDouble(v) + "\n";
  work_.Write("data.csv", csv);
  const std::string common =
      "train --data data.csv --objective sm --activation relu --width 6 --beta 0.1 "
      "--optimizer gd --lr 0.05 --epochs 20 --quiet ";
  for (const char* run : {"--seed 3 --out a.json", "--seed 3 --out b.json",
                          "--seed 4 --out c.json", "--seed 4 --init-seed 3 --out d.json"}) {
    ASSERT_EQ(Run(common + run).exit_code, 0) << run;
  }
  EXPECT_EQ(ReadModel("a.json")["network"], ReadModel("b.json")["network"]);
  EXPECT_NE(ReadModel("a.json")["network"], ReadModel("c.json")["network"]);
  EXPECT_EQ(ReadModel("a.json")["network"], ReadModel("d.json")["network"]);
}

TEST_F(TrainCliTest, HelpNamesTheOptions) {
  const RunResult help = Run("train --help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* option : {"--objective", "--sigma", "--copies", "--width", "--optimizer",
                             "--lr", "--epochs", "--batch", "--init-seed"}) {
    EXPECT_THAT(help.out, HasSubstr(option));
  }
}

}  // namespace
}  // namespace convexscore
