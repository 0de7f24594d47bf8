// The subcommands of the `convexscore` program. Each Add*Command registers its options on the
// CLI11 app and returns the state the options fill in; Run* does the work and returns the exit
// code. Errors the user can fix are thrown as convexscore::Error (main prints them, exit 1).
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace convexscore::cli {

// Exit codes of the program.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;      // bad input, bad file, failed write, bad arguments
inline constexpr int kExitUnbounded = 2;  // beta < beta_min: no optimum exists

// Where the data comes from: a CSV column or a built-in generator.
struct DataArgs {
  std::string file;
  std::string column;  // name or 0-based index; "" = first column
  std::string columns;  // d-D data: "x,y" names or 0-based indices ("" = univariate --column)
  std::string generator;
  std::string n = "1000";
  std::string seed = "1";
};

struct FitArgs {
  DataArgs data;
  std::string objective = "sm";  // sm | dsm
  std::string architecture;      // multivariate: per-coordinate (default) | shared
  std::string patterns = "auto";          // multivariate: auto | exact | sampled
  std::string pattern_directions = "1000";  // sampled patterns: random directions
  std::string pattern_seed = "1";           // their seed
  std::string threshold_tolerance = "0.1";  // multivariate: relative width of the beta_min bracket
  std::string sigmas;            // dsm: noise levels, strictly decreasing
  std::string copies = "5";      // dsm: noisy copies per point
  std::string noise_seed;        // dsm: "" = the data seed
  std::string activation;
  bool skip = false;
  std::string beta;
  std::string out;
  std::string gap_tolerance;   // "" = library default
  std::string max_iterations;  // "" = library default
  bool quiet = false;
  std::string memory_limit;  // d-D dsm: GiB the patterns may take ("" = library default)
  std::string threads = "0";  // d-D, one network per coordinate: coordinates solved at once
};

struct ThresholdsArgs {
  DataArgs data;
  std::string activation;
  bool skip = false;
  std::string threshold_tolerance = "0.1";  // multivariate: relative width of the bracket
};

struct ScoreArgs {
  std::string model;
  std::string x_list;
  std::string grid;
  std::string points;   // CSV file of points (any model)
  std::string columns;  // their columns; "" = every column
  std::string out;
  std::string sigma;    // the level of a noise-levels model file; "" = none
};

CLI::App* AddFitCommand(CLI::App& app, FitArgs& args);
CLI::App* AddThresholdsCommand(CLI::App& app, ThresholdsArgs& args);
CLI::App* AddScoreCommand(CLI::App& app, ScoreArgs& args);

int RunFit(const FitArgs& args);
int RunThresholds(const ThresholdsArgs& args);
int RunScore(const ScoreArgs& args);

}  // namespace convexscore::cli
