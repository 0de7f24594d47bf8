#include "cli/fit_dsm_nd.h"

#include <cmath>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "cli/data_args.h"
#include "cli/fit_sm_nd.h"
#include "cli/report.h"
#include "convexscore/common.h"
#include "convexscore/io/atomic_file.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/io/numbers.h"
#include "convexscore/programs/denoising_levels_1d.h"
#include "convexscore/programs/denoising_score_matching_nd.h"
#include "convexscore/programs/shared_hidden_layer_nd.h"

namespace convexscore::cli {
namespace {

std::string Number(double value) { return FormatDouble(value, 12); }
std::string Small(double value) { return FormatDouble(value, 3); }

// --memory-limit, as the budget of the pattern sets (the default when not given).
std::int64_t ParseMemoryBudget(const FitArgs& args) {
  if (args.memory_limit.empty()) return DenoisingScoreMatchingNDOptions{}.memory_budget_bytes;
  const double gib = ParseFiniteOption("--memory-limit", args.memory_limit);
  try {
    return MemoryBudgetBytes(gib);
  } catch (const Error& e) {
    throw Error(std::string("--memory-limit ") + e.what());
  }
}

// The options of sm's d-D fit (ParseModelOptions) and --memory-limit, for either architecture;
// the pattern options need the data's dimension (ParsePatternArgs, after loading).
template <typename Options>
Options ParseOptions(const FitArgs& args) {
  if (args.skip) {
    throw Error("--skip is not available for d-D data (the d-D networks have no skip term)");
  }
  Options options;
  ParseModelOptions(args, options);
  return options;
}

// The patterns of a level's fit (the per-coordinate and the shared results name them alike).
template <typename Result>
std::string PatternText(const Result& r) {
  std::string text = std::to_string(r.patterns) + " " +
                     std::string(PatternMethodName(r.pattern_method)) + " patterns";
  if (r.pattern_method == PatternMethod::kSampled) {
    text += " (" + std::to_string(r.sampled_directions) + " directions, seed " +
            std::to_string(r.pattern_seed) + ")";
  }
  return text;
}

// The first lines of either architecture's report: the fit, the data and the noise.
void PrintHeader(std::ostream& out, const std::string& architecture, Activation activation,
                 double beta, const LoadedDataND& data, const DenoisingArgs& noise) {
  const int n = static_cast<int>(data.x.rows()), d = static_cast<int>(data.x.cols());
  out << "convexscore fit: denoising score matching (mean form), " << d << "-D, "
      << architecture << ", activation " << ActivationName(activation)
      << ", beta = " << FormatDouble(beta) << '\n';
  ReportLine(out, "data", data.description + ": " + std::to_string(n) + " points");
  ReportLine(out, "noise", std::to_string(noise.copies) + " copies per point (" +
                               std::to_string(n * noise.copies) +
                               " noisy inputs per level), noise seed " +
                               std::to_string(noise.noise_seed) + " + level index");
}

void PrintReport(std::ostream& out, const FitArgs& args,
                 const DenoisingScoreMatchingNDOptions& options, const LoadedDataND& data,
                 const DenoisingArgs& noise, const std::vector<DenoisingLevelND>& levels) {
  PrintHeader(out, "one network per coordinate", options.activation, options.beta, data, noise);
  for (const DenoisingLevelND& level : levels) {
    const DenoisingScoreMatchingNDResult& r = level.result;
    const SolveSummary& s = r.summary;
    ReportLine(out, "sigma " + FormatDouble(level.sigma),
               std::string(StatusName(s.status)) + ", objective " + Number(s.objective) +
                   ", network " + Number(r.network_objective) + ", relative gap " +
                   Small(s.relative_gap) + ", KKT residual " + Small(s.kkt_residual) + ", " +
                   std::to_string(r.active_neurons) +
                   " neurons, " + PatternText(r) + ", " + Small(s.seconds) + " s");
  }
  ReportLine(out, "model written to",
             args.out + " (" + std::to_string(levels.size()) + " noise levels)");
}

}  // namespace

// "0.5,0.1,0.05" -> the levels, checked positive and strictly decreasing (CheckNoiseLevels).
std::vector<double> ParseSigmaList(const std::string& text) {
  if (text.empty()) throw Error("--objective dsm needs --sigmas (e.g. --sigmas 0.5,0.1,0.05)");
  std::vector<double> sigmas;
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = text.find(',', begin);
    sigmas.push_back(ParseFiniteOption(
        "--sigmas", text.substr(begin, end == std::string::npos ? std::string::npos : end - begin)));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  try {
    CheckNoiseLevels(sigmas);
  } catch (const Error& e) {
    throw Error(std::string("--sigmas: ") + e.what());
  }
  return sigmas;
}

DenoisingArgs ParseDenoisingArgs(const FitArgs& args) {
  DenoisingArgs noise;
  noise.sigmas = ParseSigmaList(args.sigmas);
  const std::int64_t copies = ParseIntegerOption("--copies", args.copies);
  if (copies < 1 || copies > 1'000'000) {
    throw Error("--copies must be between 1 and 1000000 (got " + args.copies + ")");
  }
  noise.copies = static_cast<int>(copies);
  noise.noise_seed = ParseUnsignedOption(args.noise_seed.empty() ? "--seed" : "--noise-seed",
                                         args.noise_seed.empty() ? args.data.seed : args.noise_seed);
  return noise;
}

void AddFitDenoisingNDOptions(CLI::App& fit, FitArgs& args) {
  fit.add_option("--memory-limit", args.memory_limit,
                 "d-D dsm: refuse pattern sets estimated above this many GiB (default " +
                     FormatDouble(double(DenoisingScoreMatchingNDOptions{}.memory_budget_bytes) /
                                  double(1 << 30)) +
                     ")")
      ->option_text("GIB");
}

namespace {

// Architecture (b): one shared-layer relaxation per level, each with its lower bound, the
// rebuilt network's objective (upper bound) and their gap.
void PrintSharedReport(std::ostream& out, const FitArgs& args,
                       const SharedHiddenLayerNDOptions& options, const LoadedDataND& data,
                       const DenoisingArgs& noise,
                       const std::vector<SharedDenoisingLevelND>& levels) {
  PrintHeader(out, "shared hidden layer (nuclear-norm relaxation, biases penalized)",
              options.activation, options.beta, data, noise);
  for (const SharedDenoisingLevelND& level : levels) {
    const SharedHiddenLayerNDResult& r = level.result;
    ReportLine(out, "sigma " + FormatDouble(level.sigma),
               std::string(StatusName(r.summary.status)) + ", lower bound " +
                   Number(r.lower_bound) + ", upper bound " + Number(r.upper_bound) +
                   " (rebuilt network), gap " + Small(r.gap) + ", relaxation relative gap " +
                   Small(r.summary.relative_gap) + ", " + std::to_string(r.network.neurons()) +
                   " neurons, " + PatternText(r) + ", " + Small(r.summary.seconds) + " s");
  }
  ReportLine(out, "model written to",
             args.out + " (" + std::to_string(levels.size()) + " noise levels)");
}

int RunFitSharedDenoisingND(const FitArgs& args) {
  SharedHiddenLayerNDOptions options = ParseOptions<SharedHiddenLayerNDOptions>(args);
  const std::int64_t memory_budget = ParseMemoryBudget(args);
  const DenoisingArgs noise = ParseDenoisingArgs(args);
  CheckOutputWritable(args.out);

  const LoadedDataND data = LoadDataND(args.data);
  ApplyPatternArgs(ParsePatternArgs(args, static_cast<int>(data.x.cols())), options);
  const std::vector<SharedDenoisingLevelND> levels = FitSharedHiddenLayerDenoisingLevelsND(
      data.x, noise.sigmas, noise.copies, noise.noise_seed, options, memory_budget);
  WriteModelFile(args.out,
                 SharedDenoisingLevelsNDToJson(levels, options, DataSummaryND(data), data.names));

  if (!args.quiet) PrintSharedReport(std::cout, args, options, data, noise, levels);
  for (const SharedDenoisingLevelND& level : levels) {
    const SolveSummary& s = level.result.summary;
    if (s.status != SolveStatus::kOptimal) {
      // DSM's dual point is scaled to be exactly feasible (kkt_residual = its infeasibility
      // = 0), so its value stays a valid lower bound even when the solve stopped early.
      std::cerr << "warning: at sigma " << FormatDouble(level.sigma)
                << " the relaxation stopped with status " << StatusName(s.status)
                << " (relative gap " << Small(s.relative_gap)
                << (s.message.empty() ? "" : "; " + s.message) << "); the model was written, "
                << (s.kkt_residual == 0.0 ? "its lower bound is valid but loose"
                                          : "its lower bound is not certified")
                << "\n";
    }
  }
  return kExitOk;
}

}  // namespace

int RunFitDenoisingND(const FitArgs& args) {
  if (!args.data.column.empty()) throw Error("--column is for 1-D data; give d-D data with --columns");
  if (args.architecture == "shared") return RunFitSharedDenoisingND(args);
  DenoisingScoreMatchingNDOptions options = ParseOptions<DenoisingScoreMatchingNDOptions>(args);
  options.memory_budget_bytes = ParseMemoryBudget(args);
  options.threads = ParseThreadsOption(args.threads);
  const DenoisingArgs noise = ParseDenoisingArgs(args);
  CheckOutputWritable(args.out);

  const LoadedDataND data = LoadDataND(args.data);
  ApplyPatternArgs(ParsePatternArgs(args, static_cast<int>(data.x.cols())), options);
  const std::vector<DenoisingLevelND> levels = FitDenoisingLevelsND(
      data.x, noise.sigmas, noise.copies, noise.noise_seed, options);
  WriteModelFile(args.out,
                 DenoisingLevelsNDToJson(levels, options, DataSummaryND(data), data.names));

  if (!args.quiet) PrintReport(std::cout, args, options, data, noise, levels);
  for (const DenoisingLevelND& level : levels) {
    const SolveSummary& s = level.result.summary;
    if (s.status != SolveStatus::kOptimal) {
      std::cerr << "warning: at sigma " << FormatDouble(level.sigma) << " the fit is not certified ("
                << StatusName(s.status) << ", relative gap " << Small(s.relative_gap)
                << (s.message.empty() ? "" : "; " + s.message)
                << "); the model was written but is not certified optimal\n";
    }
  }
  return kExitOk;
}

}  // namespace convexscore::cli
