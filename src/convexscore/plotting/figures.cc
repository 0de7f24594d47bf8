#include "convexscore/plotting/figures.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "convexscore/common.h"
#include "convexscore/io/numbers.h"

namespace convexscore {
namespace {

constexpr int kCurvePoints = 801;

// The house style: grid, key outside the data where possible, readable lines.
void AddStyle(GnuplotScript& script, const std::string& title) {
  script.AddLine("set grid lc rgb '#d0d0d0'");
  script.AddLine("set key top left opaque box lc rgb '#b0b0b0'");
  script.AddLine("set border lw 1.2");
  if (!title.empty()) script.AddLine("set title " + GnuplotQuote(title));
}

std::string RangeText(const PlotRange& range) {
  return "[" + FormatDouble(range.lo) + ":" + FormatDouble(range.hi) + "]";
}

void CheckRange(const PlotRange& range, const std::string& what) {
  if (!std::isfinite(range.lo) || !std::isfinite(range.hi) || !(range.lo < range.hi)) {
    throw Error(what + " range must be finite with LO < HI, got " + FormatDouble(range.lo) + ":" +
                FormatDouble(range.hi));
  }
}

PlotRange Widened(double lo, double hi, double margin) {
  const double span = hi - lo;
  const double pad = span > 0.0 ? margin * span : 1.0;
  return {lo - pad, hi + pad};
}

void CheckFinite(const std::vector<double>& values, const std::string& what) {
  for (double v : values) {
    if (!std::isfinite(v)) throw Error(what + " contain NaN or infinite values");
  }
}

std::vector<double> Linspace(PlotRange range, int count) {
  std::vector<double> points(count);
  for (int i = 0; i < count; ++i) {
    points[i] = range.lo + (range.hi - range.lo) * i / (count - 1);
  }
  return points;
}

// Sorted-quantile by linear interpolation (type 7), for ranges and bin widths.
double Quantile(const std::vector<double>& sorted, double p) {
  const double position = p * static_cast<double>(sorted.size() - 1);
  const std::size_t below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (position - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

}  // namespace

GnuplotScript BuildScoreFigure(const ScoreFigure1D& figure) {
  CheckFinite(figure.data, "data");
  PlotRange range;
  if (figure.x_range) {
    range = *figure.x_range;
  } else if (!figure.data.empty()) {
    const auto [lo, hi] = std::minmax_element(figure.data.begin(), figure.data.end());
    range = Widened(*lo, *hi, 0.1);
  } else if (!figure.predicted.kinks.empty()) {
    range = Widened(figure.predicted.kinks.front(), figure.predicted.kinks.back(), 0.1);
  } else {
    range = {-3.0, 3.0};
  }
  CheckRange(range, "x");

  // The predicted score is linear between kinks: its polyline through the kinks is exact.
  std::vector<double> xs = {range.lo};
  for (double t : figure.predicted.kinks) {
    if (t > range.lo && t < range.hi) xs.push_back(t);
  }
  xs.push_back(range.hi);
  std::vector<double> ys(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) ys[i] = figure.predicted(xs[i]);
  double y_lo = *std::min_element(ys.begin(), ys.end());
  double y_hi = *std::max_element(ys.begin(), ys.end());

  GnuplotScript script;
  script.AddDataBlock("predicted", {xs, ys});
  if (figure.truth) {
    const std::vector<double> grid = Linspace(range, kCurvePoints);
    std::vector<double> values(grid.size());
    for (std::size_t i = 0; i < grid.size(); ++i) {
      values[i] = figure.truth->f(grid[i]);
      if (std::isfinite(values[i])) {
        y_lo = std::min(y_lo, values[i]);
        y_hi = std::max(y_hi, values[i]);
      }
    }
    script.AddDataBlock("truth", {grid, values});
  }
  const PlotRange y_range = Widened(y_lo, y_hi, 0.08);
  // The rug: a short tick per data point along the bottom of the frame.
  const double tick = 0.04 * (y_range.hi - y_range.lo);
  if (!figure.data.empty()) {
    script.AddDataBlock("data", {figure.data, std::vector<double>(figure.data.size(), y_range.lo),
                                 std::vector<double>(figure.data.size(), tick)});
  }

  AddStyle(script, figure.title);
  script.AddLine("set xlabel 'x'");
  script.AddLine("set ylabel 'score  d/dx log p(x)'");
  script.AddLine("set xrange " + RangeText(range));
  script.AddLine("set yrange " + RangeText(y_range));
  std::string plot = "plot $predicted using 1:2 with lines lw 2.5 lc rgb '#1f5fbf' title " +
                     GnuplotQuote(figure.predicted_label);
  if (figure.truth) {
    plot += ", $truth using 1:2 with lines lw 2 dt 2 lc rgb '#d0402b' title " +
            GnuplotQuote(figure.truth->label);
  }
  if (!figure.data.empty()) {
    plot += ", $data using 1:2:(0):3 with vectors nohead lc rgb '#404040' lw 0.8 title " +
            GnuplotQuote("data (" + std::to_string(figure.data.size()) + " points)");
  }
  script.AddLine(plot);
  return script;
}

DensityHistogram MakeDensityHistogram(const std::vector<double>& samples, PlotRange range,
                                      int bins) {
  if (samples.empty()) throw Error("no samples to make a histogram of");
  CheckFinite(samples, "samples");
  CheckRange(range, "histogram");
  if (bins < 0) throw Error("the number of bins must be positive, got " + std::to_string(bins));
  if (bins == 0) {
    std::vector<double> sorted = samples;
    std::sort(sorted.begin(), sorted.end());
    const double iqr = Quantile(sorted, 0.75) - Quantile(sorted, 0.25);
    const double width = 2.0 * iqr / std::cbrt(static_cast<double>(sorted.size()));
    const double wanted = width > 0.0 ? std::ceil((range.hi - range.lo) / width) : 10.0;
    bins = static_cast<int>(std::clamp(wanted, 10.0, 200.0));
  }
  DensityHistogram histogram;
  histogram.edges = Linspace(range, bins + 1);
  std::vector<double> counts(bins, 0.0);
  const double width = (range.hi - range.lo) / bins;
  for (double x : samples) {
    if (x < range.lo || x > range.hi) continue;
    const int k = std::min(bins - 1, static_cast<int>((x - range.lo) / width));
    counts[k] += 1.0;
  }
  histogram.density.resize(bins);
  for (int k = 0; k < bins; ++k) {
    histogram.density[k] = counts[k] / (static_cast<double>(samples.size()) * width);
  }
  return histogram;
}

GnuplotScript BuildSamplesFigure(const SamplesFigure1D& figure) {
  if (figure.samples.empty()) throw Error("no samples to plot");
  CheckFinite(figure.samples, "samples");
  PlotRange range;
  if (figure.x_range) {
    range = *figure.x_range;
  } else {
    std::vector<double> sorted = figure.samples;
    std::sort(sorted.begin(), sorted.end());
    range = Widened(Quantile(sorted, 0.001), Quantile(sorted, 0.999), 0.1);
  }
  CheckRange(range, "x");
  const DensityHistogram histogram = MakeDensityHistogram(figure.samples, range, figure.bins);
  std::vector<double> centres(histogram.density.size());
  for (std::size_t k = 0; k < centres.size(); ++k) {
    centres[k] = 0.5 * (histogram.edges[k] + histogram.edges[k + 1]);
  }

  GnuplotScript script;
  script.AddDataBlock("histogram", {centres, histogram.density});
  const std::vector<double> grid = Linspace(range, kCurvePoints);
  for (std::size_t c = 0; c < figure.densities.size(); ++c) {
    std::vector<double> values(grid.size());
    for (std::size_t i = 0; i < grid.size(); ++i) values[i] = figure.densities[c].f(grid[i]);
    script.AddDataBlock("density" + std::to_string(c), {grid, values});
  }
  AddStyle(script, figure.title);
  script.AddLine("set xlabel 'x'");
  script.AddLine("set ylabel 'density'");
  script.AddLine("set xrange " + RangeText(range));
  script.AddLine("set yrange [0:*]");
  script.AddLine("set boxwidth " + FormatDouble(histogram.edges[1] - histogram.edges[0]) +
                 " absolute");
  std::string plot =
      "plot $histogram using 1:2 with boxes fill solid 0.35 border lc rgb '#6b8fc7' "
      "lc rgb '#8fb0e0' title " +
      GnuplotQuote(figure.samples_label + " (" + std::to_string(figure.samples.size()) + ")");
  static const char* const kColours[] = {"#d0402b", "#2a8c3a", "#7a3fb0", "#c08a00"};
  static const char* const kDashes[] = {"1", "2", "4", "5"};
  for (std::size_t c = 0; c < figure.densities.size(); ++c) {
    plot += ", $density" + std::to_string(c) + " using 1:2 with lines lw 2.2 dt " +
            kDashes[c % 4] + " lc rgb '" + kColours[c % 4] + "' title " +
            GnuplotQuote(figure.densities[c].label);
  }
  script.AddLine(plot);
  return script;
}

std::pair<PlotRange, PlotRange> BoundingBox2D(const Eigen::MatrixXd& points, double margin) {
  if (points.rows() == 0 || points.cols() != 2) {
    throw Error("a 2-D figure needs points with two coordinates");
  }
  if (!points.allFinite()) throw Error("points contain NaN or infinite values");
  return {Widened(points.col(0).minCoeff(), points.col(0).maxCoeff(), margin),
          Widened(points.col(1).minCoeff(), points.col(1).maxCoeff(), margin)};
}

namespace {

void AddPointsBlock(GnuplotScript& script, const std::string& name, const Eigen::MatrixXd& points) {
  const Eigen::VectorXd x = points.col(0), y = points.col(1);
  script.AddDataBlock(name, {std::vector<double>(x.data(), x.data() + x.size()),
                             std::vector<double>(y.data(), y.data() + y.size())});
}

std::string PointsPlot(const std::string& block, const std::string& colour, double size,
                       const std::string& label, Eigen::Index count) {
  return "$" + block + " using 1:2 with points pt 7 ps " + FormatDouble(size) + " lc rgb '" +
         colour + "' title " + GnuplotQuote(label + " (" + std::to_string(count) + ")");
}

}  // namespace

GnuplotScript BuildScatterFigure(const ScatterFigure2D& figure) {
  const auto [x_range, y_range] = BoundingBox2D(figure.samples);
  const bool has_reference = figure.reference.rows() > 0;
  if (has_reference) BoundingBox2D(figure.reference);  // validates it

  GnuplotScript script;
  AddPointsBlock(script, "samples", figure.samples);
  if (has_reference) AddPointsBlock(script, "reference", figure.reference);
  AddStyle(script, figure.title);
  script.AddLine("set xlabel 'x_1'");
  script.AddLine("set ylabel 'x_2'");
  script.AddLine("set size ratio -1");
  script.AddLine("set xrange " + RangeText(x_range));
  script.AddLine("set yrange " + RangeText(y_range));
  // Many points: small and translucent, so density shows.
  const double size = figure.samples.rows() > 2000 ? 0.25 : 0.5;
  std::string plot = "plot " + PointsPlot("samples", "#801f5fbf", size, figure.samples_label,
                                          figure.samples.rows());
  if (has_reference) {
    plot += ", " + PointsPlot("reference", "#d0402b", 0.6, figure.reference_label,
                              figure.reference.rows());
  }
  script.AddLine(plot);
  return script;
}

GnuplotScript BuildQuiverFigure(const QuiverFigure2D& figure) {
  CheckRange(figure.x_range, "x");
  CheckRange(figure.y_range, "y");
  if (figure.grid < 2 || figure.grid > 200) {
    throw Error("the quiver grid must have 2 to 200 points per side, got " +
                std::to_string(figure.grid));
  }
  const std::vector<double> gx = Linspace(figure.x_range, figure.grid);
  const std::vector<double> gy = Linspace(figure.y_range, figure.grid);
  std::vector<double> x, y, u, v;
  double longest = 0.0;
  for (double a : gx) {
    for (double b : gy) {
      const Eigen::Vector2d value = figure.field(Eigen::Vector2d(a, b));
      if (!value.allFinite()) throw Error("the score field is not finite at a grid point");
      x.push_back(a);
      y.push_back(b);
      u.push_back(value.x());
      v.push_back(value.y());
      longest = std::max(longest, value.norm());
    }
  }
  // Arrow lengths proportional to the field, the longest 0.9 cells (in the smaller cell side).
  const double cell = std::min(gx[1] - gx[0], gy[1] - gy[0]);
  const double scale = longest > 0.0 ? 0.9 * cell / longest : 0.0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    u[i] *= scale;
    v[i] *= scale;
  }

  GnuplotScript script;
  script.AddDataBlock("field", {x, y, u, v});
  const bool has_points = figure.points.rows() > 0;
  if (has_points) {
    BoundingBox2D(figure.points);  // validates them
    AddPointsBlock(script, "points", figure.points);
  }
  AddStyle(script, figure.title);
  script.AddLine("set xlabel 'x_1'");
  script.AddLine("set ylabel 'x_2'");
  script.AddLine("set size ratio -1");
  script.AddLine("set xrange " + RangeText(figure.x_range));
  script.AddLine("set yrange " + RangeText(figure.y_range));
  std::string plot;
  if (has_points) {
    plot = "plot " + PointsPlot("points", "#d0402b", 0.5, figure.points_label, figure.points.rows()) + ", ";
  } else {
    plot = "plot ";
  }
  plot += "$field using 1:2:3:4 with vectors head filled size screen 0.008,20 lw 1.2 "
          "lc rgb '#1f5fbf' title " +
          GnuplotQuote(figure.field_label + " (longest arrow " + FormatDouble(longest, 3) + ")");
  script.AddLine(plot);
  return script;
}

}  // namespace convexscore
