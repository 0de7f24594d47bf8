#include "convexscore/io/model_reader.h"

#include <cmath>

#include "convexscore/common.h"

namespace convexscore {

using nlohmann::json;

void ModelReader::Fail(const std::string& problem) const {
  throw Error("invalid model " + source_ + ": " + problem);
}

void ModelReader::CheckHeader(const json& document) const {
  if (!document.is_object()) Fail("the document is not a JSON object");
  const json& format = Field(document, "", "format");
  if (!format.is_string() || format.get<std::string>() != kModelFormat) {
    Fail("field 'format' is not \"" + std::string(kModelFormat) + "\"");
  }
  const json& version = Field(document, "", "version");
  if (!version.is_number_integer() || version.get<long long>() != kModelVersion) {
    Fail("unsupported version " + version.dump() + " (this build reads version " +
         std::to_string(kModelVersion) + ")");
  }
}

const json& ModelReader::Field(const json& object, const std::string& path,
                               std::string_view key) const {
  if (!object.is_object()) Fail("field '" + path + "' is not an object");
  const auto found = object.find(key);
  if (found == object.end()) Fail("missing field '" + Join(path, key) + "'");
  return *found;
}

double ModelReader::FiniteNumber(const json& value, const std::string& path) const {
  if (!value.is_number()) Fail("field '" + path + "' is not a number");
  const double number = value.get<double>();
  if (!std::isfinite(number)) Fail("field '" + path + "' is not finite");
  return number;
}

double ModelReader::FiniteNumber(const json& object, const std::string& path,
                                 std::string_view key) const {
  return FiniteNumber(Field(object, path, key), Join(path, key));
}

std::string ModelReader::String(const json& object, const std::string& path,
                                std::string_view key) const {
  const json& value = Field(object, path, key);
  if (!value.is_string()) Fail("field '" + Join(path, key) + "' is not a string");
  return value.get<std::string>();
}

}  // namespace convexscore
