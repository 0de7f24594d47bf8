// `convexscore limit`: the stationary law of Langevin dynamics driven by a model's score.
#include "cli/limit_command.h"

#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/grid_option.h"
#include "convexscore/common.h"
#include "convexscore/data/csv.h"
#include "convexscore/io/atomic_file.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/model/network1d.h"
#include "convexscore/sampling/stationary_law.h"

namespace convexscore::cli {
namespace {

// The default density grid covers the law's central 1 - 2e-4 plus a tenth on each side.
constexpr double kDefaultTail = 1e-4;
constexpr int kDefaultGridPoints = 401;

std::vector<double> DefaultGrid(const StationaryLaw1D& law) {
  const double lo = law.Quantile(kDefaultTail), hi = law.Quantile(1.0 - kDefaultTail);
  const double pad = 0.1 * (hi - lo);
  std::vector<double> points(kDefaultGridPoints);
  for (int i = 0; i < kDefaultGridPoints; ++i) {
    points[i] = (lo - pad) + (hi - lo + 2 * pad) * i / (kDefaultGridPoints - 1);
  }
  return points;
}

}  // namespace

CLI::App* AddLimitCommand(CLI::App& app, LimitArgs& args) {
  CLI::App* limit = app.add_subcommand(
      "limit",
      "The stationary law of Langevin dynamics for a model's score, p ~ exp(integral of f), in "
      "closed form: prints JSON (normalisable, mean, variance, std, median) and can write its "
      "density");
  limit
      ->add_option("--model", args.model,
                   "model file (required); for a file with noise levels, the smallest sigma")
      ->required()
      ->option_text("MODEL.json");
  limit->add_option("--out", args.out, "CSV file x,density,cdf to write")
      ->option_text("DENSITY.csv");
  limit
      ->add_option("--grid", args.grid,
                   "density at COUNT points from LO to HI (default: 401 points over the "
                   "law's central 99.98% and a tenth more on each side)")
      ->option_text("LO:HI:COUNT");
  return limit;
}

int RunLimit(const LimitArgs& args) {
  if (!args.grid.empty() && args.out.empty()) throw Error("--grid is used with --out");
  std::vector<double> points;
  if (!args.grid.empty()) points = ParseGrid(args.grid);
  if (!args.out.empty()) CheckOutputWritable(args.out);

  const nlohmann::json model = ReadModelFile(args.model);
  const std::string source = "file " + args.model;
  nlohmann::json report = {{"model", args.model}};
  const FinestNetwork1D finest = LoadFinestNetwork1D(model, source);
  if (finest.sigma) report["sigma"] = *finest.sigma;
  const PiecewiseLinear1D score = ToPiecewiseLinear(finest.network);
  const StationaryLawCheck check = CheckStationaryLaw(score);
  report["pieces"] = score.slopes.size();
  report["normalisable"] = check.normalisable;
  if (!check.normalisable) {
    if (!args.out.empty()) {
      throw Error("the stationary law of " + args.model + " is not normalisable (" + check.reason +
                  "); no density written");
    }
    report["reason"] = check.reason;
    std::cout << report.dump(2) << '\n';
    return kExitOk;
  }

  const StationaryLaw1D law(score);
  report["mean"] = law.Mean();
  report["variance"] = law.Variance();
  report["std"] = std::sqrt(law.Variance());
  report["median"] = law.Quantile(0.5);
  if (!args.out.empty()) {
    if (points.empty()) points = DefaultGrid(law);
    std::vector<double> density(points.size()), cdf(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
      density[i] = law.Density(points[i]);
      cdf[i] = law.Cdf(points[i]);
    }
    WriteCsvTable(args.out, {"x", "density", "cdf"},
                  std::vector<std::vector<double>>{points, density, cdf});
    report["density_file"] = args.out;
    report["grid"] = {{"lo", points.front()}, {"hi", points.back()}, {"count", points.size()}};
  }
  std::cout << report.dump(2) << '\n';
  return kExitOk;
}

}  // namespace convexscore::cli
