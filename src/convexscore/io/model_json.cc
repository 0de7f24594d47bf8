#include "convexscore/io/model_json.h"

#include <cmath>

#include "convexscore/common.h"
#include "convexscore/io/atomic_file.h"
#include "convexscore/io/read_file.h"

namespace convexscore {
namespace {

using nlohmann::json;

constexpr std::string_view kFormat = "convexscore-model";
constexpr int kVersion = 1;

// Validation of a parsed document; every failure names the field by its path.
class ModelReader {
 public:
  explicit ModelReader(std::string_view source) : source_(source) {}

  [[noreturn]] void Fail(const std::string& problem) const {
    throw Error("invalid model " + source_ + ": " + problem);
  }

  const json& Field(const json& object, const std::string& path, std::string_view key) const {
    if (!object.is_object()) Fail("field '" + path + "' is not an object");
    const auto found = object.find(key);
    if (found == object.end()) Fail("missing field '" + Join(path, key) + "'");
    return *found;
  }

  double FiniteNumber(const json& object, const std::string& path, std::string_view key) const {
    const json& value = Field(object, path, key);
    if (!value.is_number()) Fail("field '" + Join(path, key) + "' is not a number");
    const double number = value.get<double>();
    if (!std::isfinite(number)) Fail("field '" + Join(path, key) + "' is not finite");
    return number;
  }

  std::string String(const json& object, const std::string& path, std::string_view key) const {
    const json& value = Field(object, path, key);
    if (!value.is_string()) Fail("field '" + Join(path, key) + "' is not a string");
    return value.get<std::string>();
  }

  static std::string Join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

