// Model files with one model per noise level, for annealed Langevin sampling: univariate
// (model_json.h) or d-dimensional (model_nd_json.h).
//
// The document is a model file (format "convexscore-model", version 1, io/model_json.h) whose
// "noise_levels" array holds the models, largest sigma first:
//   {"format": "convexscore-model", "version": 1, "dimension": 1,
//    "noise_levels": [{"sigma": 1.0, "network": {...}, ...}, {"sigma": 0.5, ...}, ...]}
// Each entry carries "sigma" and the fields of a single-model document ("network" at least).
// An entry may repeat "format", "version" and "dimension"; where it does not, it takes them
// from the top level. Other top-level and entry fields (settings, certificates, data summary)
// are kept by writers and ignored by the loader.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "convexscore/data/sample1d.h"
#include "convexscore/common.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/numbers.h"
#include "convexscore/model/network1d.h"
#include "convexscore/model/network_nd.h"
#include "convexscore/programs/denoising_score_matching_nd.h"
#include "convexscore/programs/shared_hidden_layer_nd.h"

namespace convexscore {

// A level's sigma and its single-model document.
struct NoiseLevelEntry {
  double sigma = 0.0;
  nlohmann::json model;
};

struct NoiseLevelModel1D {
  double sigma = 0.0;
  Network1D network;
};

// True when the document has a "noise_levels" field (and is meant to be read by
// LoadNoiseLevels1D rather than LoadNetwork1D).
bool HasNoiseLevels(const nlohmann::json& document);

// The levels, in file order. Throws Error("invalid model SOURCE: ...") when the top level is
// not a model document, "noise_levels" is not a non-empty array, an entry is not an object,
// a sigma is missing, not a number, not finite or not positive, the sigmas do not strictly
// decrease, an entry's dimension differs from the file's (or is not 1), or an entry's model
// is invalid (the message then names the entry, e.g. "noise_levels[2]").
std::vector<NoiseLevelModel1D> LoadNoiseLevels1D(const nlohmann::json& document,
                                                 std::string_view source = "model");
std::vector<NoiseLevelModel1D> LoadNoiseLevels1DFile(const std::filesystem::path& file);

// The network a single-model document holds, or, for a noise-levels document, the network at
// the smallest sigma (the one annealed sampling ends with), whose sigma is then returned too.
// Errors as LoadNetwork1D / LoadNoiseLevels1D.
struct FinestNetwork1D {
  Network1D network;
  std::optional<double> sigma;  // set for noise-levels documents
};
FinestNetwork1D LoadFinestNetwork1D(const nlohmann::json& document,
                                    std::string_view source = "model");

// Each level of a noise-levels document (1-D or d-D) as a single-model document: the entry with
// the header fields it inherits, readable by LoadNetwork1D / LoadNetworkND. Checks the header
// and the sigmas as LoadNoiseLevels1D / LoadNoiseLevelsND do, not the networks.
std::vector<NoiseLevelEntry> NoiseLevelDocuments(const nlohmann::json& document,
                                                 std::string_view source = "model");

// The d-D form: the file must have a "dimension" (any positive integer) shared by every entry,
// and each entry's model is read by LoadNetworkND (which also accepts univariate networks when
// the dimension is 1). Errors as above.
struct NoiseLevelModelND {
  double sigma = 0.0;
  NetworkND network;
};
std::vector<NoiseLevelModelND> LoadNoiseLevelsND(const nlohmann::json& document,
                                                 std::string_view source = "model");
std::vector<NoiseLevelModelND> LoadNoiseLevelsNDFile(const std::filesystem::path& file);

// LoadFinestNetwork1D for d-D documents (read by LoadNetworkND / LoadNoiseLevelsND).
struct FinestNetworkND {
  NetworkND network;
  std::optional<double> sigma;  // set for noise-levels documents
};
FinestNetworkND LoadFinestNetworkND(const nlohmann::json& document,
                                    std::string_view source = "model");

// The network training starts from (`train --init-model`, Python train(init=...)), 1-D or d-D
// alike: a single-model document's network (for sm, no sigma), or the level of a noise-levels
// document at `sigma` (from a convex DSM fit: the optimum of the same DSM objective when the
// copies and the noise seed also match). `load_single(document, source)` and
// `load_levels(document, source)` are the dimension's loaders; `name` names the document in the
// errors ("NAME holds denoising models at noise levels ...", "NAME has no model at sigma ...").
template <typename LoadSingle, typename LoadLevels>
auto StartNetworkFromDocument(const nlohmann::json& document, std::optional<double> sigma,
                              const std::string& name, const std::string& source,
                              LoadSingle load_single, LoadLevels load_levels) {
  if (!HasNoiseLevels(document)) return load_single(document, source);
  std::string sigmas;
  for (auto& level : load_levels(document, source)) {
    if (sigma && level.sigma == *sigma) return std::move(level.network);
    sigmas += (sigmas.empty() ? "" : ", ") + FormatDouble(level.sigma);
  }
  if (!sigma) {
    throw Error(name + " holds denoising models at noise levels " + sigmas +
                "; start sm training from a single-model file");
  }
  throw Error(name + " has no model at sigma " + FormatDouble(*sigma) + " (its noise levels: " +
              sigmas + ")");
}

// A noise-levels document from single-model documents (as written by ScoreModel1DToJson or
// built by hand) and their sigmas: each entry is the model with "sigma" added; the top level
// gets format, version and `dimension`. Does not validate (the loader does).
nlohmann::json NoiseLevelsToJson(const std::vector<NoiseLevelEntry>& levels, int dimension = 1);

// The model file of a multi-level convex DSM fit (programs/denoising_levels_1d.h): one
// DenoisingModel1DToJson entry per level, with its network objective, `data` the clean data.
nlohmann::json DenoisingLevels1DToJson(const std::vector<DenoisingLevel1D>& levels,
                                       const DenoisingScoreMatching1DOptions& options,
                                       const Sample1D& data, const DataSource1D& source);

// The model file of a multi-level d-D convex DSM fit (programs/denoising_score_matching_nd.h),
// read by LoadNoiseLevelsND: top level format, version, dimension, coordinate_names (when
// given) and "noise_levels"; each entry a d-D model document (ModelNDToJson) with "sigma",
// objective_kind "dsm", "architecture": "per-coordinate", "settings" (objective, activation,
// beta, sigma, copies, noise_seed, form, solver tolerances), "patterns" (count, method, and for
// sampled patterns seed and directions), the certificate fields (SolveSummaryToJson: status,
// objective, duality gap, relative gap, ...), "network_objective", "active_neurons",
// per-coordinate certificates in "coordinates", and "data": `data_summary` plus noisy_inputs.
nlohmann::json DenoisingLevelsNDToJson(const std::vector<DenoisingLevelND>& levels,
                                       const DenoisingScoreMatchingNDOptions& options,
                                       const nlohmann::json& data_summary,
                                       const std::vector<std::string>& coordinate_names = {});

// The model file of a multi-level shared-hidden-layer DSM fit
// (programs/shared_hidden_layer_nd.h FitSharedHiddenLayerDenoisingLevelsND), read by
// LoadNoiseLevelsND: top level as DenoisingLevelsNDToJson; each entry a SharedModelNDToJson
// document (io/shared_model_json.h: status, lower_bound, upper_bound, gap, patterns,
// pattern_method, pattern_seed, sampled_directions, ...) whose settings and top level carry
// sigma, and whose settings carry copies and noise_seed; "data" is `data_summary` plus
// noisy_inputs. Throws Error when there is no level.
nlohmann::json SharedDenoisingLevelsNDToJson(const std::vector<SharedDenoisingLevelND>& levels,
                                             const SharedHiddenLayerNDOptions& options,
                                             const nlohmann::json& data_summary,
                                             const std::vector<std::string>& coordinate_names = {});

// The model file of d-D non-convex training (training/nonconvex_training_nd.h TrainLevelsND),
// as `train` writes it: each level a TrainedModelNDToJson document (settings of DSM levels add
// sigma, copies and their noise seed); one level alone is the document itself unless
// `noise_levels_document`, which gives a noise-levels document (NoiseLevelsToJson, plus
// coordinate_names when given) for sample --annealed.
nlohmann::json TrainedLevelsNDToJson(const std::vector<TrainingLevelND>& levels,
                                     const NonconvexTrainingOptions& options,
                                     std::string_view objective_kind, std::string_view start_model,
                                     const nlohmann::json& data_summary,
                                     const std::vector<std::string>& coordinate_names,
                                     bool noise_levels_document);

}  // namespace convexscore
