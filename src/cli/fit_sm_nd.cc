#include "cli/fit_sm_nd.h"

#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/data_args.h"
#include "cli/report.h"
#include "convexscore/common.h"
#include "convexscore/io/atomic_file.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/numbers.h"
#include "convexscore/io/score_model_nd_json.h"
#include "convexscore/io/shared_model_json.h"
#include "convexscore/programs/pattern_options.h"
#include "convexscore/programs/score_matching_nd.h"
#include "convexscore/programs/shared_hidden_layer_nd.h"

namespace convexscore::cli {
namespace {

std::string Number(double value) { return FormatDouble(value, 12); }
std::string Small(double value) { return FormatDouble(value, 3); }

double ParseThresholdTolerance(const std::string& text) {
  const double tolerance = ParseFiniteOption("--threshold-tolerance", text);
  if (!(tolerance > 0 && tolerance < 1)) {
    throw Error("--threshold-tolerance must be in (0, 1) (got " + text + ")");
  }
  return tolerance;
}

// The data, checked for the program (enough points, finite, full rank); errors name the file.
LoadedPoints LoadCheckedPoints(const DataArgs& args) {
  LoadedPoints data = LoadPoints(args);
  try {
    CheckScoreMatchingNDData(data.x);
  } catch (const Error& e) {
    throw Error((args.file.empty() ? data.description : args.file) + ": " + e.what());
  }
  return data;
}

std::vector<std::string> CoordinateNames(const LoadedPoints& data) {
  for (const std::string& name : data.names) {
    if (name.empty()) return {};
  }
  return data.names;
}

void PrintReport(std::ostream& out, const FitArgs& args, const ScoreMatchingNDOptions& options,
                 const LoadedPoints& data, const ScoreMatchingNDModel& fit) {
  const ScoreMatchingNDResult& result = fit.result;
  const ScoreMatchingNDThresholdsResult& thresholds = fit.thresholds;
  const double network_objective = fit.network_objective;
  const SolveSummary& summary = result.summary;
  const int d = static_cast<int>(data.x.cols());
  out << "convexscore fit: score matching (mean form), " << d
      << "-D, architecture per-coordinate, activation " << ActivationName(options.activation)
      << ", beta = " << FormatDouble(options.beta) << '\n';
  ReportLine(out, "data", data.description + ": " + std::to_string(data.x.rows()) +
                              " points in " + std::to_string(d) + " dimensions");
  ReportLine(out, "patterns", std::to_string(result.patterns) + " (" +
                                  std::string(PatternMethodName(result.pattern_method)) +
                                  (result.pattern_method == PatternMethod::kSampled
                                       ? ", " + std::to_string(options.sampled_directions) +
                                             " directions, seed " +
                                             std::to_string(result.pattern_seed)
                                       : "") +
                                  ")");
  ReportCertificate(out, summary, network_objective, options.solver.gap_tolerance);
  ReportLine(out, "iterations",
             std::to_string(summary.iterations) + " in " + Small(summary.seconds) + " s");
  std::string per;
  for (const ScalarNetworkND& g : result.networks) {
    per += (per.empty() ? "" : " + ") + std::to_string(g.b.size());
  }
  ReportLine(out, "active neurons",
             std::to_string(result.network.neurons()) + "  (" + per + " per coordinate)");
  ReportLine(out, "beta_min",
             "in [" + Number(thresholds.beta_min_lower) + ", " +
                 Number(thresholds.beta_min_upper) + "]  (certified: unbounded below the lower "
                 "end, bounded from the upper end)");
  ReportLine(out, "beta_max",
             Number(thresholds.beta_max) + "  (zero network optimal from here on)");
  ReportLine(out, "model written to", args.out);
}

}  // namespace

PatternArgs ParsePatternArgs(const FitArgs& args, int d) {
  const PatternChoice choice = ParsePatternChoice(args.patterns);
  try {
    CheckPatternChoice(choice, d);
  } catch (const Error& e) {
    throw Error("--patterns " + args.patterns + ": " + e.what());
  }
  const std::int64_t directions =
      ParseIntegerOption("--pattern-directions", args.pattern_directions);
  PatternArgs patterns;
  try {
    patterns.sampled_directions = CheckSampledDirections(directions);
  } catch (const Error& e) {
    throw Error(std::string("--pattern-directions ") + e.what());
  }
  patterns.seed = ParseUnsignedOption("--pattern-seed", args.pattern_seed);
  patterns.sample_patterns = choice == PatternChoice::kSampled;
  return patterns;
}

void AddFitNDOptions(CLI::App& fit, FitArgs& args) {
  AddColumnsOption(fit, args.data);
  fit.add_option("--architecture", args.architecture,
                 "multivariate sm and dsm: per-coordinate (one scalar network per score "
                 "coordinate, the default) or shared (one hidden layer for all coordinates: a "
                 "convex relaxation, reported with lower bound, upper bound and gap)")
      ->check(CLI::IsMember({"per-coordinate", "shared"}))
      ->option_text("per-coordinate|shared");
  fit.add_option("--threads", args.threads,
                 "d-D, one network per coordinate: coordinates solved at once, 0 = one per "
                 "hardware thread; the model does not depend on it (default " + args.threads + ")")
      ->option_text("K");
  fit.add_option("--patterns", args.patterns,
                 "multivariate: activation patterns, exact (enumerated, d <= 3), sampled (from "
                 "random directions), or auto (exact for d <= 3; the default)")
      ->check(CLI::IsMember({"auto", "exact", "sampled"}))
      ->option_text("auto|exact|sampled");
  fit.add_option("--pattern-directions", args.pattern_directions,
                 "sampled patterns: number of random directions (default " +
                     args.pattern_directions + ")")
      ->option_text("K");
  fit.add_option("--pattern-seed", args.pattern_seed,
                 "sampled patterns: seed of the directions (default " + args.pattern_seed + ")")
      ->option_text("S");
  fit.add_option("--threshold-tolerance", args.threshold_tolerance,
                 "multivariate: relative width at which the bracketing of beta_min stops "
                 "(default " + args.threshold_tolerance + ")")
      ->option_text("T");
}

void AddThresholdsNDOptions(CLI::App& thresholds, ThresholdsArgs& args) {
  AddColumnsOption(thresholds, args.data);
  thresholds.add_option("--threshold-tolerance", args.threshold_tolerance,
                        "multivariate: relative width at which the bracketing of beta_min stops "
                        "(default " + args.threshold_tolerance + ")")
      ->option_text("T");
}

// Architecture (b): the nuclear-norm relaxation (a lower bound) and the network rebuilt from it
// (an upper bound), with the gap between them.
int RunFitSharedND(const FitArgs& args) {
  SharedHiddenLayerNDOptions options;
  ParseModelOptions(args, options);
  CheckOutputWritable(args.out);
  const LoadedPoints data = LoadCheckedPoints(args.data);
  ApplyPatternArgs(ParsePatternArgs(args, static_cast<int>(data.x.cols())), options);
  const SharedHiddenLayerNDResult result = FitSharedHiddenLayerND(data.x, options);
  if (result.summary.status == SolveStatus::kUnbounded) {
    std::cerr << "error: " << result.summary.message << '\n';
    return kExitUnbounded;
  }
  WriteModelFile(args.out, SharedModelNDToJson(result, options, DataSummaryNDJson(data.x, data.source),
                                               CoordinateNames(data)));
  if (!args.quiet) {
    std::cout << "convexscore fit: score matching (mean form), " << data.x.cols()
              << "-D, shared hidden layer (nuclear-norm relaxation, biases penalized), activation "
              << ActivationName(options.activation) << ", beta = " << FormatDouble(options.beta)
              << '\n';
    ReportLine(std::cout, "data",
               data.description + ": " + std::to_string(data.x.rows()) + " points");
    ReportLine(std::cout, "patterns",
               std::to_string(result.patterns) + " (" +
                   std::string(PatternMethodName(result.pattern_method)) + ")");
    ReportLine(std::cout, "status", std::string(StatusName(result.summary.status)) + ", " +
                                        result.summary.message);
    const bool certified = result.summary.status == SolveStatus::kOptimal;
    ReportLine(std::cout, "lower bound",
               Number(result.lower_bound) +
                   (certified ? "  (relaxation's dual value: no network of any width does better)"
                              : "  (not certified: the relaxation's solve stopped early)"));
    ReportLine(std::cout, "upper bound",
               Number(result.upper_bound) + "  (objective of the rebuilt ReLU network)");
    ReportLine(std::cout, "gap", Number(result.gap));
    ReportLine(std::cout, "active neurons", std::to_string(result.network.neurons()));
    ReportLine(std::cout, "beta_max", Number(result.beta_max));
    ReportLine(std::cout, "model written to", args.out);
  }
  if (result.summary.status != SolveStatus::kOptimal) {
    std::cerr << "warning: the relaxation stopped with status " << StatusName(result.summary.status)
              << "; the model was written but its lower bound is not certified\n";
  }
  return kExitOk;
}

int RunFitScoreMatchingND(const FitArgs& args) {
  if (args.skip) throw Error("--skip is not available for multivariate score matching");
  if (args.architecture == "shared") return RunFitSharedND(args);
  for (const auto& [given, option] : {std::pair{!args.sigmas.empty(), "--sigmas"},
                                      std::pair{args.copies != FitArgs{}.copies, "--copies"},
                                      std::pair{!args.noise_seed.empty(), "--noise-seed"}}) {
    if (given) throw Error(std::string(option) + " needs --objective dsm");
  }
  ScoreMatchingNDOptions options;
  ParseModelOptions(args, options);
  options.threads = ParseThreadsOption(args.threads);
  const double threshold_tolerance = ParseThresholdTolerance(args.threshold_tolerance);
  CheckOutputWritable(args.out);

  const LoadedPoints data = LoadCheckedPoints(args.data);
  ApplyPatternArgs(ParsePatternArgs(args, static_cast<int>(data.x.cols())), options);
  ScoreMatchingNDModel fit;
  try {
    fit = FitScoreMatchingNDModel(data.x, options, threshold_tolerance);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + "; no model written");
  }
  const ScoreMatchingNDResult& result = fit.result;
  if (result.summary.status == SolveStatus::kUnbounded) {
    std::cerr << "error: " << result.summary.message << '\n';
    return kExitUnbounded;
  }
  WriteModelFile(args.out, ScoreModelNDToJson(fit, options, threshold_tolerance, data.x,
                                              data.source, CoordinateNames(data)));

