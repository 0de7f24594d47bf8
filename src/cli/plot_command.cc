// `convexscore plot score|samples|scatter|quiver`: thin wrappers that read files, build a
// figure with the library and render it.
#include "cli/plot_command.h"

#include <iostream>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "cli/data_args.h"
#include "cli/grid_option.h"
#include "convexscore/common.h"
#include "convexscore/data/csv.h"
#include "convexscore/data/distribution_spec.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/model_nd_json.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/io/numbers.h"
#include "convexscore/metrics/known_laws.h"
#include "convexscore/model/network_nd.h"
#include "convexscore/plotting/figures.h"
#include "convexscore/sampling/stationary_law.h"

namespace convexscore::cli {
namespace {

void AddCommonOptions(CLI::App& command, PlotArgs& args) {
  command.add_option("--out", args.out, "image to write: .png or .svg (required)")
      ->required()
      ->option_text("FIGURE.png|svg");
  command.add_option("--title", args.title, "title above the plot")->option_text("TEXT");
  command.add_option("--width", args.width, "width in pixels (default 900)")->option_text("W");
  command.add_option("--height", args.height, "height in pixels (default 560)")->option_text("H");
}

void AddRangeOption(CLI::App& command, PlotArgs& args) {
  command.add_option("--range", args.range, "x range to show (default: from the data)")
      ->option_text("LO:HI");
}

PlotRange ParseRange(std::string_view option, const std::string& text) {
  const std::vector<std::string_view> parts = Split(text, ':');
  if (parts.size() != 2) throw Error(std::string(option) + ": expected LO:HI, got '" + text + "'");
  const PlotRange range{ParseFiniteOption(option, parts[0]), ParseFiniteOption(option, parts[1])};
  if (!(range.lo < range.hi)) {
    throw Error(std::string(option) + ": LO must be below HI, got '" + text + "'");
  }
  return range;
}

std::optional<PlotRange> OptionalRange(const PlotArgs& args) {
  if (args.range.empty()) return std::nullopt;
  return ParseRange("--range", args.range);
}

FigureSize ParseSize(const PlotArgs& args) {
  const auto pixels = [](std::string_view option, const std::string& text) {
    const std::int64_t value = ParseIntegerOption(option, text);
    if (value < 100 || value > 10000) {
      throw Error(std::string(option) + ": need 100 to 10000 pixels, got " + text);
    }
    return static_cast<int>(value);
  };
  return {pixels("--width", args.width), pixels("--height", args.height)};
}

// Two columns of a CSV file as 2-D points; names the file and the option when it is not 2-D.
Eigen::MatrixXd ReadPoints2D(const std::string& file, const std::string& columns,
                             std::string_view columns_option) {
  const CsvColumns read = ReadCsvColumns(file, ParseCsvColumnList(columns));
  if (read.values.cols() != 2) {
    throw Error(file + " gives " + std::to_string(read.values.cols()) +
                " columns; a 2-D plot needs two (choose them with " + std::string(columns_option) +
                " x,y)");
  }
  return read.values;
}

UnivariateLaw TargetLaw1D(const std::string& spec) {
  return UnivariateLaw::FromSpec(ParseDistributionSpec(spec));
}

int RunScorePlot(const PlotArgs& args, FigureSize size) {
  ScoreFigure1D figure;
  figure.x_range = OptionalRange(args);
  std::optional<UnivariateLaw> law;
  if (!args.target.empty()) {
    law = TargetLaw1D(args.target);
    if (!law->HasScore()) throw Error("--target '" + args.target + "' has no score to draw");
  }
  if (!args.data.file.empty() || !args.data.generator.empty()) {
    figure.data = LoadData(args.data).values;
  }
  const FinestNetwork1D finest = LoadFinestNetwork1D(ReadModelFile(args.model), "file " + args.model);
  figure.predicted = ToPiecewiseLinear(finest.network);
  if (finest.sigma) figure.predicted_label += " (sigma " + FormatDouble(*finest.sigma) + ")";
  if (law) figure.truth = FunctionCurve{[&law](double x) { return law->Score(x); },
                                        "true score of " + args.target};
  figure.title = args.title;
  RenderFigure(BuildScoreFigure(figure), args.out, size);
  return kExitOk;
}

int RunSamplesPlot(const PlotArgs& args, FigureSize size) {
  SamplesFigure1D figure;
  figure.x_range = OptionalRange(args);
  const std::int64_t bins = ParseIntegerOption("--bins", args.bins);
  if (bins < 0 || bins > 100000) throw Error("--bins: need 0 (automatic) to 100000, got " + args.bins);
  figure.bins = static_cast<int>(bins);
  std::optional<UnivariateLaw> law;
  if (!args.target.empty()) law = TargetLaw1D(args.target);
  std::optional<StationaryLaw1D> stationary;
  if (!args.model.empty()) {
    const FinestNetwork1D finest =
        LoadFinestNetwork1D(ReadModelFile(args.model), "file " + args.model);
    stationary.emplace(ToPiecewiseLinear(finest.network));  // throws when not normalisable
  }
  figure.samples = ReadCsvColumn(args.samples, CsvColumnSelector::Parse(args.column)).values;
  if (law) figure.densities.push_back({[&law](double x) { return law->Density(x); },
                                       "target " + args.target});
  if (stationary) {
    figure.densities.push_back({[&stationary](double x) { return stationary->Density(x); },
                                "stationary law of the model"});
  }
  figure.title = args.title;
  RenderFigure(BuildSamplesFigure(figure), args.out, size);
  return kExitOk;
}

int RunScatterPlot(const PlotArgs& args, FigureSize size) {
  ScatterFigure2D figure;
  figure.samples = ReadPoints2D(args.samples, args.columns, "--columns");
  if (!args.reference.empty()) {
    figure.reference = ReadPoints2D(args.reference, args.reference_columns, "--reference-columns");
  }
  figure.title = args.title;
  RenderFigure(BuildScatterFigure(figure), args.out, size);
  return kExitOk;
}

int RunQuiverPlot(const PlotArgs& args, FigureSize size) {
  QuiverFigure2D figure;
  const std::int64_t grid = ParseIntegerOption("--grid", args.grid);
  if (grid < 2 || grid > 200) throw Error("--grid: need 2 to 200 points per side, got " + args.grid);
  figure.grid = static_cast<int>(grid);
  if (!args.points.empty()) figure.points = ReadPoints2D(args.points, args.points_columns, "--points-columns");
  if (!args.box.empty()) {
    const std::vector<std::string_view> parts = Split(args.box, ':');
    if (parts.size() != 4) throw Error("--box: expected X0:X1:Y0:Y1, got '" + args.box + "'");
    figure.x_range = ParseRange("--box", std::string(parts[0]) + ":" + std::string(parts[1]));
    figure.y_range = ParseRange("--box", std::string(parts[2]) + ":" + std::string(parts[3]));
  } else if (figure.points.rows() > 0) {
    std::tie(figure.x_range, figure.y_range) = BoundingBox2D(figure.points);
  } else {
    throw Error("give --box X0:X1:Y0:Y1 or --points FILE.csv to set the plotted region");
  }
  if (args.target.empty() == args.model.empty()) {
    throw Error("give exactly one of --model MODEL.json and --target SPEC: the field to draw");
  }
  std::optional<GaussianMixtureLaw> law;
  std::optional<NetworkND> network;
  if (!args.target.empty()) {
    law = GaussianMixtureLaw::FromSpec(ParseDistributionSpec(args.target));
    if (law->Dimension() != 2) {
      throw Error("--target '" + args.target + "' is " + std::to_string(law->Dimension()) +
                  "-dimensional; a quiver plot needs a 2-D law");
    }
    figure.field = [&law](const Eigen::Vector2d& x) -> Eigen::Vector2d { return law->Score(x); };
    figure.field_label = "score of " + args.target;
  } else {
    FinestNetworkND finest = LoadFinestNetworkND(ReadModelFile(args.model), "file " + args.model);
    network = std::move(finest.network);
    std::string label = "predicted score";
    if (finest.sigma) label += " (sigma " + FormatDouble(*finest.sigma) + ")";
    if (network->dimension() != 2) {
      throw Error(args.model + " is a " + std::to_string(network->dimension()) +
                  "-dimensional model; a quiver plot needs a 2-D one");
    }
    figure.field = [&network](const Eigen::Vector2d& x) -> Eigen::Vector2d {
      return network->Score(x);
    };
    figure.field_label = label;
  }
  figure.title = args.title;
  RenderFigure(BuildQuiverFigure(figure), args.out, size);
  return kExitOk;
}

}  // namespace

PlotCommands AddPlotCommand(CLI::App& app, PlotArgs& args) {
  PlotCommands commands;
  commands.plot = app.add_subcommand(
      "plot", "Figures as PNG or SVG, rendered by gnuplot: score, samples, scatter, quiver");
  commands.plot->require_subcommand(1);

  commands.score = commands.plot->add_subcommand(
      "score", "A model's predicted score (exact, kinks included) against the true score of a "
               "law, with the data marked along the bottom");
  CLI::App& score = *commands.score;
  score.add_option("--model", args.model, "model file (required); for noise levels, the smallest sigma")
      ->required()
      ->option_text("MODEL.json");
  AddDataOptions(score, args.data);
  score.add_option("--target", args.target, "distribution spec whose true score to draw, e.g. mixture")
      ->option_text("SPEC");
  AddRangeOption(score, args);
  AddCommonOptions(score, args);

  commands.samples = commands.plot->add_subcommand(
      "samples", "Histogram of 1-D samples against the target density and the stationary law of "
                 "a model's Langevin dynamics");
  CLI::App& samples = *commands.samples;
  samples.add_option("--samples", args.samples, "CSV file of samples (required)")
      ->required()
      ->option_text("SAMPLES.csv");
  samples.add_option("--column", args.column, "column to read (default: the first)")
      ->option_text("NAME|INDEX");
  samples.add_option("--target", args.target, "distribution spec whose density to draw")
      ->option_text("SPEC");
  samples.add_option("--model", args.model, "model file whose stationary law to draw")
      ->option_text("MODEL.json");
  samples.add_option("--bins", args.bins, "histogram bins (default 0: Freedman-Diaconis)")
      ->option_text("K");
  AddRangeOption(samples, args);
  AddCommonOptions(samples, args);

  commands.scatter = commands.plot->add_subcommand(
      "scatter", "2-D samples as a scatter on equal axes, optionally over reference points");
  CLI::App& scatter = *commands.scatter;
  scatter.add_option("--samples", args.samples, "CSV file of 2-D points (required)")
      ->required()
      ->option_text("SAMPLES.csv");
  scatter.add_option("--columns", args.columns, "the two columns to read (default: all)")
      ->option_text("X,Y");
  scatter.add_option("--reference", args.reference, "CSV file of points drawn beneath (the data)")
      ->option_text("DATA.csv");
  scatter.add_option("--reference-columns", args.reference_columns, "its two columns")
      ->option_text("X,Y");
  AddCommonOptions(scatter, args);

  commands.quiver = commands.plot->add_subcommand(
      "quiver", "A 2-D score field as arrows on a grid, optionally over points");
  CLI::App& quiver = *commands.quiver;
  quiver.add_option("--model", args.model, "2-D model file whose predicted score to draw (for "
                                           "noise levels, the smallest sigma)")
      ->option_text("MODEL.json");
  quiver.add_option("--target", args.target, "or a 2-D Gaussian mixture spec (gmm-d) whose true score to draw")
      ->option_text("SPEC");
  quiver.add_option("--points", args.points, "CSV file of 2-D points drawn beneath")
      ->option_text("DATA.csv");
  quiver.add_option("--points-columns", args.points_columns, "their two columns")
      ->option_text("X,Y");
  quiver.add_option("--box", args.box, "region (default: the points' box widened by a tenth)")
      ->option_text("X0:X1:Y0:Y1");
  quiver.add_option("--grid", args.grid, "arrows per side (default 25)")->option_text("K");
  AddCommonOptions(quiver, args);
  return commands;
}

int RunPlot(const PlotCommands& commands, const PlotArgs& args) {
  const FigureSize size = ParseSize(args);
  int code = kExitError;
  if (commands.score->parsed()) code = RunScorePlot(args, size);
  if (commands.samples->parsed()) code = RunSamplesPlot(args, size);
  if (commands.scatter->parsed()) code = RunScatterPlot(args, size);
  if (commands.quiver->parsed()) code = RunQuiverPlot(args, size);
  if (code == kExitOk) std::cout << "wrote " << args.out << '\n';
  return code;
}

}  // namespace convexscore::cli
