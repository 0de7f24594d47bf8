// A one-line progress display for long runs: "sampling  42% [########......] 1.2e+07 steps/s,
// 3 s left", redrawn in place with a carriage return. Meant for a terminal: the commands
// enable it only when stderr is one (StderrIsTerminal) and --quiet is not given, so logs and
// pipes never see it.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace convexscore {

// True when file descriptor 2 is a terminal.
bool StderrIsTerminal();

// The line drawn for `done` of `total` units after `seconds`; `unit` names them ("steps").
std::string FormatProgressLine(std::string_view label, std::string_view unit, std::int64_t done,
                               std::int64_t total, double seconds);

class ProgressDisplay {
 public:
  // Draws on `out` only when `enabled`; a disabled display does nothing at all.
  ProgressDisplay(std::string label, std::string unit, std::ostream& out, bool enabled);
  // Clears the line if it is still drawn (also when an error unwinds past the display, so the
  // error message starts on a clean line).
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  void Update(std::int64_t done, std::int64_t total);
  // Clears the line; later updates draw again.
  void Clear();
  bool enabled() const { return enabled_; }

 private:
  std::string label_;
  std::string unit_;
  std::ostream& out_;
  bool enabled_;
  std::size_t drawn_width_ = 0;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace convexscore
