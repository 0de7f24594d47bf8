// `convexscore train`: non-convex training of the same networks `fit` solves exactly.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "convexscore/common.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/io/numbers.h"
#include "convexscore/training/gradient_training.h"

namespace convexscore::cli {

struct TrainArgs {
  DataArgs data;
  std::string objective;  // sm | dsm
  std::string sigma;      // dsm only: one level
  std::string sigmas;     // d-D dsm: several levels, one network each (a noise-levels file)
  std::string copies = "1";
  std::string noise_seed = "1";
  bool penalize_biases = false;
  bool noise_options_given = false;  // --copies or --noise-seed was on the command line  // d-D: weight decay on the first-layer biases too
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

// The network --init-model starts from (StartNetworkFromDocument of the file, errors naming
// --init-model and the file); `load_single` and `load_levels` are the dimension's loaders.
template <typename LoadSingle, typename LoadLevels>
auto LoadStartNetwork(const std::string& file, std::optional<double> sigma,
                      LoadSingle load_single, LoadLevels load_levels) {
  return StartNetworkFromDocument(ReadModelFile(file), sigma, "--init-model: " + file,
                                  "file " + file, load_single, load_levels);
}
// The d-D path of RunTrain (train_nd.cc), given the options common to both paths.
int RunTrainND(const TrainArgs& args, NonconvexTrainingOptions options);

}  // namespace convexscore::cli
