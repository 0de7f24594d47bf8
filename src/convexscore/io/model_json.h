// The model file: a univariate score-matching fit as JSON (format "convexscore-model",
// version 1), with its settings, certificates, data summary and network. Doubles are written
// in shortest round-trip form, so a loaded network is bit-for-bit the fitted one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "convexscore/data/sample1d.h"
#include "convexscore/model/network1d.h"
#include "convexscore/programs/denoising_levels_1d.h"  // DenoisingSettings1D
#include "convexscore/programs/denoising_score_matching_1d.h"
#include "convexscore/programs/score_matching_1d.h"
#include "convexscore/training/nonconvex_training_1d.h"

namespace convexscore {

// Where the data of a fit came from, recorded so the fit can be repeated.
struct DataSource1D {
  // A CSV file and the column read from it ...
  static DataSource1D File(std::string path, std::size_t column_index, std::string column_name);
  // ... or a built-in generator (data/generators.h).
  static DataSource1D Generator(std::string kind, int n, std::uint64_t seed);
  // ... or an array handed over in memory (the Python module): only its size is recorded.
  static DataSource1D Array(int n);

  nlohmann::json ToJson() const;

  bool from_file = true;
  bool from_array = false;
  std::string path;
  std::size_t column_index = 0;
  std::string column_name;  // header cell, "" when the file has no header
  std::string generator;
  int n = 0;
  std::uint64_t seed = 0;
};

// The whole model document. `network_objective` is the non-convex SM objective of the
// reconstructed network (certificate: equals result.summary.objective), if computed.
nlohmann::json ScoreModel1DToJson(const ScoreMatching1DResult& result,
                                  const ScoreMatching1DOptions& options, const Sample1D& data,
                                  const DataSource1D& source,
                                  std::optional<double> network_objective = std::nullopt);

// The "data" object of a model file: where the data came from and its summary.
nlohmann::json DataSummaryJson(const Sample1D& data, const DataSource1D& source);

// A model trained by non-convex optimisation (training/nonconvex_training_1d.h), in the same
// format as a fit so that LoadNetwork1D reads it: "status" is "trained" (no certificate),
// "objective" the final training objective of kind `objective_kind` ("sm" or "dsm"), and a
// "training" object records the optimiser settings, the objectives and their history.
// `objective_settings` (for DSM: sigma, copies, noise seed) is merged into "settings";
// `start_model` names the model file training started from ("" = the seeded initialisation).
nlohmann::json TrainedModel1DToJson(const TrainingResult1D& result,
                                    const NonconvexTraining1DOptions& options,
                                    std::string_view objective_kind,
                                    const nlohmann::json& objective_settings,
                                    std::string_view start_model, const Sample1D& data,
                                    const DataSource1D& source);

// A single-model document for a denoising score-matching fit at one noise level
// (objective_kind "dsm"; settings add sigma, copies and noise_seed; the data summary is that of
// the clean data, plus the number of noisy inputs). Entries of a noise-levels file
// (io/noise_levels_json.h) are such documents.
nlohmann::json DenoisingModel1DToJson(const DenoisingScoreMatching1DResult& result,
                                      const DenoisingScoreMatching1DOptions& options,
                                      const DenoisingSettings1D& noise, const Sample1D& data,
                                      const DataSource1D& source,
                                      std::optional<double> network_objective = std::nullopt);

// The certificate fields every model document carries at its top level: status, objective,
// dual_objective, duality_gap, relative_gap, kkt_residual, iterations, seconds, polished,
// message.
nlohmann::json SolveSummaryToJson(const SolveSummary& summary);

// The "network" object alone: {activation, neurons: [{w, b, a}], output_bias, skip}.
nlohmann::json Network1DToJson(const Network1D& network);

// Serialised form written to disk (indented, trailing newline).
std::string ModelJsonText(const nlohmann::json& model);

// Writes the model atomically (io/atomic_file.h).
void WriteModelFile(const std::filesystem::path& file, const nlohmann::json& model);

// Reads the network back from a model document. Throws Error("invalid model SOURCE: ...") when
// the format or version is not ours, a field is missing or has the wrong type, a number is not
// finite, or the activation is unknown. `source` names the document in messages.
Network1D LoadNetwork1D(const nlohmann::json& model, std::string_view source = "model");

// Reads and parses a model file; errors as above, plus unreadable files and invalid JSON.
nlohmann::json ReadModelFile(const std::filesystem::path& file);
Network1D LoadNetwork1DFile(const std::filesystem::path& file);

}  // namespace convexscore
