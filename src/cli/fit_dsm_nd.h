// `convexscore fit --objective dsm` on d-dimensional data (--columns, or a d-D --generate spec):
// one exact per-coordinate DSM fit per noise level (programs/denoising_score_matching_nd.h), or
// with --architecture shared one shared-hidden-layer relaxation per level with its lower bound,
// upper bound and gap (programs/shared_hidden_layer_nd.h), written as one noise-levels model
// file that `sample --annealed` reads.
#pragma once

#include <cstdint>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace convexscore::cli {

// The noise options of `fit --objective dsm`, shared by the 1-D and the d-D paths.
struct DenoisingArgs {
  std::vector<double> sigmas;  // positive, strictly decreasing (CheckNoiseLevels)
  int copies = 0;              // 1 .. 1000000
  std::uint64_t noise_seed = 0;  // --noise-seed, or the data seed (--seed)
};
DenoisingArgs ParseDenoisingArgs(const FitArgs& args);

// "0.5,0.1,0.05" -> the noise levels, checked positive and strictly decreasing
// (CheckNoiseLevels); errors name --sigmas.
std::vector<double> ParseSigmaList(const std::string& text);

// Registers --columns and the pattern options of the d-D path on `fit`.
void AddFitDenoisingNDOptions(CLI::App& fit, FitArgs& args);

// The d-D path (IsMultivariateData(args.data)), either architecture: errors as Error, exit 0 on
// success (levels that are not certified are written and warned about on stderr).
int RunFitDenoisingND(const FitArgs& args);

}  // namespace convexscore::cli
