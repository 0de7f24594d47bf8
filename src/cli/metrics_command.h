// `convexscore metrics`: distances between a sample and a reference sample or a known law,
// printed as JSON. Wired into main.cc like the other subcommands (commands.h).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace convexscore::cli {

struct MetricsArgs {
  std::string samples;      // CSV file of the points to assess
  std::string columns;      // "x,y" or "0,1": columns of both files; "" = every column
  std::string reference;    // CSV file of reference points ...
  std::string target;       // ... or a distribution spec (data/distribution_spec.h)
  std::string seed = "1";   // reference draws from a d-D target, projections, median subset
  std::string projections = "200";  // sliced W directions
  std::string reference_n;  // draws from a d-D target; "" = as many as there are samples
  std::string model;        // optional 1-D model file: Fisher divergence against --target
  std::string bandwidth;    // d-D MMD kernel bandwidth h; "" = the median heuristic
};

CLI::App* AddMetricsCommand(CLI::App& app, MetricsArgs& args);
int RunMetrics(const MetricsArgs& args);

}  // namespace convexscore::cli
