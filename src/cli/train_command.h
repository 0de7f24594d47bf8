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

// The network --init-model starts from, 1-D or d-D alike: a single-model file's network (for
// sm, no sigma), or the level of a noise-levels file at `sigma` (from fit --objective dsm: the
// convex optimum of the same DSM objective when --copies and the noise seed also match).
// `load_single(document, source)` and `load_levels(document, source)` are the dimension's loaders.
template <typename LoadSingle, typename LoadLevels>
auto LoadStartNetwork(const std::string& file, std::optional<double> sigma,
                      LoadSingle load_single, LoadLevels load_levels) {
  const nlohmann::json document = ReadModelFile(file);
  const std::string source = "file " + file;
  if (!HasNoiseLevels(document)) return load_single(document, source);
  std::string sigmas;
  for (auto& level : load_levels(document, source)) {
    if (sigma && level.sigma == *sigma) return std::move(level.network);
    sigmas += (sigmas.empty() ? "" : ", ") + FormatDouble(level.sigma);
  }
  if (!sigma) {
    throw Error("--init-model: " + file + " holds denoising models at noise levels " + sigmas +
                "; start sm training from a single-model file");
  }
  throw Error("--init-model: " + file + " has no model at sigma " + FormatDouble(*sigma) +
              " (its noise levels: " + sigmas + ")");
}
// The d-D path of RunTrain (train_nd.cc), given the options common to both paths.
int RunTrainND(const TrainArgs& args, NonconvexTrainingOptions options);

}  // namespace convexscore::cli
