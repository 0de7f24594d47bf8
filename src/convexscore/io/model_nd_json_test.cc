// Tests of the d-D model file: bit-for-bit round trips (text and file), univariate documents
// read as NetworkND, d-D noise-level files, and every invalid case with the field it names.

#include "convexscore/io/model_nd_json.h"

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/io/model_json.h"
#include "convexscore/io/noise_levels_json.h"
#include "testutil/error_of.h"
#include "testutil/temp_directory.h"

namespace convexscore {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testutil::ErrorOf;

// Weights with full 17-digit mantissas and exponents from 2^-300 to 2^300, plus a subnormal:
// a writer that rounds or a reader that is not exact fails.
NetworkND Awkward(int d, int m, bool skip, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-300, 300);
  const auto draw = [&] { return std::ldexp(unit(rng), exponent(rng)) / 3.0; };
  NetworkND net = NetworkND::Zero(Activation::kAbs, d);
  net.w = RowMatrixXd::NullaryExpr(m, d, draw);
  net.b = Eigen::VectorXd::NullaryExpr(m, draw);
  net.a = RowMatrixXd::NullaryExpr(m, d, draw);
  net.output_bias = Eigen::VectorXd::NullaryExpr(d, draw);
  if (skip) net.skip = Eigen::MatrixXd::NullaryExpr(d, d, draw);
  net.b[0] = 5e-324;  // the smallest subnormal
  return net;
}

void ExpectIdentical(const NetworkND& x, const NetworkND& y) {
  EXPECT_EQ(x.activation, y.activation);
  EXPECT_EQ(x.w, y.w);
  EXPECT_EQ(x.b, y.b);
  EXPECT_EQ(x.a, y.a);
  EXPECT_EQ(x.output_bias, y.output_bias);
  ASSERT_EQ(x.skip.has_value(), y.skip.has_value());
  if (x.skip) {
    EXPECT_EQ(*x.skip, *y.skip);
  }
}

TEST(ModelNDJson, RoundTripsBitForBitThroughText) {
  for (bool skip : {false, true}) {
    const NetworkND net = Awkward(3, 5, skip, skip ? 1 : 2);
    const json model = ModelNDToJson(net, {"x", "y", "z"});
    EXPECT_EQ(model["dimension"], 3);
    EXPECT_EQ(model["network"]["dimension"], 3);
    EXPECT_EQ(model["network"]["skip"].is_null(), !skip);
    const json reparsed = json::parse(ModelJsonText(model));
    ExpectIdentical(LoadNetworkND(reparsed), net);
    EXPECT_EQ(LoadCoordinateNames(reparsed), (std::vector<std::string>{"x", "y", "z"}));
    EXPECT_TRUE(IsMultivariateModel(reparsed));
  }
}

TEST(ModelNDJson, RoundTripsThroughAFileWrittenAtomically) {
  const testutil::TempDirectory dir;
  const NetworkND net = Awkward(2, 4, true, 3);
  WriteModelFile(dir / "m.json", ModelNDToJson(net));
  ExpectIdentical(LoadNetworkNDFile(dir / "m.json"), net);
  EXPECT_TRUE(LoadCoordinateNames(ReadModelFile(dir / "m.json")).empty());
  EXPECT_EQ(dir.Names(), std::vector<std::string>{"m.json"});  // no temporary left behind
}

TEST(ModelNDJson, EmptyNetworkAndDimensionOneLoad) {
  const NetworkND zero = NetworkND::Zero(Activation::kRelu, 4);
  ExpectIdentical(LoadNetworkND(ModelNDToJson(zero)), zero);
  // A d-D document of dimension 1 is still d-D; a univariate document is read as one too.
  const NetworkND one = Awkward(1, 2, true, 4);
  ExpectIdentical(LoadNetworkND(ModelNDToJson(one)), one);
  EXPECT_TRUE(IsMultivariateModel(ModelNDToJson(one)));
  Network1D net1;
  net1.neurons = {{1.5, -0.5, 2.0}};
  net1.output_bias = 0.25;
  net1.skip = -1.0;
  const json univariate = {{"format", "convexscore-model"},
                           {"version", 1},
                           {"dimension", 1},
                           {"network", Network1DToJson(net1)}};
  EXPECT_FALSE(IsMultivariateModel(univariate));
  ExpectIdentical(LoadNetworkND(univariate), ToNetworkND(net1));
}

