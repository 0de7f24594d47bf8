// The model file of a multivariate score-matching fit (programs/score_matching_nd.h): a d-D
// model document (io/model_nd_json.h, read by LoadNetworkND) with the top-level fields of the
// univariate fit (io/model_json.h: status, objective, certificates, beta_min, beta_max,
// active_neurons, settings, data, network, network_objective) plus
//   "architecture": "per-coordinate",
//   "patterns": count, "pattern_method": "exact" (enumerated) | "sampled", "pattern_seed": seed (null when exact),
//   "beta_min_lower", "beta_min_upper": the certified bracket of beta_min ("beta_min" is its
//       upper end: every beta >= beta_min is certified bounded),
//   "coordinate_thresholds": [{beta_max, beta_min_lower, beta_min_upper}, ...] per coordinate,
//   "coordinate_names": the data's column names (when the file has a header).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "convexscore/programs/score_matching_nd.h"

namespace convexscore {

// Where the points of a d-D fit came from, recorded so the fit can be repeated.
struct DataSourceND {
  // Columns of a CSV file (0-based indices, header cells or "" without a header) ...
  static DataSourceND File(std::string path, std::vector<std::size_t> column_indices,
                           std::vector<std::string> column_names);
  // ... or a built-in generator spec (data/distribution_spec.h) ...
  static DataSourceND Generator(std::string spec, int n, std::uint64_t seed);
  // ... or an array handed over in memory (the Python module).
  static DataSourceND Array(int n);

  nlohmann::json ToJson() const;

  enum class Kind { kFile, kGenerator, kArray } kind = Kind::kFile;
  std::string path;
  std::vector<std::size_t> column_indices;
  std::vector<std::string> column_names;
  std::string generator;
  int n = 0;
  std::uint64_t seed = 0;
};

// The "data" object (io/shared_model_json.h's DataSummaryNDJson with the source's JSON): source,
// n, d, per coordinate mean, min and max, and the covariance (d x d, rows; divided by n).
nlohmann::json DataSummaryNDJson(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                 const DataSourceND& source);

// {"beta_min" (= the upper end), "beta_min_lower", "beta_min_upper", "beta_max",
//  "coordinate_thresholds": [{beta_max, beta_min_lower, beta_min_upper}, ...]}.
nlohmann::json ThresholdsNDJson(const ScoreMatchingNDThresholdsResult& thresholds);

// The whole document of a fit that is not unbounded (FitScoreMatchingNDModel). Throws Error if
// `coordinate_names` is neither empty nor of size d.
nlohmann::json ScoreModelNDToJson(const ScoreMatchingNDModel& fit,
                                  const ScoreMatchingNDOptions& options,
                                  double threshold_tolerance,
                                  const Eigen::Ref<const Eigen::MatrixXd>& x,
                                  const DataSourceND& source,
                                  const std::vector<std::string>& coordinate_names);

}  // namespace convexscore
