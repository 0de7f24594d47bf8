// `convexscore train` on d-D data (--columns of --data, or a d-D --generate spec): the
// multivariate network of model/network_nd.h trained by GD or Adam on SM or DSM, one network per
// noise level with --sigmas. The non-convex counterpart of `fit` on the same data: with the same
// --copies and --noise-seed, level l sees the noisy inputs fit saw (noise seed + l).
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/data_args.h"
#include "cli/fit_dsm_nd.h"
#include "cli/report.h"
#include "cli/train_command.h"
#include "convexscore/common.h"
#include "convexscore/io/atomic_file.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/model_nd_json.h"
#include "convexscore/io/model_reader.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/io/numbers.h"
#include "convexscore/io/progress_display.h"
#include "convexscore/training/nonconvex_training_nd.h"

namespace convexscore::cli {

int RunTrainND(const TrainArgs& args, NonconvexTrainingOptions options) {
  if (!args.data.column.empty()) throw Error("--column is for 1-D data; give d-D data with --columns");
  const bool denoising = args.objective == "dsm";
  options.bias_decay = args.penalize_biases ? BiasDecay::kPenalized : BiasDecay::kFree;
  std::vector<double> sigmas;
  int copies = 0;
  std::uint64_t noise_seed = 0;
  if (denoising) {
    if (!args.sigmas.empty()) {
      sigmas = ParseSigmaList(args.sigmas);
    } else if (!args.sigma.empty()) {
      const double s = ParseFiniteOption("--sigma", args.sigma);
      if (!(s > 0.0)) throw Error("--sigma: need a value > 0 (got " + args.sigma + ")");
      sigmas.push_back(s);
    } else {
      throw Error("--objective dsm needs --sigma S or --sigmas S1,S2,...");
    }
    const std::int64_t k = ParseIntegerOption("--copies", args.copies);
    if (k < 1 || k > 1'000'000) throw Error("--copies: need 1 <= N <= 1000000 (got " + args.copies + ")");
    copies = static_cast<int>(k);
    noise_seed = ParseUnsignedOption("--noise-seed", args.noise_seed);
  } else if (!args.sigma.empty() || !args.sigmas.empty()) {
    throw Error("--sigma and --sigmas are only used with --objective dsm");
  }
  CheckOutputWritable(args.out);

  const LoadedDataND data = LoadDataND(args.data);
  const int d = static_cast<int>(data.x.cols());
  if (data.x.rows() < 2) throw Error(data.description + ": need at least 2 points");
  ProgressDisplay progress("training", "epochs", std::cerr, !args.quiet && StderrIsTerminal());
  options.progress = [&](int done, int total) { progress.Update(done, total); };
  StartNetworkND start;
  if (!args.init_model.empty()) {
    start = [&](std::optional<double> sigma) -> std::optional<NetworkND> {
      NetworkND network = LoadStartNetwork(
          args.init_model, sigma,
          [](const nlohmann::json& d, const std::string& s) { return LoadNetworkND(d, s); },
          [](const nlohmann::json& d, const std::string& s) { return LoadNoiseLevelsND(d, s); });
      CheckStartNetworkND(network, d,
                          args.width.empty() ? std::nullopt : std::optional<int>(options.width),
                          "--init-model: " + args.init_model, "--width");
      return network;
    };
  }
  const std::vector<TrainingLevelND> levels =
      TrainLevelsND(data.x, sigmas, copies, noise_seed, options, start);
  progress.Clear();
  WriteModelFile(args.out, TrainedLevelsNDToJson(levels, options, args.objective, args.init_model,
                                                 DataSummaryND(data), data.names,
                                                 !args.sigmas.empty()));

  if (!args.quiet) {
    std::cout << "convexscore train: "
              << (denoising ? "denoising score matching" : "score matching") << " (mean form), "
              << d << "-D, shared hidden layer, activation " << ActivationName(options.activation)
              << (options.skip ? " with skip" : "") << ", beta = " << FormatDouble(options.beta)
              << (args.penalize_biases ? " (biases penalized)" : " (biases free)") << '\n';
    ReportLine(std::cout, "data",
               data.description + ": " + std::to_string(data.x.rows()) + " points");
    ReportLine(std::cout, "optimizer",
               std::string(OptimizerName(options.optimizer)) + ", lr " +
                   FormatDouble(options.learning_rate) + ", " + std::to_string(options.epochs) +
                   " epochs, " +
                   (options.batch ? "batch " + std::to_string(*options.batch) : "full batch") +
                   (args.init_model.empty() ? ", width " + std::to_string(options.width) +
                                                  ", init seed " + std::to_string(options.init_seed)
                                            : ", from " + args.init_model));
    for (const TrainingLevelND& level : levels) {
      const TrainingSummary& s = level.result.summary;
      ReportLine(std::cout, level.sigma ? "sigma " + FormatDouble(*level.sigma) : "objective",
                 "initial " + FormatDouble(s.initial_objective, 12) + ", final " +
                     FormatDouble(s.final_objective, 12) + ", best " +
                     FormatDouble(s.best_objective, 12) + " (epoch " +
                     std::to_string(s.best_epoch) + "), " + FormatDouble(s.seconds, 3) + " s");
    }
    ReportLine(std::cout, "model written to",
               args.out + (args.sigmas.empty() ? "" : " (" + std::to_string(levels.size()) +
                                                          " noise levels)"));
  }
  return kExitOk;
}

}  // namespace convexscore::cli
