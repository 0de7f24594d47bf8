// The product's figures, each built as a gnuplot script (plotting/gnuplot.h) from numbers the
// library computed: the predicted score against the true score with the data marked, the
// histogram of samples against densities, 2-D samples as a scatter, and a score field as a
// quiver. Building a figure is separate from rendering it, so tests can check what is drawn.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "convexscore/model/network1d.h"
#include "convexscore/plotting/gnuplot.h"

namespace convexscore {

struct PlotRange {
  double lo = 0.0, hi = 1.0;
};

// A curve given as a function, drawn by sampling it at `points` points over the x range.
struct FunctionCurve {
  std::function<double(double)> f;
  std::string label;
};

// Predicted score (drawn exactly: a polyline through its kinks) against an optional true score,
// with the data as a rug along the bottom. Range: `x_range`, else the data's range with a
// tenth of its span added on each side, else the kinks' range widened the same way.
struct ScoreFigure1D {
  PiecewiseLinear1D predicted;
  std::string predicted_label = "predicted score";
  std::optional<FunctionCurve> truth;
  std::vector<double> data;
  std::optional<PlotRange> x_range;
  std::string title;
};
GnuplotScript BuildScoreFigure(const ScoreFigure1D& figure);

// A histogram normalised as a density: density[k] = count in bin k / (N width), so it
// integrates to the share of the samples inside [edges.front(), edges.back()].
struct DensityHistogram {
  std::vector<double> edges;    // bins + 1 increasing edges
  std::vector<double> density;  // one per bin
};
// `bins` = 0 picks the Freedman-Diaconis width (2 IQR N^{-1/3}), clamped to 10..200 bins.
// Throws Error for no samples, a non-finite sample, or an empty or non-finite range.
DensityHistogram MakeDensityHistogram(const std::vector<double>& samples, PlotRange range,
                                      int bins = 0);

// Histogram of samples with any number of density curves (target law, stationary law, ...).
// Range: `x_range`, else the samples' 0.1% to 99.9% quantiles widened by a tenth.
struct SamplesFigure1D {
  std::vector<double> samples;
  std::string samples_label = "samples";
  std::vector<FunctionCurve> densities;
  int bins = 0;
  std::optional<PlotRange> x_range;
  std::string title;
};
GnuplotScript BuildSamplesFigure(const SamplesFigure1D& figure);

// 2-D points (rows of two columns) on equal axes, with optional reference points beneath.
struct ScatterFigure2D {
  Eigen::MatrixXd samples;
  std::string samples_label = "samples";
  Eigen::MatrixXd reference;  // 0 rows: none
  std::string reference_label = "data";
  std::string title;
};
GnuplotScript BuildScatterFigure(const ScatterFigure2D& figure);

// A 2-D vector field on a grid of `grid` x `grid` points over the box, arrows scaled so that
// the longest is 0.9 grid cells, with optional points (the data) beneath.
struct QuiverFigure2D {
  std::function<Eigen::Vector2d(const Eigen::Vector2d&)> field;
  std::string field_label = "score";
  PlotRange x_range, y_range;
  int grid = 25;
  Eigen::MatrixXd points;  // 0 rows: none
  std::string points_label = "data";
  std::string title;
};
GnuplotScript BuildQuiverFigure(const QuiverFigure2D& figure);

// The box that holds the rows of `points` (two columns), widened by `margin` times its span
// on each side (an empty span is widened by 1).
std::pair<PlotRange, PlotRange> BoundingBox2D(const Eigen::MatrixXd& points, double margin = 0.1);

}  // namespace convexscore
