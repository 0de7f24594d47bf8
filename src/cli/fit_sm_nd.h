// Multivariate score matching on the command line: `fit --columns ... --objective sm` and
// `thresholds --columns ...` (architecture (a), programs/score_matching_nd.h).
#pragma once

#include <cstdint>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/data_args.h"
#include "convexscore/common.h"

namespace convexscore::cli {

// --activation, --beta, --gap-tolerance, --max-iterations of every d-D fit (the Options of sm,
// dsm and the shared layer name these fields alike).
template <typename Options>
void ParseModelOptions(const FitArgs& args, Options& options) {
  options.activation = ParseActivation(args.activation);
  options.beta = ParseFiniteOption("--beta", args.beta);
  if (!(options.beta > 0)) throw Error("--beta must be positive (got " + args.beta + ")");
  if (const auto tolerance = ParseGapToleranceOption(args.gap_tolerance)) {
    options.solver.gap_tolerance = *tolerance;
  }
  if (const auto iterations = ParseMaxIterationsOption(args.max_iterations)) {
    options.solver.max_iterations = *iterations;
  }
}

// --patterns, --pattern-directions and --pattern-seed of every d-D fit (sm, dsm, the shared
// layer), for data of dimension d; checked by programs/pattern_options.h as the Python module
// checks them.
struct PatternArgs {
  bool sample_patterns = false;
  int sampled_directions = 0;
  std::uint64_t seed = 0;
};
PatternArgs ParsePatternArgs(const FitArgs& args, int d);

// The pattern choice into a fit's options (the seed field is `pattern_seed` in the DSM
// per-coordinate options, `seed` in the others).
template <typename Options>
void ApplyPatternArgs(const PatternArgs& patterns, Options& options) {
  options.sample_patterns = patterns.sample_patterns;
  options.sampled_directions = patterns.sampled_directions;
  if constexpr (requires { options.pattern_seed; }) {
    options.pattern_seed = patterns.seed;
  } else {
    options.seed = patterns.seed;
  }
}

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
