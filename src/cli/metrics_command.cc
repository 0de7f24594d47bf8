// `convexscore metrics`: W1, KS, energy distance and KL in 1-D; MMD^2, sliced W1 and energy
// distance in d dimensions; the Fisher divergence of a model against a known score. Prints one
// JSON document; writes no files.
#include "cli/metrics_command.h"

#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/data_args.h"
#include "convexscore/common.h"
#include "convexscore/data/csv.h"
#include "convexscore/data/distribution_spec.h"
#include "convexscore/data/generators.h"
#include "convexscore/io/model_json.h"
#include "convexscore/metrics/known_laws.h"
#include "convexscore/metrics/multivariate.h"
#include "convexscore/metrics/univariate.h"
#include "convexscore/model/network1d.h"

namespace convexscore::cli {
namespace {

using nlohmann::json;

constexpr std::int64_t kMaxProjections = 100'000;
constexpr std::int64_t kMaxReferenceDraws = 10'000'000;

// Independent seeds for the three random parts, from a master mt19937_64 (portable output), so
// the target draws and the projection directions are not built from the same numbers.
struct MetricSeeds {
  std::uint64_t reference_draws;
  std::uint64_t directions;
  std::uint64_t median_subset;
};

MetricSeeds DeriveSeeds(std::uint64_t seed) {
  std::mt19937_64 master(seed);
  MetricSeeds seeds{};
  seeds.reference_draws = master();
  seeds.directions = master();
  seeds.median_subset = master();
  return seeds;
}

struct PointSet {
  Eigen::MatrixXd points;
  json description;
};

// Reads the points of a CSV file and says where they came from.
PointSet ReadPoints(const std::string& file, const std::vector<CsvColumnSelector>& columns) {
  CsvColumns read = ReadCsvColumns(file, columns);
  json names = json::array();
  for (std::size_t c = 0; c < read.indices.size(); ++c) {
    if (read.has_header) {
      names.push_back(read.names[c]);
    } else {
      names.push_back(read.indices[c]);
    }
  }
  const auto rows = read.values.rows();
  return PointSet{std::move(read.values), {{"file", file}, {"columns", names}, {"n", rows}}};
}

std::string ColumnCount(Eigen::Index d) {
  return std::to_string(d) + (d == 1 ? " column" : " columns");
}

std::span<const double> Column(const Eigen::MatrixXd& points) {
  return {points.data(), static_cast<std::size_t>(points.rows())};
}

json Metric(double value, std::string estimator) {
  return {{"value", value}, {"estimator", std::move(estimator)}};
}

json KlMetric(std::span<const double> x, const UnivariateLaw& law) {
  const int k = DefaultKlNeighbours(x.size());
  json metric = {{"value", nullptr},
                 {"estimator", "Kozachenko-Leonenko k-NN entropy (k = " + std::to_string(k) +
                                   " = round(sqrt(n)/4)) plus the sample mean of -log q"},
                 {"neighbours", k}};
  try {
    const double kl = KlDivergence(x, law, k);
    if (std::isfinite(kl)) {
      metric["value"] = kl;
    } else {
      metric["note"] = "infinite: some samples lie where the target density is 0";
    }
  } catch (const Error& e) {
    // Repeated values: the sample has atoms and no density, so KL is not defined.
    metric["note"] = e.what();
  }
  return metric;
}

json UnivariateAgainstTarget(std::span<const double> x, const UnivariateLaw& law) {
  return {
      {"w1", Metric(Wasserstein1(x, law),
                    "exact W1 between the empirical law and the target: integral |F_n - F| dx")},
      {"ks", Metric(KolmogorovSmirnov(x, law), "exact sup |F_n - F|")},
      {"energy", Metric(EnergyDistance(x, law),
                        "V-statistic 2E|X-Y| - E|X-X'| - E|Y-Y'| over the empirical law, the "
                        "expectations over the target in closed form")},
      {"kl", KlMetric(x, law)},
  };
}

json UnivariateAgainstSample(std::span<const double> x, std::span<const double> y) {
  return {
      {"w1", Metric(Wasserstein1(x, y),
                    "exact W1 between the two empirical laws: integral |F_n - G_m| dx")},
      {"ks", Metric(KolmogorovSmirnov(x, y), "exact sup |F_n - G_m|")},
      {"energy", Metric(EnergyDistance(x, y),
                        "V-statistic 2E|X-Y| - E|X-X'| - E|Y-Y'| over the empirical laws "
                        "(= 2 integral (F_n - G_m)^2 dx)")},
  };
}

// `bandwidth` <= 0: the median heuristic.
json Multivariate(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, int projections,
                  const MetricSeeds& seeds, double bandwidth) {
  MmdOptions mmd_options;
  mmd_options.seed = seeds.median_subset;
  mmd_options.bandwidth = bandwidth;
  const MmdResult mmd = UnbiasedMmd2(x, y, mmd_options);
  json mmd_metric = Metric(mmd.mmd2,
                           std::string("unbiased U-statistic, RBF kernel exp(-|a-b|^2 / (2 h^2)), "
                                       "h = ") +
                               (bandwidth > 0.0 ? "given by --bandwidth"
                                                : "median pairwise distance of the pooled sample"));
  mmd_metric["bandwidth"] = mmd.bandwidth;
  const Eigen::MatrixXd directions =
      RandomDirections(static_cast<int>(x.cols()), projections, seeds.directions);
  json sliced = Metric(SlicedWasserstein1(x, y, directions),
                       "mean over random directions of the exact 1-D W1 of the projections");
  sliced["projections"] = projections;
  return {
      {"mmd2", mmd_metric},
      {"sliced_w", sliced},
      {"energy", Metric(EnergyDistance(x, y),
                        "V-statistic 2E|X-Y| - E|X-X'| - E|Y-Y'| over the empirical laws, "
                        "Euclidean norms")},
  };
}

}  // namespace

CLI::App* AddMetricsCommand(CLI::App& app, MetricsArgs& args) {
  CLI::App* metrics = app.add_subcommand(
      "metrics",
      "Compare samples with reference samples or a known law; prints JSON. 1-D: w1, ks, energy "
      "(and kl against a target); d-D: mmd2, sliced_w, energy");
  metrics->add_option("--samples", args.samples, "CSV file of the points to assess (required)")
      ->required()
      ->option_text("A.csv");
  metrics
      ->add_option("--columns", args.columns,
                   "columns to read from both files: names or 0-based indices (default: all)")
      ->option_text("x,y");
  CLI::Option* reference =
      metrics->add_option("--reference", args.reference, "CSV file of reference points")
          ->option_text("B.csv");
  CLI::Option* target =
      metrics
          ->add_option("--target", args.target,
                       "known law instead of --reference, e.g. gaussian:0:1, laplace:0:1, "
                       "uniform:-1:1, 'mixture:0.4,-2,0.5;0.6,1.5,0.7', moons:0.1, circle:1:0, "
                       "spiral:100:0, 'gmm-d:0.5,-1/0,0.3;0.5,1/0,0.3' (docs/data.md)")
          ->option_text("SPEC");
  reference->excludes(target);
  metrics
      ->add_option("--seed", args.seed,
                   "seed of the random parts: draws from a d-D target, projection directions, "
                   "bandwidth subset (default " + args.seed + ")")
      ->option_text("S");
  metrics
      ->add_option("--projections", args.projections,
                   "random directions of the sliced W1 (default " + args.projections + ")")
      ->option_text("L");
  metrics
      ->add_option("--reference-n", args.reference_n,
                   "points drawn from a d-D --target (default: as many as the samples); 1-D "
                   "targets are used exactly")
      ->option_text("N")
      ->needs(target);
  metrics
      ->add_option("--model", args.model,
                   "1-D model file: adds the Fisher divergence E (s_model - s_target)^2 over the "
                   "samples (needs --target)")
      ->option_text("MODEL.json")
      ->needs(target);
  metrics
      ->add_option("--bandwidth", args.bandwidth,
                   "d-D: bandwidth h > 0 of the MMD kernel, the same for every comparison "
                   "(default: the median pairwise distance of the pooled sample, which differs "
                   "between comparisons)")
      ->option_text("H");
  return metrics;
}

int RunMetrics(const MetricsArgs& args) {
  if (args.reference.empty() == args.target.empty()) {
    throw Error("give exactly one of --reference B.csv and --target SPEC");
  }
  // Cheap checks of every argument before any file is read.
  std::optional<DistributionSpec> target;
  if (!args.target.empty()) {
    try {
      target = ParseDistributionSpec(args.target);
    } catch (const Error& e) {
      throw Error(std::string("--target: ") + e.what());
    }
  }
  const std::uint64_t seed = ParseUnsignedOption("--seed", args.seed);
  const std::int64_t projections = ParseIntegerOption("--projections", args.projections);
  if (projections < 1 || projections > kMaxProjections) {
    throw Error("--projections: need 1 <= L <= " + std::to_string(kMaxProjections) + " (got " +
                args.projections + ")");
  }
  std::optional<std::int64_t> reference_n;
  if (!args.reference_n.empty()) {
    reference_n = ParseIntegerOption("--reference-n", args.reference_n);
    if (*reference_n < 2 || *reference_n > kMaxReferenceDraws) {
      throw Error("--reference-n: need 2 <= N <= " + std::to_string(kMaxReferenceDraws) +
                  " (got " + args.reference_n + ")");
    }
  }
  double bandwidth = 0.0;  // the median heuristic
  if (!args.bandwidth.empty()) {
    bandwidth = ParseFiniteOption("--bandwidth", args.bandwidth);
    if (!(bandwidth > 0.0)) {
      throw Error("--bandwidth: need H > 0 (got " + args.bandwidth + ")");
    }
  }
  std::vector<CsvColumnSelector> columns;
  try {
    columns = ParseCsvColumnList(args.columns);
  } catch (const Error& e) {
    throw Error(std::string("--columns: ") + e.what());
  }

  const PointSet samples = ReadPoints(args.samples, columns);
  const Eigen::MatrixXd& x = samples.points;
  const Eigen::Index d = x.cols();
  if (x.rows() < 2) {
    throw Error(args.samples + ": need at least 2 sample points for the metrics (got " +
                std::to_string(x.rows()) + ")");
  }
  if (bandwidth > 0.0 && d == 1) {
    throw Error("--bandwidth: the MMD is computed for d-D samples only, but " + args.samples +
                " gives 1 column");
  }
  if (!args.model.empty() && d != 1) {
    throw Error("--model: models are univariate but the samples have " + ColumnCount(d) +
                " (choose one with --columns)");
  }
  const MetricSeeds seeds = DeriveSeeds(seed);

  json report = {{"samples", samples.description}, {"dimension", d}};
  if (target) {
    if (target->Dimension() != d) {
      throw Error("dimension mismatch: " + args.samples + " gives " + ColumnCount(d) +
                  " but target '" + target->text + "' is " +
                  std::to_string(target->Dimension()) + "-dimensional" +
                  (d > 1 && args.columns.empty() ? " (choose columns with --columns)" : ""));
    }
    if (d == 1) {
      const UnivariateLaw law = UnivariateLaw::FromSpec(*target);
      report["reference"] = {{"target", target->text}, {"exact", true}};
      report["metrics"] = UnivariateAgainstTarget(Column(x), law);
      if (!args.model.empty()) {
        if (!law.HasScore()) {
          throw Error("--model: target '" + target->text +
                      "' has no score (a uniform law's log-density is not differentiable)");
        }
        const Network1D network = LoadNetwork1DFile(args.model);
        json fisher = Metric(
            FisherDivergence(Column(x), [&](double v) { return network.Score(v); },
                             [&](double v) { return law.Score(v); }),
            "sample mean of (s_model(x) - s_target(x))^2");
        fisher["model"] = args.model;
        report["metrics"]["fisher"] = fisher;
      }
    } else {
      const auto draws = static_cast<int>(reference_n.value_or(x.rows()));
      const Eigen::MatrixXd y = GenerateFromSpec(*target, draws, seeds.reference_draws);
      report["reference"] = {{"target", target->text}, {"draws", draws}, {"seed", seed}};
      report["metrics"] = Multivariate(x, y, static_cast<int>(projections), seeds, bandwidth);
    }
  } else {
    const PointSet reference = ReadPoints(args.reference, columns);
    const Eigen::MatrixXd& y = reference.points;
    if (y.cols() != d) {
      throw Error("dimension mismatch: " + args.samples + " gives " + ColumnCount(d) + " but " +
                  args.reference + " gives " + ColumnCount(y.cols()));
    }
    if (y.rows() < 2) {
      throw Error(args.reference + ": need at least 2 reference points for the metrics (got " +
                  std::to_string(y.rows()) + ")");
    }
    report["reference"] = reference.description;
    report["metrics"] =
        d == 1 ? UnivariateAgainstSample(Column(x), Column(y))
               : Multivariate(x, y, static_cast<int>(projections), seeds, bandwidth);
  }
  report["seed"] = seed;
  std::cout << report.dump(2) << '\n';
  return kExitOk;
}

}  // namespace convexscore::cli
