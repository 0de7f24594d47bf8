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

namespace convexscore::cli {
namespace {

std::string Number(double value) { return FormatDouble(value, 12); }
std::string Small(double value) { return FormatDouble(value, 3); }

// The options of sm's d-D fit (ParseModelOptions) and --memory-limit; the pattern options need
// the data's dimension (ParsePatternArgs, after loading).
DenoisingScoreMatchingNDOptions ParseOptions(const FitArgs& args) {
  if (args.skip) {
    throw Error("--skip is not available for d-D data (the per-coordinate networks have no skip "
                "term)");
  }
  DenoisingScoreMatchingNDOptions options;
  ParseModelOptions(args, options);
  if (!args.memory_limit.empty()) {
    const double gib = ParseFiniteOption("--memory-limit", args.memory_limit);
    try {
      options.memory_budget_bytes = MemoryBudgetBytes(gib);
    } catch (const Error& e) {
      throw Error(std::string("--memory-limit ") + e.what());
    }
  }
  return options;
}

std::string PatternText(const DenoisingScoreMatchingNDResult& r) {
  std::string text = std::to_string(r.patterns) + " " +
                     std::string(PatternMethodName(r.pattern_method)) + " patterns";
  if (r.pattern_method == PatternMethod::kSampled) {
    text += " (" + std::to_string(r.sampled_directions) + " directions, seed " +
            std::to_string(r.pattern_seed) + ")";
  }
  return text;
}

void PrintReport(std::ostream& out, const FitArgs& args,
                 const DenoisingScoreMatchingNDOptions& options, const LoadedDataND& data,
                 const DenoisingArgs& noise, const std::vector<DenoisingLevelND>& levels) {
  const int n = static_cast<int>(data.x.rows()), d = static_cast<int>(data.x.cols());
  out << "convexscore fit: denoising score matching (mean form), " << d
      << "-D, one network per coordinate, activation " << ActivationName(options.activation)
      << ", beta = " << FormatDouble(options.beta) << '\n';
  ReportLine(out, "data", data.description + ": " + std::to_string(n) + " points");
  ReportLine(out, "noise", std::to_string(noise.copies) + " copies per point (" +
                               std::to_string(n * noise.copies) +
                               " noisy inputs per level), noise seed " +
                               std::to_string(noise.noise_seed) + " + level index");
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

int RunFitDenoisingND(const FitArgs& args) {
  if (!args.data.column.empty()) throw Error("--column is for 1-D data; give d-D data with --columns");
  DenoisingScoreMatchingNDOptions options = ParseOptions(args);
  const DenoisingArgs noise = ParseDenoisingArgs(args);
  CheckOutputWritable(args.out);

  const LoadedDataND data = LoadDataND(args.data);
  const PatternArgs patterns = ParsePatternArgs(args, static_cast<int>(data.x.cols()));
  options.sample_patterns = patterns.sample_patterns;
  options.sampled_directions = patterns.sampled_directions;
  options.pattern_seed = patterns.seed;
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
