// Multivariate score matching on the command line: `fit --columns ... --objective sm` and
// `thresholds --columns ...` (architecture (a), programs/score_matching_nd.h).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace convexscore::cli {

// The options only multivariate fits use (--columns, --architecture, --patterns, ...).
void AddFitNDOptions(CLI::App& fit, FitArgs& args);
// The same for `thresholds` (--columns, --threshold-tolerance).
void AddThresholdsNDOptions(CLI::App& thresholds, ThresholdsArgs& args);

// `fit` on multivariate data with --objective sm: writes the model file (io/score_model_nd_json.h)
// and prints the report. Returns kExitUnbounded, writing nothing, when beta < beta_min.
int RunFitScoreMatchingND(const FitArgs& args);

// `thresholds` on multivariate data: beta_max and the certified bracket of beta_min, as JSON.
int RunThresholdsND(const ThresholdsArgs& args);

}  // namespace convexscore::cli
