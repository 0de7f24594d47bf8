#include "convexscore/io/noise_levels_json.h"

#include <cmath>
#include <string>
#include <utility>

#include "convexscore/common.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/numbers.h"

namespace convexscore {
namespace {

using nlohmann::json;

// The header fields an entry inherits from the top level when it does not repeat them.
constexpr const char* kInheritedFields[] = {"format", "version", "dimension"};

std::string Entry(std::size_t i) { return "noise_levels[" + std::to_string(i) + "]"; }

[[noreturn]] void Fail(std::string_view source, const std::string& problem) {
  throw Error("invalid model " + std::string(source) + ": " + problem);
}

}  // namespace

bool HasNoiseLevels(const json& document) {
  return document.is_object() && document.contains("noise_levels");
}

std::vector<NoiseLevelModel1D> LoadNoiseLevels1D(const json& document, std::string_view source) {
  if (!document.is_object()) Fail(source, "the document is not a JSON object");
  // The header of the file; each entry's model is then checked by LoadNetwork1D.
  if (const auto format = document.find("format"); format != document.end()) {
    if (!format->is_string() || format->get<std::string>() != "convexscore-model") {
      Fail(source, "field 'format' is not \"convexscore-model\"");
    }
  } else {
    Fail(source, "missing field 'format'");
  }
  const auto version = document.find("version");
  if (version == document.end()) Fail(source, "missing field 'version'");
  if (!version->is_number_integer() || version->get<long long>() != 1) {
    Fail(source, "unsupported version " + version->dump() + " (this build reads version 1)");
  }
  const auto dimension = document.find("dimension");
  if (dimension != document.end() &&
      (!dimension->is_number_integer() || dimension->get<long long>() != 1)) {
    Fail(source,
         "dimension " + dimension->dump() + " is not 1 (noise-level files are univariate here)");
  }

  const auto levels_json = document.find("noise_levels");
  if (levels_json == document.end()) Fail(source, "missing field 'noise_levels'");
  if (!levels_json->is_array()) Fail(source, "field 'noise_levels' is not an array");
  if (levels_json->empty()) Fail(source, "field 'noise_levels' is empty");

  std::vector<NoiseLevelModel1D> levels;
  levels.reserve(levels_json->size());
  for (std::size_t i = 0; i < levels_json->size(); ++i) {
    const json& entry = (*levels_json)[i];
    if (!entry.is_object()) Fail(source, Entry(i) + " is not an object");
    const auto sigma_json = entry.find("sigma");
    if (sigma_json == entry.end()) Fail(source, "missing field '" + Entry(i) + ".sigma'");
    if (!sigma_json->is_number()) Fail(source, "field '" + Entry(i) + ".sigma' is not a number");
    const double sigma = sigma_json->get<double>();
    if (!std::isfinite(sigma) || !(sigma > 0.0)) {
      Fail(source, "field '" + Entry(i) + ".sigma' must be positive and finite (got " +
                       FormatDouble(sigma) + ")");
    }
    if (i > 0 && !(sigma < levels.back().sigma)) {
      Fail(source, Entry(i) + ".sigma = " + FormatDouble(sigma) + " is not below " + Entry(i - 1) +
                       ".sigma = " + FormatDouble(levels.back().sigma) +
                       " (the levels must have strictly decreasing sigma)");
    }
    if (const auto entry_dimension = entry.find("dimension"); entry_dimension != entry.end()) {
      const json file_dimension = dimension != document.end() ? *dimension : json(1);
      if (*entry_dimension != file_dimension) {
        Fail(source, Entry(i) + " has dimension " + entry_dimension->dump() +
                         " but the file has dimension " + file_dimension.dump());
      }
    }
    json model = entry;
    for (const char* field : kInheritedFields) {
      if (!model.contains(field) && document.contains(field)) model[field] = document[field];
    }
    levels.push_back({sigma, LoadNetwork1D(model, std::string(source) + ", " + Entry(i))});
  }
  return levels;
}

std::vector<NoiseLevelModel1D> LoadNoiseLevels1DFile(const std::filesystem::path& file) {
  return LoadNoiseLevels1D(ReadModelFile(file), "file " + file.string());
}

json NoiseLevelsToJson(const std::vector<NoiseLevelEntry>& levels) {
  json entries = json::array();
  for (const NoiseLevelEntry& level : levels) {
    json entry = level.model;
    entry["sigma"] = level.sigma;
    entries.push_back(std::move(entry));
  }
  return {{"format", "convexscore-model"},
          {"version", 1},
          {"dimension", 1},
          {"noise_levels", std::move(entries)}};
}

FinestNetwork1D LoadFinestNetwork1D(const nlohmann::json& document, std::string_view source) {
  if (!HasNoiseLevels(document)) return {LoadNetwork1D(document, source), std::nullopt};
  std::vector<NoiseLevelModel1D> levels = LoadNoiseLevels1D(document, source);
  return {std::move(levels.back().network), levels.back().sigma};
}

}  // namespace convexscore
