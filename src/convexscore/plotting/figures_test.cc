#include "convexscore/plotting/figures.h"

#include <cmath>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/io/read_file.h"
#include "testutil/error_of.h"
#include "testutil/temp_directory.h"

namespace convexscore {
namespace {

using testutil::ErrorOf;
using testutil::TempDirectory;
using ::testing::HasSubstr;

// The rows of data block NAME in a script, each split into numbers.
std::vector<std::vector<double>> BlockRows(const GnuplotScript& script, const std::string& name) {
  std::istringstream in(script.text());
  std::string line;
  std::vector<std::vector<double>> rows;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == "$" + name + " << EOD") {
      inside = true;
    } else if (inside && line == "EOD") {
      return rows;
    } else if (inside) {
      std::istringstream cells(line);
      std::vector<double> row;
      std::string cell;
      while (cells >> cell) row.push_back(cell == "NaN" ? std::nan("") : std::stod(cell));
      rows.push_back(row);
    }
  }
  ADD_FAILURE() << "no data block $" << name;
  return rows;
}

PiecewiseLinear1D TwoKinkScore() {
  // slope -1 left of -1, 0 between, -2 right of 1: continuous.
  PiecewiseLinear1D pl;
  pl.kinks = {-1.0, 1.0};
  pl.slopes = {-1.0, 0.0, -2.0};
  pl.intercepts = {-1.0, 0.0, 2.0};
  return pl;
}

TEST(ScoreFigure, PolylineThroughKinksIsExactAndRugHasEveryPoint) {
  ScoreFigure1D figure;
  figure.predicted = TwoKinkScore();
  figure.data = {-2.0, 0.0, 3.0};
  figure.truth = FunctionCurve{[](double x) { return -x; }, "true score"};
  const GnuplotScript script = BuildScoreFigure(figure);
  const auto predicted = BlockRows(script, "predicted");
  // Range: data span 5, a tenth on each side -> [-2.5, 3.5]; polyline: ends and both kinks.
  ASSERT_EQ(predicted.size(), 4u);
  const std::vector<double> xs = {-2.5, -1.0, 1.0, 3.5};
  for (std::size_t i = 0; i < xs.size(); ++i) {
    EXPECT_DOUBLE_EQ(predicted[i][0], xs[i]);
    EXPECT_DOUBLE_EQ(predicted[i][1], figure.predicted(xs[i]));
  }
  const auto rug = BlockRows(script, "data");
  ASSERT_EQ(rug.size(), 3u);
  EXPECT_EQ(rug[2][0], 3.0);
  const auto truth = BlockRows(script, "truth");
  EXPECT_GT(truth.size(), 100u);
  EXPECT_DOUBLE_EQ(truth.front()[1], 2.5);
  EXPECT_THAT(script.text(), HasSubstr("set xrange [-2.5:3.5]"));
  EXPECT_THAT(script.text(), HasSubstr("'true score'"));
}

TEST(ScoreFigure, ExplicitRangeClipsKinks) {
  ScoreFigure1D figure;
  figure.predicted = TwoKinkScore();
  figure.x_range = PlotRange{0.0, 2.0};
  const auto predicted = BlockRows(BuildScoreFigure(figure), "predicted");
  ASSERT_EQ(predicted.size(), 3u);  // 0, kink 1, 2
  EXPECT_DOUBLE_EQ(predicted[1][0], 1.0);
  figure.x_range = PlotRange{2.0, 2.0};
  EXPECT_THAT(ErrorOf([&] { BuildScoreFigure(figure); }), HasSubstr("LO < HI"));
  figure.x_range.reset();
  figure.data = {1.0, std::nan("")};
  EXPECT_THAT(ErrorOf([&] { BuildScoreFigure(figure); }), HasSubstr("NaN"));
}

TEST(DensityHistogram, IntegratesToTheShareInsideTheRange) {
  std::vector<double> samples;
  for (int i = 0; i < 1000; ++i) samples.push_back(-1.0 + 2.0 * (i + 0.5) / 1000.0);
  const DensityHistogram inside = MakeDensityHistogram(samples, {-1.0, 1.0}, 20);
  ASSERT_EQ(inside.density.size(), 20u);
  double mass = 0.0;
  for (std::size_t k = 0; k < 20; ++k) mass += inside.density[k] * (inside.edges[k + 1] - inside.edges[k]);
  EXPECT_NEAR(mass, 1.0, 1e-12);
  for (double d : inside.density) EXPECT_NEAR(d, 0.5, 1e-12);  // uniform on [-1, 1]
  const DensityHistogram half = MakeDensityHistogram(samples, {0.0, 1.0}, 10);
  double half_mass = 0.0;
  for (double d : half.density) half_mass += d * 0.1;
  EXPECT_NEAR(half_mass, 0.5, 1e-12);
}

