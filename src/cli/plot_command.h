// `convexscore plot`: figures rendered by gnuplot (plotting/figures.h), see --help.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace convexscore::cli {

struct PlotArgs {
  std::string out;
  std::string title;
  std::string width = "900";
  std::string height = "560";
  // score: a model, its data and the true score.
  std::string model;
  DataArgs data;
  std::string target;
  std::string range;  // LO:HI
  // samples / scatter
  std::string samples;
  std::string column;
  std::string columns;
  std::string bins = "0";
  std::string reference;
  std::string reference_columns;
  // quiver
  std::string points;
  std::string points_columns;
  std::string box;  // X0:X1:Y0:Y1
  std::string grid = "25";
};

struct PlotCommands {
  CLI::App* plot = nullptr;
  CLI::App* score = nullptr;
  CLI::App* samples = nullptr;
  CLI::App* scatter = nullptr;
  CLI::App* quiver = nullptr;
};

PlotCommands AddPlotCommand(CLI::App& app, PlotArgs& args);
int RunPlot(const PlotCommands& commands, const PlotArgs& args);

}  // namespace convexscore::cli
