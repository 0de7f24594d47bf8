// Model documents for architecture (b), the shared hidden layer (programs/shared_hidden_layer_nd.h).
// A d-D model document (io/model_nd_json.h: format, version, dimension, network, optional
// coordinate_names) plus the fit's record, as in 1-D (io/model_json.h):
//   "objective_kind": "sm" | "dsm",  "architecture": "shared",
//   status, objective, dual_objective, duality_gap, relative_gap, kkt_residual, iterations,
//   seconds, polished, message           (the relaxation's solve; kkt_residual = dual infeasibility)
//   "lower_bound", "upper_bound", "gap"  (relaxation dual value, the network's own objective,
//                                          their difference; null when unbounded)
//   "network_objective"                  (= upper_bound)
//   "beta_max", "beta_min_lower", "active_neurons",
//   "patterns", "pattern_method" ("exact", i.e. enumerated, | "sampled": PatternMethodName), "pattern_seed", "sampled_directions",
//   "settings": {objective, architecture, activation, beta, bias_decay, form, gap_tolerance,
//                feasibility_tolerance, max_iterations, sample_patterns, sampled_directions, seed,
//                + the caller's objective settings, e.g. sigma, copies, noise_seed for DSM},
//   "data": the caller's data summary (DataSummaryNDJson),
//   "sigma" at the top level when the objective settings have one (an entry of a noise-levels
//   file, io/noise_levels_json.h).
#pragma once

#include <string>
#include <vector>

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "convexscore/programs/shared_hidden_layer_nd.h"

namespace convexscore {

// n, dimension, mean, covariance (mean form), min and max per coordinate, and `source` (any
// JSON object describing where the data came from) when it is not null.
nlohmann::json DataSummaryNDJson(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                 const nlohmann::json& source = nullptr);

// The whole document; write it with WriteModelFile (io/model_json.h, atomic). Throws Error if
// coordinate_names is neither empty nor of length d.
nlohmann::json SharedModelNDToJson(const SharedHiddenLayerNDResult& result,
                                   const SharedHiddenLayerNDOptions& options,
                                   const nlohmann::json& data_summary,
                                   const std::vector<std::string>& coordinate_names = {},
                                   const nlohmann::json& objective_settings =
                                       nlohmann::json::object());

}  // namespace convexscore