TEST(DensityHistogram, FreedmanDiaconisBinsAndBadInput) {
  std::vector<double> samples;
  for (int i = 0; i < 1000; ++i) samples.push_back(i / 999.0);  // IQR 0.5
  // width 2 * 0.5 / 10 = 0.1 over [0, 1] -> 10 bins.
  EXPECT_EQ(MakeDensityHistogram(samples, {0.0, 1.0}).density.size(), 10u);
  EXPECT_EQ(MakeDensityHistogram(samples, {0.0, 5.0}).density.size(), 50u);
  EXPECT_THAT(ErrorOf([] { MakeDensityHistogram({}, {0.0, 1.0}); }), HasSubstr("no samples"));
  EXPECT_THAT(ErrorOf([&] { MakeDensityHistogram(samples, {0.0, 1.0}, -3); }), HasSubstr("bins"));
  EXPECT_THAT(ErrorOf([&] { MakeDensityHistogram({1.0, INFINITY}, {0.0, 1.0}); }),
              HasSubstr("infinite"));
}

TEST(SamplesFigure, OneBlockPerDensityCurve) {
  SamplesFigure1D figure;
  for (int i = 0; i < 500; ++i) figure.samples.push_back(std::sin(i * 1.7));
  figure.densities = {{[](double) { return 0.5; }, "target"},
                      {[](double) { return 0.4; }, "stationary law"}};
  const GnuplotScript script = BuildSamplesFigure(figure);
  EXPECT_EQ(BlockRows(script, "density0").front()[1], 0.5);
  EXPECT_EQ(BlockRows(script, "density1").front()[1], 0.4);
  EXPECT_THAT(script.text(), HasSubstr("'stationary law'"));
  EXPECT_THAT(script.text(), HasSubstr("'samples (500)'"));
}

TEST(QuiverFigure, LongestArrowIsNineTenthsOfACell) {
  QuiverFigure2D figure;
  figure.field = [](const Eigen::Vector2d& x) -> Eigen::Vector2d { return -x; };
  figure.x_range = {-1.0, 1.0};
  figure.y_range = {-2.0, 2.0};
  figure.grid = 5;  // cells 0.5 x 1.0
  const auto rows = BlockRows(BuildQuiverFigure(figure), "field");
  ASSERT_EQ(rows.size(), 25u);
  double longest = 0.0;
  for (const auto& row : rows) {
    longest = std::max(longest, std::hypot(row[2], row[3]));
    // Arrows point along the field: towards the origin.
    EXPECT_LE(row[0] * row[2] + row[1] * row[3], 1e-15);
  }
  EXPECT_NEAR(longest, 0.45, 1e-12);
  figure.grid = 1;
  EXPECT_THAT(ErrorOf([&] { BuildQuiverFigure(figure); }), HasSubstr("grid"));
  figure.grid = 5;
  figure.field = [](const Eigen::Vector2d&) -> Eigen::Vector2d { return {NAN, 0.0}; };
  EXPECT_THAT(ErrorOf([&] { BuildQuiverFigure(figure); }), HasSubstr("not finite"));
}

TEST(ScatterFigure, EqualAxesAndBothPointSets) {
  ScatterFigure2D figure;
  figure.samples = Eigen::MatrixXd::Random(50, 2);
  figure.reference = Eigen::MatrixXd::Random(7, 2);
  const GnuplotScript script = BuildScatterFigure(figure);
  EXPECT_EQ(BlockRows(script, "samples").size(), 50u);
  EXPECT_EQ(BlockRows(script, "reference").size(), 7u);
  EXPECT_THAT(script.text(), HasSubstr("set size ratio -1"));
  figure.samples = Eigen::MatrixXd::Random(5, 3);
  EXPECT_THAT(ErrorOf([&] { BuildScatterFigure(figure); }), HasSubstr("two coordinates"));
}

TEST(Figures, EachRendersToAnImage) {
  const TempDirectory dir;
  ScoreFigure1D score;
  score.predicted = TwoKinkScore();
  score.data = {-1.0, 0.5, 2.0};
  RenderFigure(BuildScoreFigure(score), dir / "score.png");
  SamplesFigure1D samples;
  samples.samples = {0.0, 0.1, 0.5, 0.7, 1.0};
  samples.densities = {{[](double) { return 1.0; }, "uniform"}};
  RenderFigure(BuildSamplesFigure(samples), dir / "samples.svg");
  ScatterFigure2D scatter;
  scatter.samples = Eigen::MatrixXd::Random(30, 2);
  RenderFigure(BuildScatterFigure(scatter), dir / "scatter.png");
  QuiverFigure2D quiver;
  quiver.field = [](const Eigen::Vector2d& x) -> Eigen::Vector2d { return -x; };
  quiver.x_range = quiver.y_range = {-1.0, 1.0};
  quiver.points = scatter.samples;
  RenderFigure(BuildQuiverFigure(quiver), dir / "quiver.png");
  for (const char* name : {"score.png", "samples.svg", "scatter.png", "quiver.png"}) {
    EXPECT_GT(ReadFileBytes(dir / name).size(), 1000u) << name;
  }
}

}  // namespace
}  // namespace convexscore
