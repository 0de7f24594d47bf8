#include "convexscore/io/shared_model_json.h"

#include "convexscore/io/model_json.h"
#include "convexscore/io/model_nd_json.h"

namespace convexscore {
using nlohmann::json;

namespace {

json Numbers(const Eigen::VectorXd& v) {
  json out = json::array();
  for (Eigen::Index k = 0; k < v.size(); ++k) out.push_back(v[k]);
  return out;
}

}  // namespace

json DataSummaryNDJson(const Eigen::Ref<const Eigen::MatrixXd>& x, const json& source) {
  const Eigen::VectorXd mean = x.colwise().mean().transpose();
  const Eigen::MatrixXd centred = x.rowwise() - mean.transpose();
  const Eigen::MatrixXd covariance =
      centred.transpose() * centred / static_cast<double>(std::max<Eigen::Index>(x.rows(), 1));
  json rows = json::array();
  for (Eigen::Index r = 0; r < covariance.rows(); ++r) {
    rows.push_back(Numbers(covariance.row(r).transpose()));
  }
  json summary = {{"n", x.rows()},
                  {"dimension", x.cols()},
                  {"mean", Numbers(mean)},
                  {"covariance", std::move(rows)},
                  {"min", Numbers(x.colwise().minCoeff().transpose())},
                  {"max", Numbers(x.colwise().maxCoeff().transpose())}};
  if (!source.is_null()) summary["source"] = source;
  return summary;
}

json SharedModelNDToJson(const SharedHiddenLayerNDResult& result,
                         const SharedHiddenLayerNDOptions& options, const json& data_summary,
                         const std::vector<std::string>& coordinate_names,
                         const json& objective_settings) {
  json model = ModelNDToJson(result.network, coordinate_names);
  model.update(SolveSummaryToJson(result.summary));
  const bool bounded = result.summary.status != SolveStatus::kUnbounded;
  const auto bound = [&](double value) { return bounded ? json(value) : json(nullptr); };
  json settings = {{"objective", result.objective_kind},
                   {"architecture", "shared"},
                   {"activation", std::string(ActivationName(options.activation))},
                   {"beta", options.beta},
                   {"bias_decay", "penalized"},
                   {"form", "mean"},
                   {"gap_tolerance", options.solver.gap_tolerance},
                   {"feasibility_tolerance", options.solver.feasibility_tolerance},
                   {"max_iterations", options.solver.max_iterations},
                   {"sample_patterns", options.sample_patterns},
                   {"sampled_directions", options.sampled_directions},
                   {"seed", options.seed}};
  settings.update(objective_settings);
  // A DSM level carries its sigma at the top too (io/noise_levels_json.h reads it there).
  if (objective_settings.contains("sigma")) model["sigma"] = objective_settings.at("sigma");
  model.update(json{
      {"objective_kind", result.objective_kind},
      {"architecture", "shared"},
      {"lower_bound", bound(result.lower_bound)},
      {"upper_bound", bound(result.upper_bound)},
      {"gap", bound(result.gap)},
      {"network_objective", bound(result.upper_bound)},
      {"beta_max", result.beta_max},
      {"beta_min_lower", result.beta_min_lower},
      {"active_neurons", result.network.neurons()},
      {"patterns", result.patterns},
      {"pattern_method",
       std::string(PatternMethodName(result.pattern_method))},
      {"pattern_seed", result.pattern_seed},
      {"sampled_directions", result.sampled_directions},
      {"settings", std::move(settings)},
      {"data", data_summary},
  });
  return model;
}

}  // namespace convexscore
