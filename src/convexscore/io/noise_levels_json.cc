#include "convexscore/io/noise_levels_json.h"

#include <cmath>
#include <string>
#include <utility>

#include "convexscore/common.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/model_nd_json.h"
#include "convexscore/io/model_reader.h"
#include "convexscore/io/numbers.h"
#include "convexscore/io/shared_model_json.h"

namespace convexscore {
namespace {

using nlohmann::json;

// The header fields an entry inherits from the top level when it does not repeat them.
constexpr const char* kInheritedFields[] = {"format", "version", "dimension"};

std::string Entry(std::size_t i) { return "noise_levels[" + std::to_string(i) + "]"; }

// Checks the header and the sigmas of a noise-levels document and loads each entry, with the
// header fields it inherits, by load(entry_model, entry_source). `univariate`: the file must
// have dimension 1; otherwise any positive dimension, which every entry must share.
template <typename Level, typename Load>
std::vector<Level> LoadLevels(const json& document, std::string_view source, bool univariate,
                              Load load) {
  const ModelReader reader(source);
  reader.CheckHeader(document);
  const auto dimension = document.find("dimension");
  if (univariate && dimension != document.end() &&
      (!dimension->is_number_integer() || dimension->get<long long>() != 1)) {
    reader.Fail("dimension " + dimension->dump() + " is not 1 (a univariate noise-levels file)");
  }
  if (!univariate && dimension == document.end()) reader.Fail("missing field 'dimension'");

  const json& levels_json = reader.Field(document, "", "noise_levels");
  if (!levels_json.is_array()) reader.Fail("field 'noise_levels' is not an array");
  if (levels_json.empty()) reader.Fail("field 'noise_levels' is empty");

  std::vector<Level> levels;
  levels.reserve(levels_json.size());
  for (std::size_t i = 0; i < levels_json.size(); ++i) {
    const json& entry = levels_json[i];
    if (!entry.is_object()) reader.Fail(Entry(i) + " is not an object");
    const double sigma = reader.FiniteNumber(entry, Entry(i), "sigma");
    if (!(sigma > 0.0)) {
      reader.Fail("field '" + Entry(i) + ".sigma' must be positive and finite (got " +
                  FormatDouble(sigma) + ")");
    }
    if (i > 0 && !(sigma < levels.back().sigma)) {
      reader.Fail(Entry(i) + ".sigma = " + FormatDouble(sigma) + " is not below " + Entry(i - 1) +
                  ".sigma = " + FormatDouble(levels.back().sigma) +
                  " (the levels must have strictly decreasing sigma)");
    }
    if (const auto entry_dimension = entry.find("dimension"); entry_dimension != entry.end()) {
      const json file_dimension = dimension != document.end() ? *dimension : json(1);
      if (*entry_dimension != file_dimension) {
        reader.Fail(Entry(i) + " has dimension " + entry_dimension->dump() +
                    " but the file has dimension " + file_dimension.dump());
      }
    }
    json model = entry;
    for (const char* field : kInheritedFields) {
      if (!model.contains(field) && document.contains(field)) model[field] = document[field];
    }
    levels.push_back({sigma, load(model, std::string(source) + ", " + Entry(i))});
  }
  return levels;
}

// A d-D noise-levels document, with the data's coordinate names when there are any.
json NoiseLevelsNDToJson(const std::vector<NoiseLevelEntry>& entries, int dimension,
                         const std::vector<std::string>& coordinate_names) {
  json document = NoiseLevelsToJson(entries, dimension);
  if (!coordinate_names.empty()) document["coordinate_names"] = coordinate_names;
  return document;
}

}  // namespace

bool HasNoiseLevels(const json& document) {
  return document.is_object() && document.contains("noise_levels");
}

std::vector<NoiseLevelModel1D> LoadNoiseLevels1D(const json& document, std::string_view source) {
  return LoadLevels<NoiseLevelModel1D>(
      document, source, true,
      [](const json& model, const std::string& entry) { return LoadNetwork1D(model, entry); });
}

std::vector<NoiseLevelModelND> LoadNoiseLevelsND(const json& document, std::string_view source) {
  return LoadLevels<NoiseLevelModelND>(
      document, source, false,
      [](const json& model, const std::string& entry) { return LoadNetworkND(model, entry); });
}

std::vector<NoiseLevelEntry> NoiseLevelDocuments(const json& document, std::string_view source) {
  return LoadLevels<NoiseLevelEntry>(document, source, !IsMultivariateModel(document),
                                     [](const json& model, const std::string&) { return model; });
}

std::vector<NoiseLevelModelND> LoadNoiseLevelsNDFile(const std::filesystem::path& file) {
  return LoadNoiseLevelsND(ReadModelFile(file), "file " + file.string());
}

std::vector<NoiseLevelModel1D> LoadNoiseLevels1DFile(const std::filesystem::path& file) {
  return LoadNoiseLevels1D(ReadModelFile(file), "file " + file.string());
}

json NoiseLevelsToJson(const std::vector<NoiseLevelEntry>& levels, int dimension) {
  json entries = json::array();
  for (const NoiseLevelEntry& level : levels) {
    json entry = level.model;
    entry["sigma"] = level.sigma;
    entries.push_back(std::move(entry));
  }
  return {{"format", "convexscore-model"},
          {"version", 1},
          {"dimension", dimension},
          {"noise_levels", std::move(entries)}};
}

json DenoisingLevels1DToJson(const std::vector<DenoisingLevel1D>& levels,
                             const DenoisingScoreMatching1DOptions& options, const Sample1D& data,
                             const DataSource1D& source) {
  std::vector<NoiseLevelEntry> entries;
  for (const DenoisingLevel1D& level : levels) {
    entries.push_back({level.noise.sigma,
                       DenoisingModel1DToJson(level.result, options, level.noise, data, source,
                                              level.network_objective)});
  }
  return NoiseLevelsToJson(entries);
}

json DenoisingLevelsNDToJson(const std::vector<DenoisingLevelND>& levels,
                             const DenoisingScoreMatchingNDOptions& options,
                             const json& data_summary,
                             const std::vector<std::string>& coordinate_names) {
  if (levels.empty()) throw Error("no noise levels to write");
  const int dimension = levels.front().result.network.dimension();
  std::vector<NoiseLevelEntry> entries;
  for (const DenoisingLevelND& level : levels) {
    const DenoisingScoreMatchingNDResult& r = level.result;
    json model = ModelNDToJson(r.network, coordinate_names);
    model["objective_kind"] = "dsm";
    model["architecture"] = "per-coordinate";
    model["settings"] = {{"objective", "dsm"},
                         {"architecture", "per-coordinate"},
                         {"activation", std::string(ActivationName(options.activation))},
                         {"beta", options.beta},
                         {"bias_decay", "free"},
                         {"sigma", level.sigma},
                         {"copies", level.copies},
                         {"noise_seed", level.noise_seed},
                         {"gap_tolerance", options.solver.gap_tolerance},
                         {"feasibility_tolerance", options.solver.feasibility_tolerance},
                         {"max_iterations", options.solver.max_iterations},
                         {"form", "mean"}};
    json patterns = {{"count", r.patterns},
                     {"method", std::string(PatternMethodName(r.pattern_method))}};
    if (r.pattern_method == PatternMethod::kSampled) {
      patterns["seed"] = r.pattern_seed;
      patterns["directions"] = r.sampled_directions;
    }
    model["patterns"] = std::move(patterns);
    model.update(SolveSummaryToJson(r.summary));
    model["network_objective"] = r.network_objective;
    model["active_neurons"] = r.active_neurons;
    json coordinates = json::array();
    for (const ConeGroupLassoSolution& c : r.coordinates) {
      coordinates.push_back({{"status", std::string(StatusName(c.summary.status))},
                             {"objective", c.summary.objective},
                             {"relative_gap", c.summary.relative_gap},
                             {"primal_infeasibility", c.certificate.primal_infeasibility},
                             {"dual_infeasibility", c.certificate.dual_infeasibility},
                             // Where a level's time goes: the coordinates can differ severalfold.
                             {"iterations", c.summary.iterations},
                             {"rounds", c.rounds},
                             {"seconds", c.summary.seconds}});
    }
    model["coordinates"] = std::move(coordinates);
    json data = data_summary;
    data["noisy_inputs"] =
        r.coordinates.empty() ? json(nullptr) : json(r.coordinates.front().fitted.size());
    model["data"] = std::move(data);
    entries.push_back({level.sigma, std::move(model)});
  }
  return NoiseLevelsNDToJson(entries, dimension, coordinate_names);
}

json SharedDenoisingLevelsNDToJson(const std::vector<SharedDenoisingLevelND>& levels,
                                   const SharedHiddenLayerNDOptions& options,
                                   const json& data_summary,
                                   const std::vector<std::string>& coordinate_names) {
  if (levels.empty()) throw Error("no noise levels to write");
  std::vector<NoiseLevelEntry> entries;
  for (const SharedDenoisingLevelND& level : levels) {
    json data = data_summary;
    data["noisy_inputs"] = level.noisy_inputs;
    entries.push_back({level.sigma, SharedModelNDToJson(level.result, options, data,
                                                        coordinate_names,
                                                        {{"sigma", level.sigma},
                                                         {"copies", level.copies},
                                                         {"noise_seed", level.noise_seed}})});
  }
  return NoiseLevelsNDToJson(entries, levels.front().result.network.dimension(),
                             coordinate_names);
}

FinestNetwork1D LoadFinestNetwork1D(const nlohmann::json& document, std::string_view source) {
  if (!HasNoiseLevels(document)) return {LoadNetwork1D(document, source), std::nullopt};
  std::vector<NoiseLevelModel1D> levels = LoadNoiseLevels1D(document, source);
  return {std::move(levels.back().network), levels.back().sigma};
}

FinestNetworkND LoadFinestNetworkND(const nlohmann::json& document, std::string_view source) {
  if (!HasNoiseLevels(document)) return {LoadNetworkND(document, source), std::nullopt};
  std::vector<NoiseLevelModelND> levels = LoadNoiseLevelsND(document, source);
  return {std::move(levels.back().network), levels.back().sigma};
}

json TrainedLevelsNDToJson(const std::vector<TrainingLevelND>& levels,
                           const NonconvexTrainingOptions& options,
                           std::string_view objective_kind, std::string_view start_model,
                           const json& data_summary,
                           const std::vector<std::string>& coordinate_names,
                           bool noise_levels_document) {
  if (levels.empty()) throw Error("no trained levels");
  std::vector<NoiseLevelEntry> entries;
  for (const TrainingLevelND& level : levels) {
    json objective_settings = json::object();
    if (level.sigma) {
      objective_settings = {{"sigma", *level.sigma},
                            {"copies", level.copies},
                            {"noise_seed", level.noise_seed}};
    }
    entries.push_back({level.sigma.value_or(0.0),
                       TrainedModelNDToJson(level.result, options, objective_kind,
                                            objective_settings, start_model, data_summary,
                                            coordinate_names)});
  }
  if (!noise_levels_document) {
    if (entries.size() != 1) throw Error("several trained levels need a noise-levels document");
    return std::move(entries.front().model);
  }
  return NoiseLevelsNDToJson(entries, levels.front().result.network.dimension(),
                             coordinate_names);
}

}  // namespace convexscore
