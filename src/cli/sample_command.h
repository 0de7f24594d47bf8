// `convexscore sample`: Langevin samples from a model file (see --help).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace convexscore::cli {

struct SampleArgs {
  std::string model;
  std::string particles;
  std::string steps;
  std::string step_size;
  std::string seed = "1";
  std::string out;
  std::string init = "gaussian";
  std::string data;    // points for --init data
  std::string column;   // their column (1-D models); "" = the first
  std::string columns;  // their columns (d-D models); "" = every column
  bool annealed = false;
  std::string threads = "0";  // 0 = one per hardware thread
  bool quiet = false;
};

CLI::App* AddSampleCommand(CLI::App& app, SampleArgs& args);
int RunSample(const SampleArgs& args);

}  // namespace convexscore::cli
