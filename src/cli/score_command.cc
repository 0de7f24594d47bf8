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
#include "convexscore/io/numbers.h"
#include "convexscore/model/network1d.h"

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

}  // namespace

CLI::App* AddScoreCommand(CLI::App& app, ScoreArgs& args) {
  CLI::App* score = app.add_subcommand(
      "score", "Evaluate the predicted score of a model file; prints or writes CSV x,score");
  score->add_option("--model", args.model, "model file written by `convexscore fit` (required)")
      ->required()
      ->option_text("MODEL.json");
  CLI::Option* x = score->add_option("--x", args.x_list, "points, comma separated (or use --grid)")
                       ->option_text("v1,v2,...");
  CLI::Option* grid =
      score->add_option("--grid", args.grid, "COUNT equally spaced points from LO to HI")
          ->option_text("LO:HI:COUNT");
  x->excludes(grid);
  score->add_option("--out", args.out, "CSV file to write instead of printing")
      ->option_text("F.csv");
  return score;
}

int RunScore(const ScoreArgs& args) {
  if (args.x_list.empty() == args.grid.empty()) {
    throw Error("give exactly one of --x v1,v2,... and --grid LO:HI:COUNT");
  }
  const std::vector<double> points =
      args.grid.empty() ? ParsePointList(args.x_list) : ParseGrid(args.grid);
  if (!args.out.empty()) CheckOutputWritable(args.out);
  const Network1D network = LoadNetwork1DFile(args.model);

  std::vector<double> scores(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) scores[i] = network.Score(points[i]);

  const std::vector<std::string> header = {"x", "score"};
  if (args.out.empty()) {
    std::cout << FormatCsvTable(header, {points, scores});
  } else {
    WriteCsvTable(args.out, header, {points, scores});
    std::cout << "predicted score at " << points.size() << " points written to " << args.out
              << '\n';
  }
  return kExitOk;
}

}  // namespace convexscore::cli
