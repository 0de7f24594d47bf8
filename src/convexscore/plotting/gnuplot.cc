#include "convexscore/plotting/gnuplot.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>
#include <system_error>

#include "convexscore/common.h"
#include "convexscore/io/atomic_file.h"
#include "convexscore/io/numbers.h"
#include "convexscore/io/read_file.h"

namespace convexscore {
namespace {

namespace fs = std::filesystem;

// A directory of our own under the system temp dir, removed with its contents on scope exit.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::string pattern = (fs::temp_directory_path() / "convexscore-plot-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw Error("cannot create a temporary directory for gnuplot: " +
                  std::string(std::strerror(errno)));
    }
    path_ = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Exit status 127 is what the child reports when gnuplot cannot be executed at all.
constexpr int kCannotExecute = 127;

// Runs `program script` with stdout discarded and stderr to `stderr_file`; returns the exit
// status (or -1 when killed by a signal).
int RunProgram(const std::string& program, const fs::path& script, const fs::path& stderr_file) {
  const pid_t child = ::fork();
  if (child < 0) throw Error("cannot start gnuplot: " + std::string(std::strerror(errno)));
  if (child == 0) {
    const int err = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int null = ::open("/dev/null", O_RDWR);
    if (err >= 0) ::dup2(err, STDERR_FILENO);
    if (null >= 0) {
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDOUT_FILENO);
    }
    const std::string script_path = script.string();
    char* const argv[] = {const_cast<char*>(program.c_str()),
                          const_cast<char*>(script_path.c_str()), nullptr};
    ::execvp(program.c_str(), argv);
    ::_exit(kCannotExecute);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) throw Error("cannot wait for gnuplot: " + std::string(std::strerror(errno)));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The first line of gnuplot's complaint that says what went wrong (it echoes the offending
// script line and a caret first).
std::string FirstErrorLine(const std::string& text) {
  std::string fallback;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line(TrimWhitespace(std::string_view(text).substr(start, end - start)));
    if (line.find("error") != std::string::npos || line.find("rror:") != std::string::npos) {
      return line;
    }
    if (fallback.empty() && !line.empty() && line != "^") fallback = line;
    start = end + 1;
  }
  return fallback.empty() ? "no message" : fallback;
}

}  // namespace

ImageFormat ImageFormatOf(const fs::path& out) {
  std::string extension = out.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".png") return ImageFormat::kPng;
  if (extension == ".svg") return ImageFormat::kSvg;
  throw Error("cannot render " + out.string() + ": the file name must end in .png or .svg");
}

std::string GnuplotQuote(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    quoted += c;
    if (c == '\'') quoted += '\'';
  }
  quoted += '\'';
  return quoted;
}

void GnuplotScript::AddDataBlock(std::string_view name,
                                 const std::vector<std::vector<double>>& columns) {
  const std::size_t rows = columns.empty() ? 0 : columns.front().size();
  for (const std::vector<double>& column : columns) {
    if (column.size() != rows) {
      throw Error("data block $" + std::string(name) + ": columns of different lengths");
    }
  }
  text_ += "$";
  text_ += name;
  text_ += " << EOD\n";
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) text_ += ' ';
      const double value = columns[c][i];
      text_ += std::isfinite(value) ? FormatDouble(value) : std::string("NaN");
    }
    text_ += '\n';
  }
  text_ += "EOD\n";
}

void GnuplotScript::AddLine(std::string_view line) {
  text_ += line;
  text_ += '\n';
}

void RenderFigure(const GnuplotScript& script, const fs::path& out, FigureSize size) {
  const ImageFormat format = ImageFormatOf(out);
  CheckOutputWritable(out);  // fail before running gnuplot when the destination is hopeless
  const auto cannot_render = [&](const std::string& reason) {
    return Error("cannot render " + out.string() + ": " + reason);
  };

  const ScratchDirectory scratch;
  const fs::path image = scratch.path() / (format == ImageFormat::kPng ? "figure.png" : "figure.svg");
  const std::string dimensions = std::to_string(size.width) + "," + std::to_string(size.height);
  std::string full = format == ImageFormat::kPng
                         ? "set terminal pngcairo enhanced font 'sans,11' size " + dimensions + "\n"
                         : "set terminal svg enhanced font 'sans,11' size " + dimensions +
                               " background rgb 'white'\n";
  full += "set encoding utf8\n";
  full += "set output " + GnuplotQuote(image.string()) + "\n";
  full += script.text();
  full += "unset output\n";
  const fs::path script_file = scratch.path() / "figure.gp";
  WriteFileAtomically(script_file, full);

  const char* configured = std::getenv("CONVEXSCORE_GNUPLOT");
  const std::string program = configured != nullptr && *configured != '\0' ? configured : "gnuplot";
  const fs::path stderr_file = scratch.path() / "stderr.txt";
  const int status = RunProgram(program, script_file, stderr_file);
  std::string complaint;
  std::error_code error;
  if (fs::exists(stderr_file, error)) complaint = ReadFileBytes(stderr_file);
  if (status == kCannotExecute && complaint.empty()) {
    throw cannot_render("cannot run '" + program +
                        "' (install the Debian package gnuplot-nox: bash scripts/setup.sh)");
  }
  if (status != 0) throw cannot_render("gnuplot failed: " + FirstErrorLine(complaint));
  if (!fs::exists(image, error) || fs::file_size(image, error) == 0) {
    throw cannot_render("gnuplot wrote no image");
  }
  WriteFileAtomically(out, ReadFileBytes(image));
}

}  // namespace convexscore
