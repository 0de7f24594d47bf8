#include "convexscore/io/model_nd_json.h"

#include <set>

#include "convexscore/common.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/model_reader.h"

namespace convexscore {
namespace {

using nlohmann::json;

json Row(const double* values, Eigen::Index count) {
  json row = json::array();
  for (Eigen::Index k = 0; k < count; ++k) row.push_back(values[k]);
  return row;
}

// The positive integer in `value` (named `path`).
long long PositiveInteger(const ModelReader& reader, const json& value, const std::string& path) {
  if (!value.is_number_integer() || value.get<long long>() < 1) {
    reader.Fail("field '" + path + "' is " + value.dump() + ", not a positive integer");
  }
  return value.get<long long>();
}

// `array` (named `name`) must be an array of exactly `count` entries.
void CheckLength(const ModelReader& reader, const json& array, const std::string& name,
                 long long count) {
  if (!array.is_array()) reader.Fail("field '" + name + "' is not an array");
  if (static_cast<long long>(array.size()) != count) {
    reader.Fail("field '" + name + "' has " + std::to_string(array.size()) + " entries, expected " +
                std::to_string(count) + " (the dimension)");
  }
}

// `array` as exactly `count` finite numbers, written into `out`.
void ReadNumbers(const ModelReader& reader, const json& array, const std::string& name,
                 long long count, double* out) {
  CheckLength(reader, array, name, count);
  for (std::size_t k = 0; k < array.size(); ++k) {
    out[k] = reader.FiniteNumber(array[k], name + "[" + std::to_string(k) + "]");
  }
}

// The model's "dimension", required for the d-D form.
long long DocumentDimension(const ModelReader& reader, const json& model) {
  return PositiveInteger(reader, reader.Field(model, "", "dimension"), "dimension");
}

}  // namespace

json NetworkNDToJson(const NetworkND& network) {
  network.Validate();
  const Eigen::Index d = network.dimension();
  json neurons = json::array();
  for (Eigen::Index j = 0; j < network.neurons(); ++j) {
    neurons.push_back({{"w", Row(network.w.row(j).data(), d)},
                       {"b", network.b[j]},
                       {"a", Row(network.a.row(j).data(), d)}});
  }
  json skip = nullptr;
  if (network.skip) {
    skip = json::array();
    for (Eigen::Index k = 0; k < d; ++k) {
      const Eigen::VectorXd row = network.skip->row(k).transpose();
      skip.push_back(Row(row.data(), d));
    }
  }
  return {{"activation", std::string(ActivationName(network.activation))},
          {"dimension", d},
          {"neurons", std::move(neurons)},
          {"output_bias", Row(network.output_bias.data(), d)},
          {"skip", std::move(skip)}};
}

json ModelNDToJson(const NetworkND& network, const std::vector<std::string>& coordinate_names) {
  json model = {{"format", std::string(kModelFormat)},
                {"version", kModelVersion},
                {"dimension", network.dimension()},
                {"network", NetworkNDToJson(network)}};
  if (!coordinate_names.empty()) {
    if (static_cast<int>(coordinate_names.size()) != network.dimension()) {
      throw Error(std::to_string(coordinate_names.size()) + " coordinate names for a model of " +
                  "dimension " + std::to_string(network.dimension()));
    }
    model["coordinate_names"] = coordinate_names;
  }
  return model;
}

bool IsMultivariateModel(const json& document) {
  if (!document.is_object()) return false;
  if (const auto dimension = document.find("dimension");
      dimension != document.end() && *dimension != json(1)) {
    return true;
  }
  const json* holder = &document;
  if (const auto levels = document.find("noise_levels");
      levels != document.end() && levels->is_array() && !levels->empty()) {
    holder = &(*levels)[0];
  }
  if (!holder->is_object()) return false;
  const auto network = holder->find("network");
  return network != holder->end() && network->is_object() && network->contains("dimension");
}

NetworkND LoadNetworkND(const json& model, std::string_view source) {
  const ModelReader reader(source);
  reader.CheckHeader(model);
  const json& network_json = reader.Field(model, "", "network");
  if (!network_json.is_object()) reader.Fail("field 'network' is not an object");
  if (!network_json.contains("dimension")) {
    // The univariate form; its own loader checks it (and that "dimension" is 1 if present).
    return ToNetworkND(LoadNetwork1D(model, source));
  }
  const long long d = DocumentDimension(reader, model);
  const long long network_d =
      PositiveInteger(reader, network_json.at("dimension"), "network.dimension");
  if (network_d != d) {
    reader.Fail("field 'network.dimension' is " + std::to_string(network_d) +
                " but the model has dimension " + std::to_string(d));
  }
  const std::string activation = reader.String(network_json, "network", "activation");
  Activation act = Activation::kRelu;
  try {
    act = ParseActivation(activation);
  } catch (const Error&) {
    reader.Fail("unknown activation '" + activation + "' in 'network.activation'");
  }
  const json& neurons = reader.Field(network_json, "network", "neurons");
  if (!neurons.is_array()) reader.Fail("field 'network.neurons' is not an array");
  // Nothing of size d is allocated before an array in the file has shown d entries.
  const json& output_bias = reader.Field(network_json, "network", "output_bias");
  CheckLength(reader, output_bias, "network.output_bias", d);
  NetworkND network = NetworkND::Zero(act, static_cast<int>(d));
  ReadNumbers(reader, output_bias, "network.output_bias", d, network.output_bias.data());
  const Eigen::Index m = static_cast<Eigen::Index>(neurons.size());
  network.w.resize(m, d);
  network.b.resize(m);
  network.a.resize(m, d);
  for (Eigen::Index j = 0; j < m; ++j) {
    const json& neuron = neurons[static_cast<std::size_t>(j)];
    const std::string path = "network.neurons[" + std::to_string(j) + "]";
    ReadNumbers(reader, reader.Field(neuron, path, "w"), path + ".w", d, network.w.row(j).data());
    network.b[j] = reader.FiniteNumber(neuron, path, "b");
    ReadNumbers(reader, reader.Field(neuron, path, "a"), path + ".a", d, network.a.row(j).data());
  }
  const json& skip = reader.Field(network_json, "network", "skip");
  if (!skip.is_null()) {
    if (!skip.is_array()) reader.Fail("field 'network.skip' is neither null nor an array");
    CheckLength(reader, skip, "network.skip", d);
    RowMatrixXd matrix(d, d);
    for (Eigen::Index k = 0; k < d; ++k) {
      ReadNumbers(reader, skip[static_cast<std::size_t>(k)],
                  "network.skip[" + std::to_string(k) + "]", d, matrix.row(k).data());
    }
    network.skip = matrix;
  }
  LoadCoordinateNames(model, source);  // validates them
  return network;
}

NetworkND LoadNetworkNDFile(const std::filesystem::path& file) {
  return LoadNetworkND(ReadModelFile(file), "file " + file.string());
}

std::vector<std::string> LoadCoordinateNames(const json& model, std::string_view source) {
  const ModelReader reader(source);
  if (!model.is_object()) reader.Fail("the document is not a JSON object");
  const auto names_json = model.find("coordinate_names");
  if (names_json == model.end()) return {};
  const long long d =
      model.contains("dimension") ? DocumentDimension(reader, model) : 1;
  if (!names_json->is_array() || static_cast<long long>(names_json->size()) != d) {
    reader.Fail("field 'coordinate_names' is not an array of " + std::to_string(d) +
                " names (the dimension)");
  }
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (std::size_t k = 0; k < names_json->size(); ++k) {
    const json& name = (*names_json)[k];
    const std::string path = "coordinate_names[" + std::to_string(k) + "]";
    if (!name.is_string() || name.get<std::string>().empty()) {
      reader.Fail("field '" + path + "' is not a non-empty string");
    }
    if (!seen.insert(name.get<std::string>()).second) {
      reader.Fail("field '" + path + "' repeats the name '" + name.get<std::string>() + "'");
    }
    names.push_back(name.get<std::string>());
  }
  return names;
}

}  // namespace convexscore
