// Validation helpers shared by the model-file loaders (model_json, model_nd_json,
// noise_levels_json): every failure is one Error line, "invalid model SOURCE: ...", naming the
// field by its path (e.g. "network.neurons[2].w").
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace convexscore {

inline constexpr std::string_view kModelFormat = "convexscore-model";
inline constexpr int kModelVersion = 1;

class ModelReader {
 public:
  explicit ModelReader(std::string_view source) : source_(source) {}

  [[noreturn]] void Fail(const std::string& problem) const;

  // The document is an object with our "format" and "version".
  void CheckHeader(const nlohmann::json& document) const;

  const nlohmann::json& Field(const nlohmann::json& object, const std::string& path,
                              std::string_view key) const;
  double FiniteNumber(const nlohmann::json& object, const std::string& path,
                      std::string_view key) const;
  // `value` itself (named `path`) as a finite number.
  double FiniteNumber(const nlohmann::json& value, const std::string& path) const;
  std::string String(const nlohmann::json& object, const std::string& path,
                     std::string_view key) const;

  static std::string Join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

}  // namespace convexscore
