// `convexscore train`: gradient descent or Adam on the non-convex SM or DSM objective; writes a
// model file in the format of `fit`.
#include "cli/train_command.h"

#include <iostream>
#include <limits>
#include <optional>
#include <string>

#include "cli/data_args.h"
#include "cli/report.h"
#include "convexscore/common.h"
#include "convexscore/data/denoising_data.h"
#include "convexscore/io/atomic_file.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/io/numbers.h"
#include "convexscore/io/progress_display.h"
#include "convexscore/training/nonconvex_training_1d.h"

namespace convexscore::cli {
namespace {

// Bounds that keep a typo from asking for years of work.
constexpr std::int64_t kMaxWidth = 1'000'000;
constexpr std::int64_t kMaxEpochs = 1'000'000'000;
constexpr std::int64_t kMaxCopies = 1'000'000;

int ParseBounded(std::string_view option, const std::string& text, std::int64_t max) {
  const std::int64_t value = ParseIntegerOption(option, text);
  if (value < 1 || value > max) {
    throw Error(std::string(option) + ": need 1 <= N <= " + std::to_string(max) + " (got " +
                text + ")");
  }
  return static_cast<int>(value);
}

double ParsePositive(std::string_view option, const std::string& text) {
  const double value = ParseFiniteOption(option, text);
  if (!(value > 0.0)) throw Error(std::string(option) + ": need a value > 0 (got " + text + ")");
  return value;
}

std::string Number(double value) { return FormatDouble(value, 12); }

}  // namespace

CLI::App* AddTrainCommand(CLI::App& app, TrainArgs& args) {
  CLI::App* train = app.add_subcommand(
      "train",
      "Train the same two-layer score network by gradient descent or Adam on the non-convex "
      "objective (no certificate; compare with `fit`)");
  AddDataOptions(*train, args.data);
  // --seed is the run's seed (issue 4's contract): it seeds the generator with --generate and
  // the initial weights unless --init-seed is given, so it is allowed with --data too.
  CLI::Option* seed = train->get_option("--seed");
  seed->remove_needs(train->get_option("--generate"));
  seed->description("seed of the run: the generator's (with --generate) and, unless --init-seed "
                    "is given, the initial weights' and minibatch order's (default 1)");
  train->add_option("--objective", args.objective,
                    "sm: score matching on the data; dsm: denoising score matching on noisy "
                    "copies (required)")
      ->required()
      ->check(CLI::IsMember({"sm", "dsm"}))
      ->option_text("sm|dsm");
  CLI::Option* sigma = train->add_option("--sigma", args.sigma, "noise level of dsm, > 0")
                           ->option_text("S");
  CLI::Option* copies =
      train->add_option("--copies", args.copies,
                        "noisy copies per point for dsm (default " + args.copies + ")")
          ->option_text("K");
  CLI::Option* noise_seed =
      train->add_option("--noise-seed", args.noise_seed,
                        "seed of the dsm noise (default " + args.noise_seed + ")")
          ->option_text("S");
  CLI::Option* sigmas =
      train->add_option("--sigmas", args.sigmas,
                        "d-D dsm: several noise levels, decreasing; one network per level, level "
                        "l with noise seed --noise-seed + l (as fit --objective dsm --sigmas), "
                        "written as one noise-levels file for sample --annealed")
          ->option_text("S1,S2,...");
  sigmas->excludes(sigma);
  // Either of --sigma / --sigmas: checked in RunTrain (CLI11's needs() wants both).
  copies->each([&args](const std::string&) { args.noise_options_given = true; });
  noise_seed->each([&args](const std::string&) { args.noise_options_given = true; });
  AddColumnsOption(*train, args.data);
  train->add_flag("--penalize-biases", args.penalize_biases,
                  "d-D: weight decay on the first-layer biases too (the shared-hidden-layer "
                  "architecture of theory.md section 3); default: biases free");
  train->add_option("--activation", args.activation, "activation of the hidden layer (required)")
      ->required()
      ->check(CLI::IsMember({"relu", "abs"}))
      ->option_text("relu|abs");
  train->add_flag("--skip", args.skip, "add an unpenalized linear skip term V x");
  train->add_option("--width", args.width, "hidden units, >= 1 (required without --init-model)")
      ->option_text("M");
  train->add_option("--beta", args.beta, "weight decay (mean form), > 0 (required)")
      ->required()
      ->option_text("B");
  train->add_option("--optimizer", args.optimizer, "adam or gd (default " + args.optimizer + ")")
      ->check(CLI::IsMember({"adam", "gd"}))
      ->option_text("adam|gd");
  train->add_option("--lr", args.learning_rate, "learning rate, > 0 (required)")
      ->required()
      ->option_text("LR");
  train->add_option("--epochs", args.epochs, "passes over the data, >= 1 (required)")
      ->required()
      ->option_text("E");
  train->add_option("--batch", args.batch, "minibatch size, >= 1 (default: full batch)")
      ->option_text("K");
  train->add_option("--init-seed", args.init_seed,
                    "seed of the initial weights and the minibatch order (default: --seed)")
      ->option_text("S");
  train->add_option("--init-model", args.init_model,
                    "start from the network of this model file (from fit or train) instead of "
                    "a random one; its width is used (a noise-levels file from fit --objective "
                    "dsm: its model at --sigma)")
      ->option_text("MODEL.json");
  train->add_option("--history-every", args.history_every,
                    "record the objective every K epochs in the model file (default " +
                        args.history_every + ")")
      ->option_text("K");
  train->add_option("--out", args.out, "model file to write (JSON, required)")
      ->required()
      ->option_text("MODEL.json");
  train->add_flag("--quiet", args.quiet, "print nothing on success and show no progress");
  return train;
}

int RunTrain(const TrainArgs& args) {
  NonconvexTraining1DOptions options;
  const bool denoising = args.objective == "dsm";
  options.activation = ParseActivation(args.activation);
  options.skip = args.skip;
  if (args.width.empty() && args.init_model.empty()) {
    throw Error("--width M is required (or start from a model file with --init-model)");
  }
  if (!args.width.empty()) options.width = ParseBounded("--width", args.width, kMaxWidth);
  options.beta = ParsePositive("--beta", args.beta);
  options.optimizer = ParseOptimizer(args.optimizer);
  options.learning_rate = ParsePositive("--lr", args.learning_rate);
  options.epochs = ParseBounded("--epochs", args.epochs, kMaxEpochs);
  if (!args.batch.empty()) {
    options.batch = ParseBounded("--batch", args.batch, std::numeric_limits<int>::max());
  }
  options.init_seed = args.init_seed.empty() ? ParseUnsignedOption("--seed", args.data.seed)
                                             : ParseUnsignedOption("--init-seed", args.init_seed);
  options.history_every = ParseBounded("--history-every", args.history_every, kMaxEpochs);
  if (args.noise_options_given && args.sigma.empty() && args.sigmas.empty()) {
    throw Error("--copies and --noise-seed need --objective dsm with --sigma or --sigmas");
  }
  if (IsMultivariateData(args.data)) return RunTrainND(args, std::move(options));
  if (!args.sigmas.empty()) throw Error("--sigmas is for d-D data; train 1-D dsm at one --sigma");
  if (args.penalize_biases) throw Error("--penalize-biases is for d-D data (1-D biases are free)");
  nlohmann::json objective_settings = nlohmann::json::object();
  double sigma = 0.0;
  int copies = 0;
  std::uint64_t noise_seed = 0;
  if (denoising) {
    if (args.sigma.empty()) throw Error("--objective dsm needs --sigma S");
    sigma = ParsePositive("--sigma", args.sigma);
    copies = ParseBounded("--copies", args.copies, kMaxCopies);
    noise_seed = ParseUnsignedOption("--noise-seed", args.noise_seed);
    objective_settings = {{"sigma", sigma}, {"copies", copies}, {"noise_seed", noise_seed}};
  } else if (!args.sigma.empty()) {
    throw Error("--sigma is only used with --objective dsm");
  }
  // Fail on an unusable output path now, not after training.
  CheckOutputWritable(args.out);

  std::optional<Network1D> start;
  if (!args.init_model.empty()) {
    start = LoadStartNetwork(
        args.init_model, denoising ? std::optional<double>(sigma) : std::nullopt,
        [](const nlohmann::json& d, const std::string& s) { return LoadNetwork1D(d, s); },
        [](const nlohmann::json& d, const std::string& s) { return LoadNoiseLevels1D(d, s); });
    const int width = static_cast<int>(start->neurons.size());
    if (start->activation != options.activation) {
      throw Error("--init-model: " + args.init_model + " has activation " +
                  std::string(ActivationName(start->activation)) + ", not " + args.activation);
    }
    if (!args.width.empty() && width != options.width) {
      throw Error("--init-model: " + args.init_model + " has " + std::to_string(width) +
                  " units but --width is " + args.width);
    }
    if (!options.skip && start->skip != 0.0) {
      throw Error("--init-model: " + args.init_model + " has a skip term: add --skip");
    }
    options.width = width;
  }
  const LoadedData data = LoadData(args.data);
  ProgressDisplay progress("training", "epochs", std::cerr, !args.quiet && StderrIsTerminal());
  options.progress = [&](int done, int total) { progress.Update(done, total); };
  const TrainingResult1D result =
      denoising
          ? TrainDenoisingScoreMatching1D(
                MakeDenoisingData1D(data.values, sigma, copies, noise_seed), options, start)
          : TrainScoreMatching1D(data.values, options, start);
  progress.Clear();
  WriteModelFile(args.out, TrainedModel1DToJson(result, options, args.objective,
                                                objective_settings, args.init_model,
                                                data.sample, data.source));

  if (!args.quiet) {
    const TrainingSummary1D& summary = result.summary;
    std::cout << "convexscore train: "
              << (denoising ? "denoising score matching (sigma = " + FormatDouble(sigma) +
                                  ", " + std::to_string(copies) + " copies)"
                            : std::string("score matching"))
              << " (mean form), activation " << ActivationName(options.activation)
              << (options.skip ? " with skip" : ", no skip")
              << ", beta = " << FormatDouble(options.beta) << '\n';
    ReportLine(std::cout, "data",
               data.description + ": " + std::to_string(data.sample.n) + " points");
    ReportLine(std::cout, "optimizer",
               std::string(OptimizerName(options.optimizer)) + ", lr " +
                   FormatDouble(options.learning_rate) + ", " + std::to_string(options.epochs) +
                   " epochs, " +
                   (options.batch ? "batch " + std::to_string(*options.batch) : "full batch") +
                   ", width " + std::to_string(options.width) +
                   (start ? ", from " + args.init_model
                          : ", init seed " + std::to_string(options.init_seed)));
    ReportLine(std::cout, "initial objective", Number(summary.initial_objective));
    ReportLine(std::cout, "final objective", Number(summary.final_objective));
    ReportLine(std::cout, "best objective",
               Number(summary.best_objective) + "  (epoch " + std::to_string(summary.best_epoch) +
                   ")");
    ReportLine(std::cout, "time", FormatDouble(summary.seconds, 3) + " s, " +
                                      std::to_string(summary.steps) + " steps");
    ReportLine(std::cout, "model written to", args.out);
  }
  return kExitOk;
}

}  // namespace convexscore::cli
