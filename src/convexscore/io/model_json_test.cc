#include "convexscore/io/model_json.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/common.h"
#include "testutil/error_of.h"
#include "testutil/temp_directory.h"

namespace convexscore {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

using testutil::ErrorOf;

// A hand-made fit result whose numbers exercise full double precision.
struct Fixture {
  ScoreMatching1DResult result;
  ScoreMatching1DOptions options;
  Sample1D sample;

  Fixture() {
    result.summary.status = SolveStatus::kOptimal;
    result.summary.objective = -1.0 / 3.0;
    result.summary.dual_objective = -1.0 / 3.0 - 1e-13;
    result.summary.duality_gap = 1e-13;
    result.summary.relative_gap = 1e-13;
    result.summary.kkt_residual = 2.5e-12;
    result.summary.iterations = 17;
    result.summary.seconds = 0.00123;
    result.summary.polished = true;
    result.summary.message = "solved";
    result.thresholds = {0.2, 0.7071067811865476};
    result.network.activation = Activation::kAbs;
    result.network.neurons = {{0.1, -0.30000000000000004, 1e-300},
                              {-std::sqrt(2.0), 6.02214076e23, -4.9e-324},
                              {1.0, -0.0, 2.0}};
    result.network.output_bias = 0.1 + 0.2;
    result.network.skip = -0.75;
    result.active_neurons = 3;
    options.activation = Activation::kAbs;
    options.skip = true;
    options.beta = 0.3;
    sample.values = {-1.5, 0.25, 2.0};
    sample.counts = {1, 2, 2};
    sample.n = 5;
    sample.mean = 0.6;
    sample.variance = 1.49;
  }

