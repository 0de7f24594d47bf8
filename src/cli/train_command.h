// `convexscore train`: non-convex training of the same networks `fit` solves exactly.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace convexscore::cli {

struct TrainArgs {
  DataArgs data;
  std::string objective;  // sm | dsm
  std::string sigma;      // dsm only
  std::string copies = "1";
  std::string noise_seed = "1";
  std::string activation;
  bool skip = false;
  std::string width;
  std::string beta;
  std::string optimizer = "adam";
  std::string learning_rate;
  std::string epochs;
  std::string batch;  // "" = full batch
  std::string init_seed;  // "" = the run's --seed (default 1)
  std::string init_model;  // start from this model file's network instead of a random one
  std::string history_every = "10";
  std::string out;
  bool quiet = false;
};

CLI::App* AddTrainCommand(CLI::App& app, TrainArgs& args);
int RunTrain(const TrainArgs& args);

}  // namespace convexscore::cli