 private:
  std::string source_;
};

}  // namespace

DataSource1D DataSource1D::File(std::string path, std::size_t column_index,
                                std::string column_name) {
  DataSource1D source;
  source.from_file = true;
  source.path = std::move(path);
  source.column_index = column_index;
  source.column_name = std::move(column_name);
  return source;
}

DataSource1D DataSource1D::Generator(std::string kind, int n, std::uint64_t seed) {
  DataSource1D source;
  source.from_file = false;
  source.generator = std::move(kind);
  source.n = n;
  source.seed = seed;
  return source;
}

json DataSource1D::ToJson() const {
  if (from_file) {
    json file = {{"kind", "file"}, {"path", path}, {"column_index", column_index}};
    if (!column_name.empty()) file["column_name"] = column_name;
    return file;
  }
  return {{"kind", "generator"}, {"generator", generator}, {"n", n}, {"seed", seed}};
}

json Network1DToJson(const Network1D& network) {
  json neurons = json::array();
  for (const Neuron1D& neuron : network.neurons) {
    neurons.push_back({{"w", neuron.w}, {"b", neuron.b}, {"a", neuron.a}});
  }
  return {{"activation", std::string(ActivationName(network.activation))},
          {"neurons", std::move(neurons)},
          {"output_bias", network.output_bias},
          {"skip", network.skip}};
}

namespace {

// The certificate fields every model document carries at its top level.
json SolveSummaryToJson(const SolveSummary& summary) {
  return {{"status", std::string(StatusName(summary.status))},
          {"objective", summary.objective},
          {"dual_objective", summary.dual_objective},
          {"duality_gap", summary.duality_gap},
          {"relative_gap", summary.relative_gap},
          {"kkt_residual", summary.kkt_residual},
          {"iterations", summary.iterations},
          {"seconds", summary.seconds},
          {"polished", summary.polished},
          {"message", summary.message}};
}

json Sample1DToJson(const Sample1D& data, const DataSource1D& source) {
  return {{"source", source.ToJson()},
          {"n", data.n},
          {"distinct", data.distinct()},
          {"mean", data.mean},
          {"variance", data.variance},
          {"min", data.values.empty() ? 0.0 : data.values.front()},
          {"max", data.values.empty() ? 0.0 : data.values.back()}};
}

}  // namespace

json ScoreModel1DToJson(const ScoreMatching1DResult& result,
                        const ScoreMatching1DOptions& options, const Sample1D& data,
                        const DataSource1D& source, std::optional<double> network_objective) {
  // Keys come out sorted (nlohmann::json), which keeps model files easy to diff.
  json model = {
      {"format", std::string(kFormat)},
      {"version", kVersion},
      {"objective_kind", "sm"},
      {"dimension", 1},
      {"beta_min", result.thresholds.beta_min},
      {"beta_max", result.thresholds.beta_max},
      {"active_neurons", result.active_neurons},
      {"settings",
       {{"activation", std::string(ActivationName(options.activation))},
        {"skip", options.skip},
        {"beta", options.beta},
        {"gap_tolerance", options.gap_tolerance},
        {"max_iterations", options.max_iterations},
        {"form", "mean"}}},
      {"data", Sample1DToJson(data, source)},
      {"network", Network1DToJson(result.network)},
  };
  model.update(SolveSummaryToJson(result.summary));
  if (network_objective) model["network_objective"] = *network_objective;
  return model;
}

json DenoisingModel1DToJson(const DenoisingScoreMatching1DResult& result,
                            const DenoisingScoreMatching1DOptions& options,
                            const DenoisingSettings1D& noise, const Sample1D& data,
                            const DataSource1D& source, std::optional<double> network_objective) {
  json summary = Sample1DToJson(data, source);
  summary["noisy_inputs"] = data.n * noise.copies;
  summary["distinct_noisy_inputs"] = result.distinct_inputs;
  json model = {
      {"format", std::string(kFormat)},
      {"version", kVersion},
      {"objective_kind", "dsm"},
      {"dimension", 1},
      {"beta_max", result.beta_max},
      {"active_neurons", result.active_neurons},
      {"settings",
       {{"objective", "dsm"},
        {"activation", std::string(ActivationName(options.activation))},
        {"skip", options.skip},
        {"beta", options.beta},
        {"sigma", noise.sigma},
        {"copies", noise.copies},
        {"noise_seed", noise.seed},
        {"gap_tolerance", options.gap_tolerance},
        {"max_iterations", options.max_iterations},
        {"form", "mean"}}},
      {"data", std::move(summary)},
      {"network", Network1DToJson(result.network)},
  };
  model.update(SolveSummaryToJson(result.summary));
  if (network_objective) model["network_objective"] = *network_objective;
  return model;
}

std::string ModelJsonText(const json& model) { return model.dump(2) + "\n"; }

void WriteModelFile(const std::filesystem::path& file, const json& model) {
  WriteFileAtomically(file, ModelJsonText(model));
}

Network1D LoadNetwork1D(const json& model, std::string_view source) {
  const ModelReader reader(source);
  if (!model.is_object()) reader.Fail("the document is not a JSON object");
  if (reader.String(model, "", "format") != kFormat) {
    reader.Fail("field 'format' is not \"" + std::string(kFormat) + "\"");
  }
  const json& version = reader.Field(model, "", "version");
  if (!version.is_number_integer() || version.get<long long>() != kVersion) {
    reader.Fail("unsupported version " + version.dump() + " (this build reads version " +
                std::to_string(kVersion) + ")");
  }
  if (const auto dimension = model.find("dimension"); dimension != model.end()) {
    if (!dimension->is_number_integer() || dimension->get<long long>() != 1) {
      reader.Fail("dimension " + dimension->dump() + " is not 1 (a univariate model)");
    }
  }

  const json& network_json = reader.Field(model, "", "network");
  Network1D network;
  const std::string activation = reader.String(network_json, "network", "activation");
  try {
    network.activation = ParseActivation(activation);
  } catch (const Error&) {
    reader.Fail("unknown activation '" + activation + "' in 'network.activation'");
  }
  const json& neurons = reader.Field(network_json, "network", "neurons");
  if (!neurons.is_array()) reader.Fail("field 'network.neurons' is not an array");
  network.neurons.reserve(neurons.size());
  for (std::size_t j = 0; j < neurons.size(); ++j) {
    const std::string path = "network.neurons[" + std::to_string(j) + "]";
    Neuron1D neuron;
    neuron.w = reader.FiniteNumber(neurons[j], path, "w");
    neuron.b = reader.FiniteNumber(neurons[j], path, "b");
    neuron.a = reader.FiniteNumber(neurons[j], path, "a");
    network.neurons.push_back(neuron);
  }
  network.output_bias = reader.FiniteNumber(network_json, "network", "output_bias");
  network.skip = reader.FiniteNumber(network_json, "network", "skip");
  return network;
}

json ReadModelFile(const std::filesystem::path& file) {
  const std::string text = ReadFileBytes(file);
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error("invalid model file " + file.string() + ": not valid JSON (byte " +
                std::to_string(e.byte) + ")");
  }
}

Network1D LoadNetwork1DFile(const std::filesystem::path& file) {
  return LoadNetwork1D(ReadModelFile(file), "file " + file.string());
}

}  // namespace convexscore
