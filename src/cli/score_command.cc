// `convexscore score`: evaluate a fitted model's predicted score at given points.
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/data_args.h"
#include "cli/grid_option.h"
#include "convexscore/common.h"
#include "convexscore/data/csv.h"
#include "convexscore/io/atomic_file.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/model_nd_json.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/io/numbers.h"
#include "convexscore/model/network1d.h"
#include "convexscore/model/network_nd.h"

namespace convexscore::cli {
namespace {

// "v1,v2,...": finite numbers separated by commas.
std::vector<double> ParsePointList(const std::string& text) {
  std::vector<double> points;
  for (std::string_view item : Split(text, ',')) {
    if (TrimWhitespace(item).empty()) {
      throw Error("--x: empty item in '" + text + "' (expected v1,v2,...)");
    }
    points.push_back(ParseFiniteOption("--x", item));
  }
  return points;
}

// The document to evaluate: the model file itself, or the level at --sigma of a noise-levels
// file (each level is its own network; none stands for the others).
nlohmann::json ModelAtSigma(const nlohmann::json& document, const ScoreArgs& args) {
  if (!HasNoiseLevels(document)) {
    if (!args.sigma.empty()) throw Error("--sigma: " + args.model + " holds a single model");
    return document;
  }
  const std::vector<NoiseLevelEntry> levels =
      NoiseLevelDocuments(document, "file " + args.model);
  std::string sigmas;
  for (const NoiseLevelEntry& level : levels) {
    sigmas += (sigmas.empty() ? "" : ", ") + FormatDouble(level.sigma);
  }
  if (args.sigma.empty()) {
    throw Error(args.model + " holds models at noise levels " + sigmas +
                ": choose one with --sigma");
  }
  const double sigma = ParseFiniteOption("--sigma", args.sigma);
  for (const NoiseLevelEntry& level : levels) {
    if (level.sigma == sigma) return level.model;
  }
  throw Error("--sigma " + args.sigma + ": " + args.model + " has no model at that sigma (its "
              "noise levels: " + sigmas + ")");
}

}  // namespace

CLI::App* AddScoreCommand(CLI::App& app, ScoreArgs& args) {
  CLI::App* score = app.add_subcommand(
      "score",
      "Evaluate the predicted score of a model file; prints or writes CSV x,score (d-D models: "
      "x1..xd,s1..sd)");
  score->add_option("--model", args.model, "model file written by `convexscore fit` (required)")
      ->required()
      ->option_text("MODEL.json");
  CLI::Option* x = score->add_option("--x", args.x_list, "points, comma separated (or use --grid)")
                       ->option_text("v1,v2,...");
  CLI::Option* grid =
      score->add_option("--grid", args.grid, "COUNT equally spaced points from LO to HI")
          ->option_text("LO:HI:COUNT");
  CLI::Option* points =
      score
          ->add_option("--points", args.points,
                       "CSV file of points, one per row (d-D models: one column per "
                       "coordinate; writes x1..xd,s1..sd)")
          ->option_text("FILE.csv");
  score
      ->add_option("--columns", args.columns,
                   "columns of --points: names or 0-based indices, comma separated (default: "
                   "every column)")
      ->option_text("X,Y,...")
      ->needs(points);
  x->excludes(grid);
  points->excludes(x);
  points->excludes(grid);
  score->add_option("--out", args.out, "CSV file to write instead of printing")
      ->option_text("F.csv");
  score
      ->add_option("--sigma", args.sigma,
                   "model files with noise levels (fit --objective dsm, train --sigmas): the "
                   "level to evaluate (required for them)")
      ->option_text("S");
  return score;
}

int RunScore(const ScoreArgs& args) {
  const int given = !args.x_list.empty() + !args.grid.empty() + !args.points.empty();
  if (given != 1) {
    throw Error("give exactly one of --x v1,v2,..., --grid LO:HI:COUNT and --points FILE.csv");
  }
  if (!args.out.empty()) CheckOutputWritable(args.out);
  const nlohmann::json model = ModelAtSigma(ReadModelFile(args.model), args);
  const NetworkND network = LoadNetworkND(model, "file " + args.model);
  const int d = network.dimension();
  Eigen::MatrixXd points;
  if (!args.points.empty()) {
    points = ReadCsvColumns(args.points, ParseCsvColumnList(args.columns)).values;
    if (points.cols() != d) {
      throw Error("--points " + args.points + ": " + std::to_string(points.cols()) +
                  " columns selected but the model has dimension " + std::to_string(d) +
                  (d == 1 ? " (choose one with --columns)"
                          : " (choose " + std::to_string(d) + " with --columns)"));
    }
  } else {
    if (d != 1) {
      throw Error(args.model + " has dimension " + std::to_string(d) +
                  ": give the points with --points FILE.csv (--x and --grid are for 1-D models)");
    }
    const std::vector<double> values =
        args.grid.empty() ? ParsePointList(args.x_list) : ParseGrid(args.grid);
    points = Eigen::Map<const Eigen::VectorXd>(values.data(),
                                               static_cast<Eigen::Index>(values.size()));
  }

  // Univariate models keep their x,score table (evaluated by Network1D, as before).
  std::vector<std::string> header;
  Eigen::MatrixXd table(points.rows(), 2 * d);
  if (IsMultivariateModel(model)) {
    for (int k = 1; k <= d; ++k) header.push_back("x" + std::to_string(k));
    for (int k = 1; k <= d; ++k) header.push_back("s" + std::to_string(k));
    table << points, network.ScoreRows(points);
  } else {
    header = {"x", "score"};
    const Network1D network1d = LoadNetwork1D(model, "file " + args.model);
    table.col(0) = points.col(0);
    for (Eigen::Index i = 0; i < points.rows(); ++i) table(i, 1) = network1d.Score(points(i, 0));
  }
  if (args.out.empty()) {
    std::cout << FormatCsvPoints(header, table);
  } else {
    WriteCsvPoints(args.out, header, table);
    std::cout << "predicted score at " << points.rows() << " points written to " << args.out
              << '\n';
  }
  return kExitOk;
}

}  // namespace convexscore::cli
