#include "convexscore/io/noise_levels_json.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convexscore/common.h"
#include "convexscore/io/model_json.h"
#include "testutil/temp_directory.h"

namespace convexscore {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// A single-model document with one neuron whose output weight identifies it.
json Model(double a) {
  Network1D network;
  network.activation = Activation::kRelu;
  network.neurons = {{1.0, 0.0, a}};
  network.skip = -1.0;
  return {{"format", "convexscore-model"},
          {"version", 1},
          {"dimension", 1},
          {"network", Network1DToJson(network)}};
}

void ExpectInvalid(const json& document, const std::string& words) {
  EXPECT_THAT([&] { LoadNoiseLevels1D(document, "test"); },
              ::testing::ThrowsMessage<Error>(HasSubstr(words)))
      << document.dump();
}

TEST(NoiseLevelsJsonTest, RoundTripThroughAFile) {
  const json document =
      NoiseLevelsToJson({{2.0, Model(0.1)}, {1.0, Model(0.2)}, {0.25, Model(0.3)}});
  EXPECT_TRUE(HasNoiseLevels(document));
  EXPECT_FALSE(HasNoiseLevels(Model(0.1)));
  testutil::TempDirectory directory;
  WriteModelFile(directory / "levels.json", document);
  const std::vector<NoiseLevelModel1D> levels = LoadNoiseLevels1DFile(directory / "levels.json");
  ASSERT_EQ(levels.size(), 3u);
  EXPECT_EQ(levels[0].sigma, 2.0);
  EXPECT_EQ(levels[2].sigma, 0.25);
  EXPECT_EQ(levels[1].network.neurons.at(0).a, 0.2);
  EXPECT_EQ(levels[2].network.skip, -1.0);
}

TEST(NoiseLevelsJsonTest, FinestNetworkIsTheSmallestSigmasOrTheOnlyOne) {
  const json levels = NoiseLevelsToJson({{2.0, Model(0.1)}, {1.0, Model(0.2)}, {0.25, Model(0.3)}});
  const FinestNetwork1D finest = LoadFinestNetwork1D(levels);
  ASSERT_TRUE(finest.sigma.has_value());
  EXPECT_EQ(*finest.sigma, 0.25);
  EXPECT_EQ(finest.network.neurons.at(0).a, 0.3);
  EXPECT_FALSE(LoadFinestNetwork1D(Model(0.1)).sigma.has_value());
  // The d-D form reads the same documents (dimension 1).
  const FinestNetworkND finest_nd = LoadFinestNetworkND(levels);
  ASSERT_TRUE(finest_nd.sigma.has_value());
  EXPECT_EQ(*finest_nd.sigma, 0.25);
  EXPECT_EQ(finest_nd.network.a(0, 0), 0.3);
  const FinestNetworkND single = LoadFinestNetworkND(Model(0.1));
  EXPECT_FALSE(single.sigma.has_value());
  EXPECT_EQ(single.network.a(0, 0), 0.1);
}

TEST(NoiseLevelsJsonTest, EntriesInheritTheHeader) {
  // Entries with only sigma and network: format, version and dimension come from the top.
  json document = {
      {"format", "convexscore-model"}, {"version", 1}, {"noise_levels", json::array()}};
  for (double sigma : {0.9, 0.3}) {
    document["noise_levels"].push_back({{"sigma", sigma}, {"network", Model(sigma)["network"]}});
  }
  const std::vector<NoiseLevelModel1D> levels = LoadNoiseLevels1D(document);
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_EQ(levels[1].network.neurons.at(0).a, 0.3);
}

TEST(NoiseLevelsJsonTest, InvalidDocumentsNameTheProblem) {
  const json good = NoiseLevelsToJson({{2.0, Model(0.1)}, {1.0, Model(0.2)}});
  ExpectInvalid(json::array(), "invalid model test: the document is not a JSON object");
  json broken = good;
  broken["format"] = "other";
  ExpectInvalid(broken, "field 'format'");
  broken = good;
  broken["version"] = 2;
  ExpectInvalid(broken, "unsupported version 2");
  broken = good;
  broken["dimension"] = 2;
  ExpectInvalid(broken, "dimension 2 is not 1");
  broken = good;
  broken.erase("noise_levels");
  ExpectInvalid(broken, "missing field 'noise_levels'");
  broken["noise_levels"] = json::array();
  ExpectInvalid(broken, "'noise_levels' is empty");
  broken["noise_levels"] = 3;
  ExpectInvalid(broken, "'noise_levels' is not an array");
  broken = good;
  broken["noise_levels"][1] = "model";
  ExpectInvalid(broken, "noise_levels[1] is not an object");
  broken = good;
  broken["noise_levels"][0].erase("sigma");
  ExpectInvalid(broken, "missing field 'noise_levels[0].sigma'");
  broken = good;
  broken["noise_levels"][0]["sigma"] = "big";
  ExpectInvalid(broken, "'noise_levels[0].sigma' is not a number");
  broken = good;
  broken["noise_levels"][1]["sigma"] = 0.0;
  ExpectInvalid(broken, "'noise_levels[1].sigma' must be positive");
  broken["noise_levels"][1]["sigma"] = -1.0;
  ExpectInvalid(broken, "must be positive");
  broken["noise_levels"][1]["sigma"] = 2.0;
  ExpectInvalid(broken, "noise_levels[1].sigma = 2 is not below noise_levels[0].sigma = 2");
  broken["noise_levels"][1]["sigma"] = 3.0;
  ExpectInvalid(broken, "strictly decreasing sigma");
  broken = good;
  broken["noise_levels"][1]["dimension"] = 2;
  ExpectInvalid(broken, "noise_levels[1] has dimension 2 but the file has dimension 1");
  broken = good;
  broken["noise_levels"][1].erase("network");
  ExpectInvalid(broken, "invalid model test, noise_levels[1]: missing field 'network'");
  broken = good;
  broken["noise_levels"][0]["network"]["activation"] = "tanh";
  ExpectInvalid(broken, "noise_levels[0]: unknown activation 'tanh'");
}

}  // namespace
}  // namespace convexscore
