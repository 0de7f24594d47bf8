// `convexscore fit`: solve the convex score-matching program and write the model file.
#include <cmath>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/data_args.h"
#include "cli/fit_dsm_nd.h"
#include "cli/fit_sm_nd.h"
#include "cli/report.h"
#include "convexscore/solvers/cone_group_lasso.h"
#include "convexscore/common.h"
#include "convexscore/io/atomic_file.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/io/numbers.h"
#include "convexscore/model/network1d.h"
#include "convexscore/programs/denoising_levels_1d.h"
#include "convexscore/programs/denoising_score_matching_1d.h"
#include "convexscore/programs/score_matching_1d.h"

namespace convexscore::cli {
namespace {

std::string Number(double value) { return FormatDouble(value, 12); }
std::string Small(double value) { return FormatDouble(value, 3); }

void PrintReport(std::ostream& out, const FitArgs& args, const ScoreMatching1DOptions& options,
                 const LoadedData& data, const ScoreMatching1DResult& result,
                 double network_objective) {
  const SolveSummary& summary = result.summary;
  out << "convexscore fit: score matching (mean form), activation "
      << ActivationName(options.activation) << (options.skip ? " with skip" : ", no skip")
      << ", beta = " << FormatDouble(options.beta) << '\n';
  ReportLine(out, "data", data.description + ": " + std::to_string(data.sample.n) +
                              " points, " + std::to_string(data.sample.distinct()) +
                              " distinct, range [" + Small(data.sample.values.front()) + ", " +
                              Small(data.sample.values.back()) + "]");
  ReportCertificate(out, summary, network_objective, options.gap_tolerance);
  ReportLine(out, "iterations",
             std::to_string(summary.iterations) + " in " + Small(summary.seconds) + " s");
  ReportLine(out, "active neurons", std::to_string(result.active_neurons));
  ReportLine(out, "beta_min",
             Number(result.thresholds.beta_min) + "  (unbounded below for smaller beta)");
  ReportLine(out, "beta_max",
             Number(result.thresholds.beta_max) + "  (zero network optimal from here on)");
  ReportLine(out, "model written to", args.out);
}

// The options sm and dsm share; the Options structs have the same field names.
template <typename Options>
void ParseSolverOptions(const FitArgs& args, Options& options) {
  options.activation = ParseActivation(args.activation);
  options.skip = args.skip;
  options.beta = ParseFiniteOption("--beta", args.beta);
  if (const auto tolerance = ParseGapToleranceOption(args.gap_tolerance)) {
    options.gap_tolerance = *tolerance;
  }
  if (const auto iterations = ParseMaxIterationsOption(args.max_iterations)) {
    options.max_iterations = *iterations;
  }
}

void PrintDenoisingReport(std::ostream& out, const FitArgs& args,
                          const DenoisingScoreMatching1DOptions& options, const LoadedData& data,
                          const std::vector<DenoisingLevel1D>& levels) {
  const DenoisingSettings1D& noise = levels.front().noise;
  out << "convexscore fit: denoising score matching (mean form), activation "
      << ActivationName(options.activation) << (options.skip ? " with skip" : ", no skip")
      << ", beta = " << FormatDouble(options.beta) << '\n';
  ReportLine(out, "data", data.description + ": " + std::to_string(data.sample.n) +
                              " points, range [" + Small(data.sample.values.front()) + ", " +
                              Small(data.sample.values.back()) + "]");
  ReportLine(out, "noise", std::to_string(noise.copies) + " copies per point (" +
                               std::to_string(data.sample.n * noise.copies) +
                               " noisy inputs per level), noise seed " +
                               std::to_string(noise.seed) + " + level index");
  for (const DenoisingLevel1D& level : levels) {
    const SolveSummary& s = level.result.summary;
    ReportLine(out, "sigma " + FormatDouble(level.noise.sigma),
               std::string(StatusName(s.status)) + ", objective " + Number(s.objective) +
                   ", network " + Number(level.network_objective) + ", relative gap " +
                   Small(s.relative_gap) + ", " + std::to_string(level.result.active_neurons) +
                   " neurons, beta_max " + Small(level.result.beta_max) + ", " +
                   Small(s.seconds) + " s");
  }
  ReportLine(out, "model written to",
             args.out + " (" + std::to_string(levels.size()) + " noise levels)");
}

// `fit --objective dsm`: one convex DSM fit per sigma, each on its own noisy copies of the data
// (FitDenoisingLevels1D: the noise of level l is drawn with seed noise_seed + l).
int RunFitDenoising(const FitArgs& args) {
  if (IsMultivariateData(args.data)) return RunFitDenoisingND(args);
  DenoisingScoreMatching1DOptions options;
  ParseSolverOptions(args, options);
  const DenoisingArgs noise = ParseDenoisingArgs(args);
  CheckOutputWritable(args.out);

  const LoadedData data = LoadData(args.data);
  const std::vector<DenoisingLevel1D> levels = FitDenoisingLevels1D(
      data.values, noise.sigmas, noise.copies, noise.noise_seed, options);
  WriteModelFile(args.out, DenoisingLevels1DToJson(levels, options, data.sample, data.source));

  if (!args.quiet) PrintDenoisingReport(std::cout, args, options, data, levels);
  for (const DenoisingLevel1D& level : levels) {
    if (level.result.summary.status != SolveStatus::kOptimal) {
      std::cerr << "warning: at sigma " << FormatDouble(level.noise.sigma)
                << " the solver stopped with status " << StatusName(level.result.summary.status)
                << " (relative gap " << Small(level.result.summary.relative_gap)
                << "); the model was written but is not certified optimal\n";
    }
  }
  return kExitOk;
}

}  // namespace

CLI::App* AddFitCommand(CLI::App& app, FitArgs& args) {
  CLI::App* fit = app.add_subcommand(
      "fit", "Fit a two-layer score model by solving the exact convex score-matching program");
  AddDataOptions(*fit, args.data);
  fit->add_option("--activation", args.activation, "activation of the hidden layer (required)")
      ->required()
      ->check(CLI::IsMember({"relu", "abs"}))
      ->option_text("relu|abs");
  fit->add_flag("--skip", args.skip, "add an unpenalized linear skip term V x");
  fit->add_option("--beta", args.beta, "weight decay (mean form), > 0 (required)")
      ->required()
      ->option_text("B");
  fit->add_option("--out", args.out, "model file to write (JSON, required)")
      ->required()
      ->option_text("MODEL.json");
  fit->add_option("--gap-tolerance", args.gap_tolerance,
                  "stop when the relative duality gap is at most T (default " +
                      FormatDouble(ScoreMatching1DOptions{}.gap_tolerance) + ")")
      ->option_text("T");
  fit->add_option("--max-iterations", args.max_iterations,
                  "solver iteration limit (default " +
                      std::to_string(ScoreMatching1DOptions{}.max_iterations) +
                      " interior-point iterations in 1-D; in d-D it counts first-order steps "
                      "or descent sweeps plus Newton steps, default " +
                      std::to_string(ConeGroupLassoOptions{}.max_iterations) + ")")
      ->option_text("K");
  fit->add_option("--objective", args.objective,
                  "sm: score matching on the data (default); dsm: denoising score matching, "
                  "one model per noise level in one file (for sample --annealed)")
      ->check(CLI::IsMember({"sm", "dsm"}))
      ->option_text("sm|dsm");
  fit->add_option("--sigmas", args.sigmas,
                  "dsm: noise levels, positive and strictly decreasing (required with dsm)")
      ->option_text("S1,S2,...");
  fit->add_option("--copies", args.copies,
                  "dsm: noisy copies of each point (default " + args.copies + ")")
      ->option_text("K");
  fit->add_option("--noise-seed", args.noise_seed,
                  "dsm: seed of the noise (default: the data seed, --seed)")
      ->option_text("S");
  fit->add_flag("--quiet", args.quiet, "print nothing on success");
  AddFitDenoisingNDOptions(*fit, args);
  AddFitNDOptions(*fit, args);
  return fit;
}

int RunFit(const FitArgs& args) {
  if (args.objective != "dsm") {
    for (const auto& [given, option] : {std::pair{!args.sigmas.empty(), "--sigmas"},
                                        std::pair{args.copies != FitArgs{}.copies, "--copies"},
                                        std::pair{!args.noise_seed.empty(), "--noise-seed"}}) {
      if (given) throw Error(std::string(option) + " needs --objective dsm");
    }
  }
  if (args.threads != FitArgs{}.threads &&
      !(IsMultivariateData(args.data) && args.architecture != "shared")) {
    throw Error("--threads applies to d-D fits with one network per coordinate");
  }
  if (IsMultivariateData(args.data)) {
    if (args.objective == "sm") return RunFitScoreMatchingND(args);
    return RunFitDenoisingND(args);
  }
  if (!args.architecture.empty()) {
    throw Error("--architecture applies to multivariate data (--columns, or a 2-D --generate)");
  }
  if (args.objective == "dsm") return RunFitDenoising(args);
  ScoreMatching1DOptions options;
  ParseSolverOptions(args, options);
  // Fail on an unusable output path now, not after the solve.
  CheckOutputWritable(args.out);

  const LoadedData data = LoadData(args.data);
  const ScoreMatching1DResult result = FitScoreMatching1D(data.sample, options);
  if (result.summary.status == SolveStatus::kUnbounded) {
    std::cerr << "error: " << result.summary.message << '\n';
    return kExitUnbounded;
  }

  // Certificate: the network rebuilt from the convex solution attains the convex value.
  const double network_objective =
      ScoreMatchingObjective(result.network, data.values, options.beta);
  if (!std::isfinite(result.summary.objective) || !std::isfinite(network_objective)) {
    // A model that cannot be evaluated is worse than none: report and write nothing.
    throw Error("the solver failed (status " + std::string(StatusName(result.summary.status)) +
                ", objective " + FormatDouble(result.summary.objective) +
                "); no model written" +
                (result.summary.message.empty() ? "" : ": " + result.summary.message));
  }
  WriteModelFile(args.out,
                 ScoreModel1DToJson(result, options, data.sample, data.source, network_objective));

  if (!args.quiet) PrintReport(std::cout, args, options, data, result, network_objective);
  if (result.summary.status != SolveStatus::kOptimal) {
    std::cerr << "warning: the solver stopped with status " << StatusName(result.summary.status)
              << " (relative gap " << Small(result.summary.relative_gap)
              << "); the model was written but is not certified optimal\n";
  }
  return kExitOk;
}

}  // namespace convexscore::cli
