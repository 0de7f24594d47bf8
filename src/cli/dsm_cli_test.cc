// End-to-end tests of `convexscore fit --objective dsm`: one convex denoising score-matching fit
// per noise level, written as one noise-levels model file that `sample --annealed` reads.
#include <cmath>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convexscore/data/csv.h"
#include "convexscore/data/denoising_data.h"
#include "convexscore/data/generators.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/model/network1d.h"
#include "convexscore/programs/denoising_score_matching_1d.h"
#include "testutil/cli_runner.h"

namespace convexscore {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testutil::RunResult;

class DsmCliTest : public testutil::CliFixture {
 protected:
  const std::string fit_ = "fit --generate mixture --n 40 --seed 3 --activation relu ";
};

TEST_F(DsmCliTest, FitsOneCertifiedModelPerSigmaThenSamplesAnnealed) {
  const RunResult fit = Run(fit_ + "--beta 0.05 --objective dsm --sigmas 0.5,0.2,0.05 "
                                   "--copies 3 --noise-seed 11 --out levels.json");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_EQ(fit.err, "");
  for (const char* words : {"denoising score matching", "sigma 0.5", "sigma 0.2", "sigma 0.05",
                            "optimal", "relative gap", "3 copies per point",
                            "model written to"}) {
    EXPECT_THAT(fit.out, HasSubstr(words));
  }

  const json document = ReadModelFile(work_ / "levels.json");
  ASSERT_TRUE(HasNoiseLevels(document));
  const std::vector<NoiseLevelModel1D> levels = LoadNoiseLevels1DFile(work_ / "levels.json");
  ASSERT_EQ(levels.size(), 3u);
  const std::vector<double> x = Generate1D("mixture", 40, 3);
  const std::vector<double> sigmas = {0.5, 0.2, 0.05};
  for (std::size_t l = 0; l < 3; ++l) {
    SCOPED_TRACE("level " + std::to_string(l));
    const json& entry = document["noise_levels"][l];
    EXPECT_EQ(levels[l].sigma, sigmas[l]);
    EXPECT_EQ(entry["status"], "optimal");
    EXPECT_EQ(entry["objective_kind"], "dsm");
    EXPECT_EQ(entry["settings"]["objective"], "dsm");
    EXPECT_EQ(entry["settings"]["sigma"], sigmas[l]);
    EXPECT_EQ(entry["settings"]["copies"], 3);
    EXPECT_EQ(entry["settings"]["noise_seed"], 11 + l);
    EXPECT_EQ(entry["data"]["n"], 40);
    EXPECT_EQ(entry["data"]["noisy_inputs"], 120);
    EXPECT_LE(std::abs(entry["relative_gap"].get<double>()), 1e-9);
    // The file's network is the library's fit on the same noisy data, and attains the
    // recorded objective.
    const DenoisingData1D noisy = MakeDenoisingData1D(x, sigmas[l], 3, 11 + l);
    const DenoisingScoreMatching1DResult fit_here = FitDenoisingScoreMatching1D(
        noisy, {.activation = Activation::kRelu, .beta = 0.05});
    EXPECT_NEAR(entry["objective"].get<double>(), fit_here.summary.objective,
                1e-12 * std::abs(fit_here.summary.objective));
    EXPECT_NEAR(DenoisingScoreMatchingObjective(levels[l].network, noisy.inputs, noisy.targets,
                                                0.05),
                entry["objective"].get<double>(), 1e-9 * entry["objective"].get<double>());
    EXPECT_EQ(entry["beta_max"].get<double>(), fit_here.beta_max);
  }

  const RunResult sample = Run("sample --model levels.json --annealed --particles 50 --steps 20 "
                               "--step-size 0.001 --init uniform:-3:3 --out draws.csv --quiet");
  ASSERT_EQ(sample.exit_code, 0) << sample.err;
  const CsvColumn draws = ReadCsvColumn(work_ / "draws.csv", CsvColumnSelector::Parse("x"));
  ASSERT_EQ(draws.values.size(), 50u);
  for (double v : draws.values) EXPECT_TRUE(std::isfinite(v));
  EXPECT_THAT(work_.Names(), ElementsAre("draws.csv", "levels.json"));
}

TEST_F(DsmCliTest, NoiseSeedDefaultsToTheDataSeed) {
  ASSERT_EQ(Run(fit_ + "--beta 0.1 --objective dsm --sigmas 0.3 --out a.json --quiet").exit_code,
            0);
  ASSERT_EQ(Run(fit_ + "--beta 0.1 --objective dsm --sigmas 0.3 --noise-seed 3 --out b.json "
                       "--quiet")
                .exit_code,
            0);
  const json a = ReadModelFile(work_ / "a.json"), b = ReadModelFile(work_ / "b.json");
  EXPECT_EQ(a["noise_levels"][0]["settings"]["noise_seed"], 3);
  EXPECT_EQ(a["noise_levels"][0]["network"], b["noise_levels"][0]["network"]);
  EXPECT_EQ(a["noise_levels"][0]["settings"]["copies"], 5);
}

TEST_F(DsmCliTest, BadInputFailsCleanly) {
  const std::string dsm = fit_ + "--objective dsm --out levels.json ";
  ExpectCleanFailure(dsm + "--beta 0.1 --sigmas 0.5,0", "sigma 0 is not positive");
  ExpectCleanFailure(dsm + "--beta 0.1 --sigmas -0.5", "sigma -0.5 is not positive");
  ExpectCleanFailure(dsm + "--beta 0.1 --sigmas 0.1,0.5", "strictly decrease (0.1 then 0.5)");
  ExpectCleanFailure(dsm + "--beta 0.1 --sigmas 0.5,0.5", "strictly decrease");
  ExpectCleanFailure(dsm + "--beta 0.1 --sigmas 0.5,abc", "--sigmas: 'abc' is not a number");
  ExpectCleanFailure(dsm + "--beta 0.1", "needs --sigmas");
  ExpectCleanFailure(dsm + "--beta 0.1 --sigmas 0.5 --copies 0", "--copies must be between 1");
  ExpectCleanFailure(dsm + "--beta 0.1 --sigmas 0.5 --copies -2", "--copies must be between 1");
  ExpectCleanFailure(dsm + "--beta 0 --sigmas 0.5", "beta must be positive");
  ExpectCleanFailure(dsm + "--beta -1 --sigmas 0.5", "beta must be positive");
  ExpectCleanFailure(fit_ + "--beta 0.1 --sigmas 0.5 --out m.json", "--sigmas needs --objective dsm");
  ExpectCleanFailure(fit_ + "--beta 0.1 --copies 2 --out m.json", "--copies needs --objective dsm");
  work_.Write("data.csv", "x\n1.0\nnan\n2.0\n");
  ExpectCleanFailure("fit --data data.csv --activation relu --beta 0.1 --objective dsm "
                     "--sigmas 0.5 --out levels.json",
                     "data.csv");
}

}  // namespace
}  // namespace convexscore
