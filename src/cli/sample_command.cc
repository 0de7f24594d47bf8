// `convexscore sample`: unadjusted (or annealed) Langevin samples from a model file.
#include "cli/sample_command.h"

#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/data_args.h"
#include "convexscore/common.h"
#include "convexscore/data/csv.h"
#include "convexscore/io/atomic_file.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/model_nd_json.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/io/numbers.h"
#include "convexscore/io/progress_display.h"
#include "convexscore/model/network1d.h"
#include "convexscore/sampling/langevin.h"
#include "convexscore/sampling/langevin_nd.h"

namespace convexscore::cli {
namespace {

// Bounds that keep a typo from asking for terabytes or years.
constexpr std::int64_t kMaxParticles = 1'000'000'000;

std::int64_t ParseCount(std::string_view option, const std::string& text, std::int64_t max) {
  const std::int64_t value = ParseIntegerOption(option, text);
  if (value < 1 || value > max) {
    throw Error(std::string(option) + ": need 1 <= N <= " + std::to_string(max) + " (got " + text +
                ")");
  }
  return value;
}

std::string Number(double value) { return FormatDouble(value, 6); }

}  // namespace

CLI::App* AddSampleCommand(CLI::App& app, SampleArgs& args) {
  CLI::App* sample =
      app.add_subcommand("sample",
                         "Draw samples from a model's score by unadjusted Langevin dynamics, "
                         "x <- x + (eps/2) f(x) + sqrt(eps) z; writes CSV with header x (d-D "
                         "models: the model's coordinate names, or x1,...,xd)");
  sample->add_option("--model", args.model, "model file (required)")
      ->required()
      ->option_text("MODEL.json");
  sample->add_option("--particles", args.particles, "number of independent chains (required)")
      ->required()
      ->option_text("N");
  sample
      ->add_option("--steps", args.steps,
                   "Langevin steps (per noise level with --annealed) "
                   "(required)")
      ->required()
      ->option_text("T");
  sample
      ->add_option("--step-size", args.step_size,
                   "eps > 0; with --annealed the step of the last (smallest) noise level, "
                   "level i using eps (sigma_i / sigma_L)^2 (required)")
      ->required()
      ->option_text("EPS");
  sample
      ->add_option(
          "--seed", args.seed,
          "seed; the samples depend on it alone, not on --threads (default " + args.seed + ")")
      ->option_text("S");
  sample->add_option("--out", args.out, "CSV file to write (required)")
      ->required()
      ->option_text("SAMPLES.csv");
  sample
      ->add_option("--init", args.init,
                   "starting law: uniform on [LO, HI), N(MEAN, SD^2) (default N(0, 1)), or "
                   "points drawn from --data (default " +
                       args.init + ")")
      ->option_text("uniform:LO:HI|gaussian[:MEAN:SD]|data");
  CLI::Option* data =
      sample->add_option("--data", args.data, "CSV file of starting points for --init data")
          ->option_text("FILE.csv");
  sample
      ->add_option("--column", args.column,
                   "column of --data: header name or 0-based index (default: the first)")
      ->option_text("NAME|INDEX")
      ->needs(data);
  sample
      ->add_option("--columns", args.columns,
                   "columns of --data for a d-D model: names or 0-based indices, comma "
                   "separated, one per coordinate (default: every column)")
      ->option_text("X,Y,...")
      ->needs(data);
  sample->add_flag("--annealed", args.annealed,
                   "annealed Langevin over the noise levels of the model file (largest sigma "
                   "first)");
  sample
      ->add_option("--threads", args.threads,
                   "worker threads, 0 = one per hardware thread (default " + args.threads + ")")
      ->option_text("K");
  sample->add_flag("--quiet", args.quiet, "print nothing on success and show no progress");
  return sample;
}

namespace {

// The model file's kind must match --annealed.
void CheckAnnealedMatchesModel(const SampleArgs& args, bool has_levels, std::size_t level_count) {
  if (has_levels && !args.annealed) {
    throw Error(args.model + " holds models at " + std::to_string(level_count) +
                " noise levels: sample it with --annealed");
  }
  if (!has_levels && args.annealed) {
    throw Error("--annealed needs a model file with noise levels (a 'noise_levels' array); " +
                args.model + " holds a single model");
  }
}

std::string NumberList(const Eigen::VectorXd& values) {
  std::string text = "(";
  for (Eigen::Index k = 0; k < values.size(); ++k) {
    text += (k > 0 ? ", " : "") + Number(values[k]);
  }
  return text + ")";
}

void PrintReport(const SampleArgs& args, const LangevinOptions& options,
                 const LangevinSummary& summary, const std::string& moments) {
  std::cout << "convexscore sample: " << summary.particles << " particles, "
            << summary.steps_per_level << " steps";
  if (args.annealed) {
    std::cout << " at each of " << summary.sigmas.size() << " noise levels (sigma "
              << Number(summary.sigmas.front()) << " to " << Number(summary.sigmas.back())
              << ", step size " << Number(summary.step_sizes.front()) << " to "
              << Number(summary.step_sizes.back()) << ")";
  } else {
    std::cout << ", step size " << Number(summary.step_sizes.front());
  }
  std::cout << ", start " << options.init.Describe() << ", seed " << options.seed << '\n';
  std::cout << "  " << summary.particle_steps << " particle-steps in "
            << FormatDouble(summary.seconds, 3) << " s on " << summary.threads
            << (summary.threads == 1 ? " thread" : " threads") << " ("
            << FormatDouble(summary.particle_steps / std::max(summary.seconds, 1e-9), 3)
            << " per second)\n";
  std::cout << "  " << moments << '\n';
  std::cout << "  samples written to " << args.out << '\n';
}

// The d-D path: NetworkND models, starts from --columns of --data, CSV with d columns.
int RunSampleND(const SampleArgs& args, const nlohmann::json& model, LangevinOptions& options,
                ProgressDisplay& progress) {
  const std::string source = "file " + args.model;
  std::vector<NoiseLevelScoreND> levels;
  NetworkND network;
  if (HasNoiseLevels(model)) {
    for (NoiseLevelModelND& level : LoadNoiseLevelsND(model, source)) {
      levels.push_back({level.sigma, std::move(level.network)});
    }
  } else {
    network = LoadNetworkND(model, source);
  }
  CheckAnnealedMatchesModel(args, HasNoiseLevels(model), levels.size());
  const int d = levels.empty() ? network.dimension() : levels.front().score.dimension();
  if (!args.column.empty()) {
    throw Error("--column is for univariate models; " + args.model + " has dimension " +
                std::to_string(d) + ": give its coordinates with --columns");
  }
  if (options.init.kind == LangevinInit::Kind::kData) {
    CsvColumns columns = ReadCsvColumns(args.data, ParseCsvColumnList(args.columns));
    if (columns.values.cols() != d) {
      throw Error("--data " + args.data + ": " + std::to_string(columns.values.cols()) +
                  " columns selected but the model has dimension " + std::to_string(d) +
                  " (choose " + std::to_string(d) + " with --columns)");
    }
    options.init.points = std::move(columns.values);
  }
  std::vector<std::string> header = LoadCoordinateNames(model, source);
  if (header.empty()) {
    for (int k = 1; k <= d; ++k) header.push_back("x" + std::to_string(k));
  }

  const LangevinResultND result = args.annealed ? SampleAnnealedLangevinND(levels, options)
                                                : SampleLangevinND(network, options);
  progress.Clear();
  WriteCsvPoints(args.out, header, result.samples);
  if (!args.quiet) {
    PrintReport(args, options, result.summary,
                "sample mean " + NumberList(result.sample_mean) + ", variance " +
                    NumberList(result.sample_variance));
  }
  return kExitOk;
}

}  // namespace

int RunSample(const SampleArgs& args) {
  LangevinOptions options;
  options.particles = ParseCount("--particles", args.particles, kMaxParticles);
  options.steps = ParseCount("--steps", args.steps, std::numeric_limits<std::int64_t>::max());
  options.step_size = ParseFiniteOption("--step-size", args.step_size);
  if (!(options.step_size > 0.0)) {
    throw Error("--step-size: need eps > 0 (got " + args.step_size + ")");
  }
  options.seed = ParseUnsignedOption("--seed", args.seed);
  options.threads = ParseThreadsOption(args.threads);
  try {
    options.init = LangevinInit::Parse(args.init);
  } catch (const Error& e) {
    throw Error(std::string("--init: ") + e.what());
  }
  const bool from_data = options.init.kind == LangevinInit::Kind::kData;
  if (from_data && args.data.empty()) {
    throw Error(
        "--init data needs --data FILE.csv (a model file keeps a summary of its data, "
        "not the points)");
  }
  if (!from_data && !args.data.empty()) throw Error("--data is only used with --init data");
  // Fail on an unusable output path now, not after sampling.
  CheckOutputWritable(args.out);

  const nlohmann::json model = ReadModelFile(args.model);
  ProgressDisplay progress("sampling", "steps", std::cerr, !args.quiet && StderrIsTerminal());
  options.progress = [&](std::int64_t done, std::int64_t total) { progress.Update(done, total); };
  if (IsMultivariateModel(model)) return RunSampleND(args, model, options, progress);

  if (!args.columns.empty()) {
    throw Error("--columns is for models of dimension 2 or more; " + args.model +
                " is univariate: give its column with --column");
  }
  const std::string source = "file " + args.model;
  std::vector<NoiseLevelScore> levels;
  PiecewiseLinear1D score;
  if (HasNoiseLevels(model)) {
    for (const NoiseLevelModel1D& level : LoadNoiseLevels1D(model, source)) {
      levels.push_back({level.sigma, ToPiecewiseLinear(level.network)});
    }
  } else {
    score = ToPiecewiseLinear(LoadNetwork1D(model, source));
  }
  CheckAnnealedMatchesModel(args, HasNoiseLevels(model), levels.size());
  if (from_data) {
    options.init.data = ReadCsvColumn(args.data, CsvColumnSelector::Parse(args.column)).values;
  }

  const LangevinResult result =
      args.annealed ? SampleAnnealedLangevin(levels, options) : SampleLangevin(score, options);
  progress.Clear();

  WriteCsvTable(args.out, {"x"}, std::vector<std::vector<double>>{result.samples});

  if (!args.quiet) {
    PrintReport(args, options, result.summary,
                "sample mean " + Number(result.summary.sample_mean) + ", variance " +
                    Number(result.summary.sample_variance));
  }
  return kExitOk;
}

}  // namespace convexscore::cli
