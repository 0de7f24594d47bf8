// End-to-end tests of `convexscore plot`: each figure is rendered by the built binary into the
// work directory; bad input fails cleanly (one line, exit 1, no file).
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convexscore/io/model_json.h"
#include "convexscore/io/model_nd_json.h"
#include "convexscore/io/read_file.h"
#include "convexscore/model/network1d.h"
#include "convexscore/model/network_nd.h"
#include "testutil/cli_runner.h"

namespace convexscore {
namespace {

using ::testing::HasSubstr;

class PlotCliTest : public testutil::CliFixture {
 protected:
  void SetUp() override {
    Network1D network;  // f(x) = -x + a kink: normalisable
    network.skip = -1.0;
    network.neurons = {{1.0, -0.5, 0.7}};
    WriteModelFile(work_ / "model.json", {{"format", "convexscore-model"},
                                          {"version", 1},
                                          {"dimension", 1},
                                          {"network", Network1DToJson(network)}});
    work_.Write("samples.csv", "x\n-1.2\n-0.3\n0.1\n0.4\n0.9\n1.5\n-0.7\n0.0\n");
    work_.Write("points.csv", "a,b,c\n0,0,1\n1,0.5,2\n-1,2,3\n0.5,-1,4\n");
  }

  // The command succeeds and leaves an image of the right kind.
  void ExpectImage(const std::string& args, const std::string& file) {
    SCOPED_TRACE(args);
    const testutil::RunResult result = Run(args);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "wrote " + file + "\n");
    const std::string bytes = ReadFileBytes(work_ / file);
    if (file.ends_with(".png")) {
      EXPECT_EQ(bytes.substr(0, 4), "\x89PNG");
    } else {
      EXPECT_THAT(bytes, HasSubstr("<svg"));
    }
  }
};

TEST_F(PlotCliTest, EveryFigureRenders) {
  ExpectImage("plot score --model model.json --data samples.csv --target gaussian --out s.png",
              "s.png");
  ExpectImage("plot score --model model.json --generate laplace --n 50 --range -3:3 --out s.svg",
              "s.svg");
  ExpectImage("plot samples --samples samples.csv --target gaussian --model model.json --bins 5 "
              "--out h.png --title 'Langevin samples'",
              "h.png");
  ExpectImage("plot scatter --samples points.csv --columns a,b --reference points.csv "
              "--reference-columns b,c --out p.png",
              "p.png");
  ExpectImage("plot quiver --target gmm-d:1,0/0,1 --points points.csv --points-columns a,b "
              "--grid 10 --out q.svg --width 400 --height 400",
              "q.svg");
}

TEST_F(PlotCliTest, BadInputFailsCleanly) {
  ExpectCleanFailure("plot score --model model.json --out s.pdf", ".png or .svg");
  ExpectCleanFailure("plot score --model missing.json --out s.png", "missing.json");
  ExpectCleanFailure("plot score --model model.json --target uniform:0:1 --out s.png",
                     "has no score");
  ExpectCleanFailure("plot score --model model.json --target nonsense --out s.png", "nonsense");
  ExpectCleanFailure("plot score --model model.json --range 2:1 --out s.png", "--range");
  ExpectCleanFailure("plot score --model samples.csv --out s.png", "samples.csv");
  ExpectCleanFailure("plot samples --samples samples.csv --bins -1 --out h.png", "--bins");
  ExpectCleanFailure("plot samples --samples points.csv --column z --out h.png", "'z'");
  ExpectCleanFailure("plot samples --samples samples.csv --width 5 --out h.png", "--width");
  ExpectCleanFailure("plot scatter --samples points.csv --out p.png", "needs two");
  ExpectCleanFailure("plot quiver --target gmm-d:1,0/0,1 --out q.png", "--box");
  ExpectCleanFailure("plot quiver --target gaussian --box -1:1:-1:1 --out q.png", "2-D");
  ExpectCleanFailure("plot quiver --target gmm-d:1,0/0,1 --box -1:1:-1 --out q.png", "--box");
  ExpectCleanFailure("plot quiver --target gmm-d:1,0/0,1 --box 0:1:0:1 --grid 1 --out q.png",
                     "--grid");
  ExpectCleanFailure("plot score --model model.json --out no-such-dir/s.png", "does not exist");
  ExpectCleanFailure("plot --out x.png", "");
}

TEST_F(PlotCliTest, QuiverOfATwoDimensionalModel) {
  NetworkND network = NetworkND::Zero(Activation::kRelu, 2);  // f(x) = -x + one unit
  network.skip = -Eigen::MatrixXd::Identity(2, 2);
  network.w = RowMatrixXd{{1.0, 0.5}};
  network.b = Eigen::VectorXd::Constant(1, -0.2);
  network.a = RowMatrixXd{{0.3, -0.4}};
  WriteModelFile(work_ / "model2d.json", ModelNDToJson(network, {"x", "y"}));
  ExpectImage("plot quiver --model model2d.json --box -2:2:-2:2 --grid 12 --out q.png", "q.png");
  ExpectImage("plot quiver --model model2d.json --points points.csv --points-columns a,b "
              "--out q.svg",
              "q.svg");
  ExpectCleanFailure("plot quiver --model model.json --box -1:1:-1:1 --out q.png",
                     "needs a 2-D one");
  ExpectCleanFailure("plot quiver --model model2d.json --target gmm-d:1,0/0,1 --box -1:1:-1:1 "
                     "--out q.png",
                     "exactly one of --model");
  ExpectCleanFailure("plot quiver --box -1:1:-1:1 --out q.png", "exactly one of --model");
}

TEST_F(PlotCliTest, NonNormalisableStationaryLawIsNamed) {
  Network1D rising;  // f(x) = x: exp(x^2 / 2) has no finite mass
  rising.skip = 1.0;
  WriteModelFile(work_ / "rising.json", {{"format", "convexscore-model"},
                                         {"version", 1},
                                         {"dimension", 1},
                                         {"network", Network1DToJson(rising)}});
  ExpectCleanFailure("plot samples --samples samples.csv --model rising.json --out h.png",
                     "not normalisable");
}

}  // namespace
}  // namespace convexscore