  json Model() const {
    return ScoreModel1DToJson(result, options, sample,
                              DataSource1D::File("data/x.csv", 1, "value"), -0.3333333333333);
  }
};

void ExpectSameNetwork(const Network1D& a, const Network1D& b) {
  EXPECT_EQ(a.activation, b.activation);
  ASSERT_EQ(a.neurons.size(), b.neurons.size());
  for (std::size_t j = 0; j < a.neurons.size(); ++j) {
    EXPECT_EQ(a.neurons[j].w, b.neurons[j].w) << j;
    EXPECT_EQ(a.neurons[j].b, b.neurons[j].b) << j;
    EXPECT_EQ(a.neurons[j].a, b.neurons[j].a) << j;
  }
  EXPECT_EQ(a.output_bias, b.output_bias);
  EXPECT_EQ(a.skip, b.skip);
}

TEST(ModelJsonTest, DocumentHasTheContractFields) {
  const json model = Fixture().Model();
  EXPECT_EQ(model["format"], "convexscore-model");
  EXPECT_EQ(model["version"], 1);
  EXPECT_EQ(model["objective_kind"], "sm");
  EXPECT_EQ(model["dimension"], 1);
  EXPECT_EQ(model["status"], "optimal");
  EXPECT_EQ(model["objective"].get<double>(), -1.0 / 3.0);
  for (const char* key : {"dual_objective", "duality_gap", "relative_gap", "kkt_residual",
                          "iterations", "seconds", "polished", "message", "beta_min",
                          "beta_max", "active_neurons", "network_objective"}) {
    EXPECT_TRUE(model.contains(key)) << key;
  }
  EXPECT_EQ(model["beta_max"].get<double>(), 0.7071067811865476);
  EXPECT_EQ(model["settings"],
            json::parse(R"({"activation":"abs","skip":true,"beta":0.3,"gap_tolerance":1e-9,
                            "max_iterations":200,"form":"mean"})"));
  EXPECT_EQ(model["data"]["source"],
            json::parse(R"({"kind":"file","path":"data/x.csv","column_index":1,
                            "column_name":"value"})"));
  EXPECT_EQ(model["data"]["n"], 5);
  EXPECT_EQ(model["data"]["distinct"], 3);
  EXPECT_EQ(model["data"]["min"], -1.5);
  EXPECT_EQ(model["data"]["max"], 2.0);
  EXPECT_EQ(model["network"]["neurons"].size(), 3u);
}

TEST(ModelJsonTest, GeneratorSourceIsRecorded) {
  EXPECT_EQ(DataSource1D::Generator("mixture", 1000, 18446744073709551615ull).ToJson(),
            json::parse(R"({"kind":"generator","generator":"mixture","n":1000,
                            "seed":18446744073709551615})"));
}

TEST(ModelJsonTest, NetworkRoundTripsBitForBitThroughText) {
  const Fixture fixture;
  const json reparsed = json::parse(ModelJsonText(fixture.Model()));
  ExpectSameNetwork(LoadNetwork1D(reparsed), fixture.result.network);
  EXPECT_TRUE(std::signbit(LoadNetwork1D(reparsed).neurons[2].b));  // -0.0 survives
}

TEST(ModelJsonTest, NetworkRoundTripsThroughAFile) {
  const testutil::TempDirectory dir;
  const Fixture fixture;
  WriteModelFile(dir / "model.json", fixture.Model());
  ExpectSameNetwork(LoadNetwork1DFile(dir / "model.json"), fixture.result.network);
  EXPECT_EQ(ReadModelFile(dir / "model.json"), fixture.Model());
  EXPECT_EQ(dir.Names(), std::vector<std::string>{"model.json"});
}

TEST(ModelJsonTest, EmptyNetworkLoads) {
  Fixture fixture;
  fixture.result.network.neurons.clear();
  EXPECT_TRUE(LoadNetwork1D(fixture.Model()).neurons.empty());
}

// Each broken document, and the words its message must contain.
TEST(ModelJsonTest, InvalidDocumentsAreRejectedWithTheField) {
  const json good = Fixture().Model();
  const auto broken = [&](const std::function<void(json&)>& edit) {
    json model = good;
    edit(model);
    return ErrorOf([&] { LoadNetwork1D(model, "file m.json"); });
  };
  EXPECT_EQ(ErrorOf([] { LoadNetwork1D(json::array(), "file m.json"); }),
            "invalid model file m.json: the document is not a JSON object");
  EXPECT_EQ(broken([](json& m) { m.erase("format"); }),
            "invalid model file m.json: missing field 'format'");
  EXPECT_EQ(broken([](json& m) { m["format"] = "something-else"; }),
            "invalid model file m.json: field 'format' is not \"convexscore-model\"");
  EXPECT_EQ(broken([](json& m) { m["version"] = 2; }),
            "invalid model file m.json: unsupported version 2 (this build reads version 1)");
  EXPECT_EQ(broken([](json& m) { m["dimension"] = 2; }),
            "invalid model file m.json: dimension 2 is not 1 (a univariate model)");
  EXPECT_EQ(broken([](json& m) { m.erase("network"); }),
            "invalid model file m.json: missing field 'network'");
  EXPECT_EQ(broken([](json& m) { m["network"] = 3; }),
            "invalid model file m.json: field 'network' is not an object");
  EXPECT_EQ(broken([](json& m) { m["network"]["activation"] = "tanh"; }),
            "invalid model file m.json: unknown activation 'tanh' in 'network.activation'");
  EXPECT_EQ(broken([](json& m) { m["network"]["neurons"] = json::object(); }),
            "invalid model file m.json: field 'network.neurons' is not an array");
  EXPECT_EQ(broken([](json& m) { m["network"]["neurons"][1].erase("b"); }),
            "invalid model file m.json: missing field 'network.neurons[1].b'");
  EXPECT_EQ(broken([](json& m) { m["network"]["neurons"][0]["w"] = "0.5"; }),
            "invalid model file m.json: field 'network.neurons[0].w' is not a number");
  // NaN is written as null by JSON serialisers; either way it is not a usable weight.
  EXPECT_EQ(broken([](json& m) { m["network"]["neurons"][2]["a"] = nullptr; }),
            "invalid model file m.json: field 'network.neurons[2].a' is not a number");
  EXPECT_EQ(broken([](json& m) {
              m["network"]["skip"] = std::numeric_limits<double>::infinity();
            }),
            "invalid model file m.json: field 'network.skip' is not finite");
  EXPECT_EQ(broken([](json& m) { m["network"].erase("output_bias"); }),
            "invalid model file m.json: missing field 'network.output_bias'");
}

TEST(ModelJsonTest, UnreadableAndNonJsonFiles) {
  const testutil::TempDirectory dir;
  const auto missing = dir / "missing.json";
  EXPECT_EQ(ErrorOf([&] { LoadNetwork1DFile(missing); }),
            "cannot read " + missing.string() + ": No such file or directory");
  const auto text = dir.Write("notes.json", "this is not json\n");
  EXPECT_THAT(ErrorOf([&] { LoadNetwork1DFile(text); }),
              HasSubstr("invalid model file " + text.string() + ": not valid JSON"));
  const auto truncated = dir.Write("cut.json", ModelJsonText(Fixture().Model()).substr(0, 200));
  EXPECT_THAT(ErrorOf([&] { LoadNetwork1DFile(truncated); }), HasSubstr("not valid JSON"));
  const auto empty = dir.Write("empty.json", "");
  EXPECT_THAT(ErrorOf([&] { LoadNetwork1DFile(empty); }), HasSubstr("not valid JSON"));
}

}  // namespace
}  // namespace convexscore