TEST(ModelNDJson, WriterRefusesInvalidNetworksAndNames) {
  NetworkND net = Awkward(2, 3, false, 5);
  EXPECT_THAT(ErrorOf([&] { ModelNDToJson(net, {"x"}); }),
              HasSubstr("1 coordinate names for a model of dimension 2"));
  net.a(1, 1) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(ErrorOf([&] { ModelNDToJson(net); }), HasSubstr("invalid network"));
}

// Each broken document and the exact message.
TEST(ModelNDJson, InvalidDocumentsNameTheField) {
  const json good = ModelNDToJson(Awkward(2, 3, true, 6), {"x", "y"});
  const auto broken = [&](const std::function<void(json&)>& edit) {
    json model = good;
    edit(model);
    return ErrorOf([&] { LoadNetworkND(model, "file m.json"); });
  };
  const std::string prefix = "invalid model file m.json: ";
  EXPECT_EQ(ErrorOf([] { LoadNetworkND(json::array(), "file m.json"); }),
            prefix + "the document is not a JSON object");
  EXPECT_EQ(broken([](json& m) { m["format"] = "other"; }),
            prefix + "field 'format' is not \"convexscore-model\"");
  EXPECT_EQ(broken([](json& m) { m["version"] = 2; }),
            prefix + "unsupported version 2 (this build reads version 1)");
  EXPECT_EQ(broken([](json& m) { m.erase("dimension"); }), prefix + "missing field 'dimension'");
  EXPECT_EQ(broken([](json& m) { m["dimension"] = 0; }),
            prefix + "field 'dimension' is 0, not a positive integer");
  EXPECT_EQ(broken([](json& m) { m["dimension"] = 2.5; }),
            prefix + "field 'dimension' is 2.5, not a positive integer");
  EXPECT_EQ(broken([](json& m) { m["dimension"] = 3; }),
            prefix + "field 'network.dimension' is 2 but the model has dimension 3");
  EXPECT_EQ(broken([](json& m) { m["network"]["dimension"] = "2"; }),
            prefix + "field 'network.dimension' is \"2\", not a positive integer");
  EXPECT_EQ(broken([](json& m) { m["network"] = json::array(); }),
            prefix + "field 'network' is not an object");
  EXPECT_EQ(broken([](json& m) { m["network"]["activation"] = "tanh"; }),
            prefix + "unknown activation 'tanh' in 'network.activation'");
  EXPECT_EQ(broken([](json& m) { m["network"]["neurons"] = 1; }),
            prefix + "field 'network.neurons' is not an array");
  EXPECT_EQ(broken([](json& m) { m["network"]["neurons"][1]["w"].push_back(1.0); }),
            prefix + "field 'network.neurons[1].w' has 3 entries, expected 2 (the dimension)");
  EXPECT_EQ(broken([](json& m) { m["network"]["neurons"][2]["a"] = 1.0; }),
            prefix + "field 'network.neurons[2].a' is not an array");
  EXPECT_EQ(broken([](json& m) { m["network"]["neurons"][0].erase("b"); }),
            prefix + "missing field 'network.neurons[0].b'");
  EXPECT_EQ(broken([](json& m) { m["network"]["neurons"][0]["a"][1] = nullptr; }),
            prefix + "field 'network.neurons[0].a[1]' is not a number");
  EXPECT_EQ(broken([](json& m) {
              m["network"]["neurons"][1]["b"] = std::numeric_limits<double>::infinity();
            }),
            prefix + "field 'network.neurons[1].b' is not finite");
  EXPECT_EQ(broken([](json& m) { m["network"]["output_bias"] = {1.0}; }),
            prefix + "field 'network.output_bias' has 1 entries, expected 2 (the dimension)");
  EXPECT_EQ(broken([](json& m) {
              m["network"]["output_bias"][0] = std::numeric_limits<double>::quiet_NaN();
            }),
            prefix + "field 'network.output_bias[0]' is not finite");
  EXPECT_EQ(broken([](json& m) { m["network"].erase("skip"); }),
            prefix + "missing field 'network.skip'");
  EXPECT_EQ(broken([](json& m) { m["network"]["skip"] = 1.0; }),
            prefix + "field 'network.skip' is neither null nor an array");
  EXPECT_EQ(broken([](json& m) { m["network"]["skip"].push_back({1.0, 2.0}); }),
            prefix + "field 'network.skip' has 3 entries, expected 2 (the dimension)");
  EXPECT_EQ(broken([](json& m) { m["network"]["skip"][1] = {1.0}; }),
            prefix + "field 'network.skip[1]' has 1 entries, expected 2 (the dimension)");
  EXPECT_EQ(broken([](json& m) { m["coordinate_names"] = {"x"}; }),
            prefix + "field 'coordinate_names' is not an array of 2 names (the dimension)");
  EXPECT_EQ(broken([](json& m) { m["coordinate_names"] = {"x", 3}; }),
            prefix + "field 'coordinate_names[1]' is not a non-empty string");
  EXPECT_EQ(broken([](json& m) { m["coordinate_names"] = {"x", "x"}; }),
            prefix + "field 'coordinate_names[1]' repeats the name 'x'");
  // A univariate network under a d-D dimension goes to the univariate loader, which refuses.
  EXPECT_EQ(broken([](json& m) { m["network"].erase("dimension"); }),
            prefix + "dimension 2 is not 1 (a univariate model)");
}

