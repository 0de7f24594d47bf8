// Output files appear whole or not at all: contents go to a temporary file in the destination
// directory, which is then renamed over the destination (rename is atomic within a directory).
#pragma once

#include <filesystem>
#include <string_view>

namespace convexscore {

// Writes `contents` to `path` atomically. On any failure the temporary file is removed, the
// destination is left as it was, and Error("cannot write PATH: reason") is thrown.
void WriteFileAtomically(const std::filesystem::path& path, std::string_view contents);

// Throws Error("cannot write PATH: reason") unless a file could be created at `path`: the
// directory exists, is a directory, and accepts a new file (probed by creating and removing a
// temporary file there), and `path` itself is not a directory. Call it before expensive work.
void CheckOutputWritable(const std::filesystem::path& path);

}  // namespace convexscore
