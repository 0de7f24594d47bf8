// Model files for multivariate networks (model/network_nd.h). A d-D model document is a model
// document (format "convexscore-model", version 1, io/model_json.h) with
//   "dimension": d,
//   "network": {"activation": "relu" | "abs", "dimension": d,
//               "neurons": [{"w": [d numbers], "b": number, "a": [d numbers]}, ...],
//               "output_bias": [d numbers],
//               "skip": [[d numbers] x d rows] | null},
//   "coordinate_names": [d strings]   (optional: the data's column names, e.g. ["x", "y"])
// plus whatever a fitter records beside them (settings, certificates, data summary), which the
// loader ignores. "skip" row k holds the k-th output's weights on x. Univariate documents keep
// their own form (model_json.h); "network.dimension" tells the two apart. Doubles are written
// in shortest round-trip form, so a loaded network is bit-for-bit the written one.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "convexscore/model/network_nd.h"

namespace convexscore {

// The "network" object. Throws Error if the network is invalid (NetworkND::Validate).
nlohmann::json NetworkNDToJson(const NetworkND& network);

// A minimal d-D model document: format, version, dimension, network, and coordinate_names
// unless `coordinate_names` is empty (it must otherwise have d entries; throws Error if not).
// Write it with WriteModelFile (model_json.h, atomic).
nlohmann::json ModelNDToJson(const NetworkND& network,
                             const std::vector<std::string>& coordinate_names = {});

// True when the document holds d-D networks: its "dimension" is an integer other than 1, or
// its network (or the first noise level's) has a "dimension" field. Does not validate.
bool IsMultivariateModel(const nlohmann::json& document);

// Reads the network of a model document: the d-D form above, or a univariate document
// (as a NetworkND of dimension 1). Throws Error("invalid model SOURCE: ...") naming the field
// for: a wrong format or version, a missing "dimension", a dimension that is not a positive
// integer or differs from "network.dimension", arrays of the wrong length, numbers that are
// not finite, an unknown activation, and a malformed "coordinate_names".
NetworkND LoadNetworkND(const nlohmann::json& model, std::string_view source = "model");
NetworkND LoadNetworkNDFile(const std::filesystem::path& file);

// The document's "coordinate_names" (validated against its dimension), or {} when it has none.
std::vector<std::string> LoadCoordinateNames(const nlohmann::json& model,
                                             std::string_view source = "model");

}  // namespace convexscore
