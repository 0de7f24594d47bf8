#include "convexscore/io/model_json.h"

#include <cmath>

#include "convexscore/common.h"
#include "convexscore/io/atomic_file.h"
#include "convexscore/io/model_reader.h"
#include "convexscore/io/read_file.h"

namespace convexscore {
using nlohmann::json;

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

DataSource1D DataSource1D::Array(int n) {
  DataSource1D source;
  source.from_file = false;
  source.from_array = true;
  source.n = n;
  return source;
}

json DataSource1D::ToJson() const {
  if (from_array) return {{"kind", "array"}, {"n", n}};
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

json ScoreModel1DToJson(const ScoreMatching1DResult& result,
                        const ScoreMatching1DOptions& options, const Sample1D& data,
                        const DataSource1D& source, std::optional<double> network_objective) {
  // Keys come out sorted (nlohmann::json), which keeps model files easy to diff.
  json model = {
      {"format", std::string(kModelFormat)},
      {"version", kModelVersion},
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
      {"data", DataSummaryJson(data, source)},
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
  json summary = DataSummaryJson(data, source);
  summary["noisy_inputs"] = data.n * noise.copies;
  summary["distinct_noisy_inputs"] = result.distinct_inputs;
  json model = {
      {"format", std::string(kModelFormat)},
      {"version", kModelVersion},
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

json DataSummaryJson(const Sample1D& data, const DataSource1D& source) {
  return {{"source", source.ToJson()},
          {"n", data.n},
          {"distinct", data.distinct()},
          {"mean", data.mean},
          {"variance", data.variance},
          {"min", data.values.empty() ? 0.0 : data.values.front()},
          {"max", data.values.empty() ? 0.0 : data.values.back()}};
}

json TrainedModel1DToJson(const TrainingResult1D& result,
                          const NonconvexTraining1DOptions& options,
                          std::string_view objective_kind, const json& objective_settings,
                          std::string_view start_model, const Sample1D& data,
                          const DataSource1D& source) {
  const TrainingSummary1D& summary = result.summary;
  json settings = {{"activation", std::string(ActivationName(options.activation))},
                   {"skip", options.skip},
                   {"beta", options.beta},
                   {"form", "mean"}};
  settings.update(objective_settings);
  json training = {
      {"optimizer", std::string(OptimizerName(options.optimizer))},
      {"learning_rate", options.learning_rate},
      {"epochs", options.epochs},
      {"epochs_run", summary.epochs_run},
      {"steps", summary.steps},
      {"batch", options.batch ? json(*options.batch) : json(nullptr)},
      {"width", result.network.neurons.size()},
      {"init_seed", options.init_seed},
      {"start", start_model.empty()
                    ? json{{"kind", "seeded"}, {"scheme", "pytorch-default-uniform"}}
                    : json{{"kind", "model_file"}, {"path", std::string(start_model)}}},
      {"initial_objective", summary.initial_objective},
      {"final_objective", summary.final_objective},
      {"best_objective", summary.best_objective},
      {"best_epoch", summary.best_epoch},
      {"history_every", options.history_every},
      {"history", summary.history},
  };
  if (options.optimizer == Optimizer::kAdam) {
    training["adam"] = {{"beta1", options.adam_beta1},
                        {"beta2", options.adam_beta2},
                        {"epsilon", options.adam_epsilon}};
  }
  return {
      {"format", std::string(kModelFormat)},
      {"version", kModelVersion},
      {"objective_kind", std::string(objective_kind)},
      {"dimension", 1},
      {"status", "trained"},
      {"objective", summary.final_objective},
      {"seconds", summary.seconds},
      {"message", "non-convex training: no optimality certificate"},
      {"settings", std::move(settings)},
      {"training", std::move(training)},
      {"data", DataSummaryJson(data, source)},
      {"network", Network1DToJson(result.network)},
  };
}

std::string ModelJsonText(const json& model) { return model.dump(2) + "\n"; }

void WriteModelFile(const std::filesystem::path& file, const json& model) {
  WriteFileAtomically(file, ModelJsonText(model));
}

Network1D LoadNetwork1D(const json& model, std::string_view source) {
  const ModelReader reader(source);
  reader.CheckHeader(model);
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