json LevelModel(int d, std::uint64_t seed) { return ModelNDToJson(Awkward(d, 2, false, seed)); }

TEST(ModelNDJson, NoiseLevelFilesHoldOneNetworkPerSigma) {
  const testutil::TempDirectory dir;
  const json document =
      NoiseLevelsToJson({{1.0, LevelModel(2, 7)}, {0.5, LevelModel(2, 8)}, {0.1, LevelModel(2, 9)}},
                        2);
  EXPECT_TRUE(IsMultivariateModel(document));
  WriteModelFile(dir / "levels.json", document);
  const std::vector<NoiseLevelModelND> levels = LoadNoiseLevelsNDFile(dir / "levels.json");
  ASSERT_EQ(levels.size(), 3u);
  EXPECT_EQ(levels[1].sigma, 0.5);
  ExpectIdentical(levels[2].network, Awkward(2, 2, false, 9));
  // Entries that give only sigma and network inherit the header.
  json bare = document;
  for (json& entry : bare["noise_levels"]) {
    entry = {{"sigma", entry["sigma"]}, {"network", entry["network"]}};
  }
  ExpectIdentical(LoadNoiseLevelsND(bare)[0].network, Awkward(2, 2, false, 7));
  EXPECT_TRUE(IsMultivariateModel(bare));
}

TEST(ModelNDJson, InvalidNoiseLevelFilesNameTheProblem) {
  const json good = NoiseLevelsToJson({{1.0, LevelModel(2, 7)}, {0.5, LevelModel(2, 8)}}, 2);
  const auto broken = [&](const std::function<void(json&)>& edit) {
    json document = good;
    edit(document);
    return ErrorOf([&] { LoadNoiseLevelsND(document, "test"); });
  };
  EXPECT_THAT(broken([](json& d) { d.erase("dimension"); }),
              HasSubstr("invalid model test: missing field 'dimension'"));
  EXPECT_THAT(broken([](json& d) { d["noise_levels"][1]["dimension"] = 3; }),
              HasSubstr("noise_levels[1] has dimension 3 but the file has dimension 2"));
  EXPECT_THAT(broken([](json& d) {
                d["noise_levels"][1] = {{"sigma", 0.5}, {"network", LevelModel(3, 1)["network"]}};
              }),
              HasSubstr("invalid model test, noise_levels[1]: field 'network.dimension' is 3 but "
                        "the model has dimension 2"));
  EXPECT_THAT(broken([](json& d) { d["noise_levels"][1]["sigma"] = 1.0; }),
              HasSubstr("strictly decreasing sigma"));
  EXPECT_THAT(broken([](json& d) { d["noise_levels"][0]["network"]["neurons"][0]["w"] = {1}; }),
              HasSubstr("noise_levels[0]: field 'network.neurons[0].w' has 1 entries"));
  // The univariate loader refuses a d-D file.
  EXPECT_THAT(ErrorOf([&] { LoadNoiseLevels1D(good, "test"); }),
              HasSubstr("dimension 2 is not 1 (a univariate noise-levels file)"));
}

}  // namespace
}  // namespace convexscore
