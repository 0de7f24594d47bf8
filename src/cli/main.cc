// The `convexscore` command: subcommands fit, thresholds, score, sample, limit, metrics, plot
// and train (see --help).
#include <exception>
#include <iostream>
#include <new>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/limit_command.h"
#include "cli/metrics_command.h"
#include "cli/plot_command.h"
#include "cli/sample_command.h"
#include "cli/train_command.h"
#include "convexscore/common.h"

int main(int argc, char** argv) {
  using namespace convexscore::cli;

  CLI::App app{
      "convexscore: two-layer neural-network score models fitted by an exact convex program"};
  app.name("convexscore");
  app.set_version_flag("--version", "convexscore 0.1.0");
  app.require_subcommand(1);

  FitArgs fit_args;
  ThresholdsArgs thresholds_args;
  ScoreArgs score_args;
  CLI::App* fit = AddFitCommand(app, fit_args);
  CLI::App* thresholds = AddThresholdsCommand(app, thresholds_args);
  CLI::App* score = AddScoreCommand(app, score_args);
  SampleArgs sample_args;
  CLI::App* sample = AddSampleCommand(app, sample_args);
  LimitArgs limit_args;
  CLI::App* limit = AddLimitCommand(app, limit_args);
  MetricsArgs metrics_args;
  CLI::App* metrics = AddMetricsCommand(app, metrics_args);
  PlotArgs plot_args;
  const PlotCommands plot = AddPlotCommand(app, plot_args);
  TrainArgs train_args;
  CLI::App* train = AddTrainCommand(app, train_args);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here too, with exit code 0: CLI11 prints them.
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "error: " << e.what() << " (see --help)\n";
    return kExitError;
  }

  try {
    if (fit->parsed()) return RunFit(fit_args);
    if (thresholds->parsed()) return RunThresholds(thresholds_args);
    if (score->parsed()) return RunScore(score_args);
    if (sample->parsed()) return RunSample(sample_args);
    if (limit->parsed()) return RunLimit(limit_args);
    if (metrics->parsed()) return RunMetrics(metrics_args);
    if (plot.plot->parsed()) return RunPlot(plot, plot_args);
    if (train->parsed()) return RunTrain(train_args);
  } catch (const convexscore::Error& e) {
    std::cerr << "error: " << e.what() << '\n';
    return kExitError;
  } catch (const std::bad_alloc&) {
    std::cerr << "error: out of memory\n";
    return kExitError;
  } catch (const std::exception& e) {
    std::cerr << "error: internal: " << e.what() << '\n';
    return kExitError;
  }
  return kExitError;  // unreachable: CLI11 requires one subcommand
}
