// Reading a whole input file, with the one-line errors every command reports.
#pragma once

#include <filesystem>
#include <string>

namespace convexscore {

// The file's bytes. Throws Error("cannot read FILE: reason") when it does not exist, is a
// directory, or cannot be opened or read.
std::string ReadFileBytes(const std::filesystem::path& file);

}  // namespace convexscore
