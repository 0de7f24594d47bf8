#include "convexscore/io/progress_display.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "convexscore/io/numbers.h"

namespace convexscore {

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

std::string FormatProgressLine(std::string_view label, std::string_view unit, std::int64_t done,
                               std::int64_t total, double seconds) {
  constexpr int kBarWidth = 24;
  const double fraction =
      total > 0 ? std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0)
                : 0.0;
  const int filled = static_cast<int>(fraction * kBarWidth);
  std::string line(label);
  const int percent = static_cast<int>(fraction * 100.0);
  line += percent < 10 ? "   " : percent < 100 ? "  " : " ";
  line.append(std::to_string(percent)).append("% [");
  line += std::string(static_cast<std::size_t>(filled), '#');
  line += std::string(static_cast<std::size_t>(kBarWidth - filled), '.');
  line += "]";
  // Appends only: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
  if (seconds > 0.0 && done > 0) {
    const double rate = static_cast<double>(done) / seconds;
    line.append(" ").append(FormatDouble(rate, 3)).append(" ").append(unit).append("/s");
    if (done < total) {
      const double left = static_cast<double>(total - done) / rate;
      line.append(", ").append(FormatDouble(std::ceil(left), 6)).append(" s left");
    }
  }
  return line;
}

ProgressDisplay::ProgressDisplay(std::string label, std::string unit, std::ostream& out,
                                 bool enabled)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      out_(out),
      enabled_(enabled),
      started_(std::chrono::steady_clock::now()) {}

ProgressDisplay::~ProgressDisplay() { Clear(); }

void ProgressDisplay::Update(std::int64_t done, std::int64_t total) {
  if (!enabled_) return;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const std::string line = FormatProgressLine(label_, unit_, done, total, seconds);
  // Pad over a longer previous line instead of relying on terminal escape codes.
  const std::size_t padding = drawn_width_ > line.size() ? drawn_width_ - line.size() : 0;
  out_ << '\r' << line << std::string(padding, ' ') << std::flush;
  drawn_width_ = std::max(drawn_width_, line.size());
}

void ProgressDisplay::Clear() {
  if (!enabled_ || drawn_width_ == 0) return;
  out_ << '\r' << std::string(drawn_width_, ' ') << '\r' << std::flush;
  drawn_width_ = 0;
}

}  // namespace convexscore