  if (!args.quiet) {
    PrintReport(std::cout, args, options, data, fit);
  }
  if (result.summary.status != SolveStatus::kOptimal) {
    std::cerr << "warning: the solver stopped with status " << StatusName(result.summary.status)
              << " (relative gap " << Small(result.summary.relative_gap)
              << "); the model was written but is not certified optimal\n";
  }
  return kExitOk;
}

int RunThresholdsND(const ThresholdsArgs& args) {
  if (args.skip) throw Error("--skip is not available for multivariate score matching");
  ScoreMatchingNDOptions options;
  options.activation = ParseActivation(args.activation);
  const double tolerance = ParseThresholdTolerance(args.threshold_tolerance);
  const LoadedPoints data = LoadCheckedPoints(args.data);
  const ScoreMatchingNDThresholdsResult t = ScoreMatchingNDAllThresholds(data.x, options, tolerance);
  nlohmann::json report = ThresholdsNDJson(t);
  report.update({
      {"n", data.x.rows()},
      {"dimension", data.x.cols()},
      {"activation", std::string(ActivationName(options.activation))},
      {"architecture", "per-coordinate"},
      {"threshold_tolerance", tolerance},
  });
  std::cout << report.dump(2) << '\n';
  return kExitOk;
}

}  // namespace convexscore::cli
