// Figures are gnuplot scripts: the data travels inside the script as named data blocks, and
// gnuplot (Debian package gnuplot-nox, installed by scripts/setup.sh) renders them as PNG
// (pngcairo) or SVG. The image goes to a private temporary directory first and reaches its
// destination through io/atomic_file.h, so a failed render leaves no partial file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace convexscore {

enum class ImageFormat { kPng, kSvg };

// From the extension of `out` (.png or .svg, any case). Throws Error naming the file otherwise.
ImageFormat ImageFormatOf(const std::filesystem::path& out);

// A gnuplot string literal: single quotes, with embedded single quotes doubled.
std::string GnuplotQuote(std::string_view text);

class GnuplotScript {
 public:
  // "$NAME << EOD", one row per index with the columns' values (exact, shortest form;
  // non-finite values become "NaN", which gnuplot skips), then "EOD". Columns must have equal
  // lengths (throws Error otherwise); an empty block is allowed.
  void AddDataBlock(std::string_view name, const std::vector<std::vector<double>>& columns);
  void AddLine(std::string_view line);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

struct FigureSize {
  int width = 900;   // pixels (PNG) or points (SVG)
  int height = 560;
};

// Renders `script` into `out` with the terminal its extension asks for. The program run is
// $CONVEXSCORE_GNUPLOT if set, else "gnuplot" from PATH. Throws Error("cannot render OUT: ...")
// when gnuplot is missing, fails (the message carries its first error line) or writes nothing,
// and the atomic writer's errors when `out` cannot be written.
void RenderFigure(const GnuplotScript& script, const std::filesystem::path& out,
                  FigureSize size = {});

}  // namespace convexscore
