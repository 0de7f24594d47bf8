#include "convexscore/io/score_model_nd_json.h"

#include "convexscore/io/shared_model_json.h"

#include <algorithm>
#include <utility>

#include "convexscore/common.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/model_nd_json.h"

namespace convexscore {
using nlohmann::json;

DataSourceND DataSourceND::File(std::string path, std::vector<std::size_t> column_indices,
                                std::vector<std::string> column_names) {
  DataSourceND source;
  source.kind = Kind::kFile;
  source.path = std::move(path);
  source.column_indices = std::move(column_indices);
  source.column_names = std::move(column_names);
  return source;
}

DataSourceND DataSourceND::Generator(std::string spec, int n, std::uint64_t seed) {
  DataSourceND source;
  source.kind = Kind::kGenerator;
  source.generator = std::move(spec);
  source.n = n;
  source.seed = seed;
  return source;
}

DataSourceND DataSourceND::Array(int n) {
  DataSourceND source;
  source.kind = Kind::kArray;
  source.n = n;
  return source;
}

json DataSourceND::ToJson() const {
  switch (kind) {
    case Kind::kArray:
      return {{"kind", "array"}, {"n", n}};
    case Kind::kGenerator:
      return {{"kind", "generator"}, {"generator", generator}, {"n", n}, {"seed", seed}};
    case Kind::kFile:
      break;
  }
  json file = {{"kind", "file"}, {"path", path}, {"column_indices", column_indices}};
  if (std::any_of(column_names.begin(), column_names.end(),
                  [](const std::string& name) { return !name.empty(); })) {
    file["column_names"] = column_names;
  }
  return file;
}

json DataSummaryNDJson(const Eigen::Ref<const Eigen::MatrixXd>& x, const DataSourceND& source) {
  return DataSummaryNDJson(x, source.ToJson());
}

json ThresholdsNDJson(const ScoreMatchingNDThresholdsResult& thresholds) {
  json per_coordinate = json::array();
  for (const CoordinateThresholds& t : thresholds.coordinates) {
    per_coordinate.push_back({{"beta_max", t.beta_max},
                              {"beta_min_lower", t.beta_min_lower},
                              {"beta_min_upper", t.beta_min_upper}});
  }
  return {{"beta_min", thresholds.beta_min_upper},
          {"beta_min_lower", thresholds.beta_min_lower},
          {"beta_min_upper", thresholds.beta_min_upper},
          {"beta_max", thresholds.beta_max},
          {"coordinate_thresholds", std::move(per_coordinate)}};
}

json ScoreModelNDToJson(const ScoreMatchingNDModel& fit, const ScoreMatchingNDOptions& options,
                        double threshold_tolerance, const Eigen::Ref<const Eigen::MatrixXd>& x,
                        const DataSourceND& source,
                        const std::vector<std::string>& coordinate_names) {
  const ScoreMatchingNDResult& result = fit.result;
  json model = ModelNDToJson(result.network, coordinate_names);
  json active = json::array();
  for (const ScalarNetworkND& g : result.networks) active.push_back(g.b.size());
  json settings = {{"objective", "sm"},
                   {"architecture", "per-coordinate"},
                   {"activation", std::string(ActivationName(options.activation))},
                   {"skip", false},
                   {"beta", options.beta},
                   {"gap_tolerance", options.solver.gap_tolerance},
                   {"max_iterations", options.solver.max_iterations},
                   {"threshold_tolerance", threshold_tolerance},
                   {"form", "mean"}};
  if (result.pattern_method == PatternMethod::kSampled) {
    settings["pattern_directions"] = options.sampled_directions;
  }
  model.update({
      {"objective_kind", "sm"},
      {"architecture", "per-coordinate"},
      {"active_neurons", result.network.neurons()},
      {"active_neurons_per_coordinate", std::move(active)},
      {"patterns", result.patterns},
      {"pattern_method", std::string(PatternMethodName(result.pattern_method))},
      {"pattern_seed", result.pattern_method == PatternMethod::kSampled
                           ? json(result.pattern_seed)
                           : json(nullptr)},
      {"settings", std::move(settings)},
      {"data", DataSummaryNDJson(x, source)},
  });
  model.update(ThresholdsNDJson(fit.thresholds));
  model.update(SolveSummaryToJson(result.summary));
  model["network_objective"] = fit.network_objective;
  return model;
}

}  // namespace convexscore
