// `convexscore limit`: the stationary law of a model's Langevin dynamics (see --help).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace convexscore::cli {

struct LimitArgs {
  std::string model;
  std::string out;   // density CSV; "" = none
  std::string grid;  // LO:HI:COUNT for the density; "" = from the law's quantiles
};

CLI::App* AddLimitCommand(CLI::App& app, LimitArgs& args);
int RunLimit(const LimitArgs& args);

}  // namespace convexscore::cli
