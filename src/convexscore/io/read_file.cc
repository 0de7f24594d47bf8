#include "convexscore/io/read_file.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include "convexscore/common.h"

namespace convexscore {

std::string ReadFileBytes(const std::filesystem::path& file) {
  const std::string name = file.string();
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(file, error);
  if (!std::filesystem::exists(status)) {
    throw Error("cannot read " + name + ": " +
                (error ? error.message() : std::string("no such file")));
  }
  if (std::filesystem::is_directory(status)) {
    throw Error("cannot read " + name + ": it is a directory");
  }
  std::ifstream stream(file, std::ios::binary);
  if (!stream) throw Error("cannot read " + name + ": cannot open the file");
  std::ostringstream contents;
  contents << stream.rdbuf();
  if (stream.bad()) throw Error("cannot read " + name + ": read error");
  return std::move(contents).str();
}

}  // namespace convexscore
