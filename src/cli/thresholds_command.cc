// `convexscore thresholds`: beta_min and beta_max of the data, as JSON, without solving.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/data_args.h"
#include "cli/fit_sm_nd.h"
#include "convexscore/common.h"
#include "convexscore/programs/score_matching_1d.h"

namespace convexscore::cli {

CLI::App* AddThresholdsCommand(CLI::App& app, ThresholdsArgs& args) {
  CLI::App* thresholds = app.add_subcommand(
      "thresholds",
      "Print beta_min (unbounded below it) and beta_max (zero network optimal above it) as JSON "
      "(multivariate data: a certified bracket of beta_min, found by bisection with solves)");
  AddDataOptions(*thresholds, args.data);
  thresholds
      ->add_option("--activation", args.activation, "activation of the hidden layer (required)")
      ->required()
      ->check(CLI::IsMember({"relu", "abs"}))
      ->option_text("relu|abs");
  thresholds->add_flag("--skip", args.skip, "with an unpenalized linear skip term V x");
  AddThresholdsNDOptions(*thresholds, args);
  return thresholds;
}

int RunThresholds(const ThresholdsArgs& args) {
  if (IsMultivariateData(args.data)) return RunThresholdsND(args);
  const Activation activation = ParseActivation(args.activation);
  const LoadedData data = LoadData(args.data);
  const Thresholds1D thresholds = ScoreMatching1DThresholds(data.sample, activation, args.skip);
  const nlohmann::json report = {
      {"beta_min", thresholds.beta_min},
      {"beta_max", thresholds.beta_max},
      {"n", data.sample.n},
      {"distinct", data.sample.distinct()},
      {"activation", std::string(ActivationName(activation))},
      {"skip", args.skip},
  };
  std::cout << report.dump(2) << '\n';
  return kExitOk;
}

}  // namespace convexscore::cli
