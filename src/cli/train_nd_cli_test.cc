// End-to-end tests of `convexscore train` on d-D data: SM and multi-level DSM model files that
// `score` and `sample --annealed` read, objectives that match the library's independent
// evaluation on the same (regenerated) noisy inputs, a start at the convex DSM fit, and the
// bad-input contract.
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convexscore/data/csv.h"
#include "convexscore/data/denoising_data.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/model_nd_json.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/model/network_nd.h"
#include "testutil/cli_runner.h"

namespace convexscore {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testutil::RunResult;

class TrainNDCliTest : public testutil::CliFixture {
 protected:
  void SetUp() override {
    std::ofstream out(work_ / "points.csv");
    out << "a,b,label\n";
    for (int i = 0; i < x_.rows(); ++i) out << x_(i, 0) << ',' << x_(i, 1) << ",k" << i << '\n';
  }
  const Eigen::MatrixXd x_ = (Eigen::MatrixXd(6, 2) << -1.0, 0.25, 0.5, 1.0, 1.25, -0.75, -0.5,
                              -1.5, 0.1, 0.3, 2.0, 0.4)
                                 .finished();
  const std::string train_ =
      "train --data points.csv --columns a,b --activation relu --beta 0.1 --lr 0.01 ";
};

TEST_F(TrainNDCliTest, ScoreMatchingWritesAModelScoreAndSampleRead) {
  const RunResult run =
      Run(train_ + "--objective sm --width 5 --epochs 40 --penalize-biases --out sm.json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* words : {"score matching", "2-D, shared hidden layer", "biases penalized",
                            "adam, lr 0.01, 40 epochs", "model written to"}) {
    EXPECT_THAT(run.out, HasSubstr(words));
  }
  const json document = ReadModelFile(work_ / "sm.json");
  EXPECT_EQ(document["status"], "trained");
  EXPECT_EQ(document["objective_kind"], "sm");
  EXPECT_EQ(document["settings"]["bias_decay"], "penalized");
  EXPECT_EQ(document["coordinate_names"], json::array({"a", "b"}));
  EXPECT_EQ(document["data"]["n"], 6);
  EXPECT_EQ(document["training"]["history"].size(), 5u);  // epochs 0, 10, 20, 30, 40
  const NetworkND network = LoadNetworkNDFile(work_ / "sm.json");
  EXPECT_EQ(network.neurons(), 5);
  EXPECT_NEAR(document["objective"].get<double>(),
              ScoreMatchingObjective(network, x_, 0.1, BiasDecay::kPenalized), 1e-12);
  ASSERT_EQ(Run("score --model sm.json --points points.csv --columns a,b --out s.csv").exit_code, 0);
  ASSERT_EQ(Run("sample --model sm.json --particles 20 --steps 10 --step-size 0.01 --out x.csv "
                "--quiet").exit_code, 0);
}

TEST_F(TrainNDCliTest, DenoisingLevelsSeeTheNoiseFitSeesAndSampleAnnealedReadsThem) {
  const RunResult run = Run(train_ + "--objective dsm --sigmas 0.5,0.1 --copies 3 --noise-seed 7 "
                                     "--width 4 --epochs 30 --out levels.json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("sigma 0.5"));
  EXPECT_THAT(run.out, HasSubstr("sigma 0.1"));
  const json document = ReadModelFile(work_ / "levels.json");
  const std::vector<NoiseLevelModelND> levels = LoadNoiseLevelsNDFile(work_ / "levels.json");
  ASSERT_EQ(levels.size(), 2u);
  for (std::size_t l = 0; l < 2; ++l) {
    SCOPED_TRACE("level " + std::to_string(l));
    const json& entry = document["noise_levels"][l];
    EXPECT_EQ(entry["settings"]["noise_seed"], 7 + l);
    const DenoisingDataND noisy = MakeDenoisingDataND(x_, levels[l].sigma, 3, 7 + l);
    EXPECT_NEAR(entry["objective"].get<double>(),
                DenoisingScoreMatchingObjective(levels[l].network, noisy.inputs, noisy.targets, 0.1),
                1e-12 * std::max(1.0, entry["objective"].get<double>()));
  }
  ASSERT_EQ(Run("sample --model levels.json --annealed --particles 20 --steps 5 --step-size 0.001 "
                "--out x.csv --quiet").exit_code, 0);
}

// Started at the convex fit of the same objective (same data, copies, noise seed and level), the
// first objective training evaluates is the convex fit's network objective: the two programs
// agree on the noisy inputs and on the objective.
TEST_F(TrainNDCliTest, StartsAtTheConvexFitOfTheSameLevel) {
  ASSERT_EQ(Run("fit --objective dsm --data points.csv --columns a,b --activation relu "
                "--beta 0.1 --sigmas 0.2 --copies 2 --noise-seed 4 --out convex.json --quiet")
                .exit_code, 0);
  const json convex = ReadModelFile(work_ / "convex.json");
  const RunResult run = Run(train_ + "--objective dsm --sigma 0.2 --copies 2 --noise-seed 4 "
                                     "--epochs 1 --init-model convex.json --out t.json --quiet");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json trained = ReadModelFile(work_ / "t.json");
  const double start = trained["training"]["initial_objective"].get<double>();
  EXPECT_NEAR(start, convex["noise_levels"][0]["network_objective"].get<double>(),
              1e-10 * std::max(1.0, std::abs(start)));
}

TEST_F(TrainNDCliTest, BadInputFailsCleanly) {
  const std::string good = "--width 3 --epochs 2 --out m.json";
  ExpectCleanFailure(train_ + "--objective dsm " + good, "--objective dsm needs --sigma");
  ExpectCleanFailure(train_ + "--objective sm --copies 2 " + good, "--copies and --noise-seed need");
  ExpectCleanFailure(train_ + "--objective dsm --sigmas 0.1,0.5 " + good, "--sigmas");
  ExpectCleanFailure(train_ + "--objective dsm --sigmas 0.5,-0.1 " + good, "--sigmas");
  ExpectCleanFailure("train --data points.csv --column a --activation relu --beta 0.1 --lr 0.01 "
                     "--objective dsm --sigmas 0.5,0.1 " + good, "--sigmas is for d-D data");
  ExpectCleanFailure("train --data points.csv --column a --activation relu --beta 0.1 --lr 0.01 "
                     "--objective sm --penalize-biases " + good, "--penalize-biases is for d-D");
  ExpectCleanFailure("train --data points.csv --columns a,zz --activation relu --beta 0.1 "
                     "--lr 0.01 --objective sm " + good, "zz");
  ExpectCleanFailure("train --data points.csv --columns a,label --activation relu --beta 0.1 "
                     "--lr 0.01 --objective sm " + good, "points.csv");
  ExpectCleanFailure(train_ + "--objective sm --width 3 --epochs 2 --init-model nothing.json "
                              "--out m.json", "nothing.json");
}

}  // namespace
}  // namespace convexscore
