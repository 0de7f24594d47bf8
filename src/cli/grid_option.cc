#include "cli/grid_option.h"

#include <cstdint>

#include "cli/data_args.h"
#include "convexscore/common.h"

namespace convexscore::cli {
namespace {

// Upper bound on grid sizes: keeps a typo from asking for terabytes.
constexpr std::int64_t kMaxGridPoints = 100'000'000;

}  // namespace

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t stop = text.find(separator, start);
    parts.push_back(text.substr(start, stop == std::string_view::npos ? stop : stop - start));
    if (stop == std::string_view::npos) return parts;
    start = stop + 1;
  }
}

std::vector<double> ParseGrid(const std::string& text) {
  const std::vector<std::string_view> parts = Split(text, ':');
  if (parts.size() != 3) throw Error("--grid: expected LO:HI:COUNT, got '" + text + "'");
  const double lo = ParseFiniteOption("--grid LO", parts[0]);
  const double hi = ParseFiniteOption("--grid HI", parts[1]);
  const std::int64_t count = ParseIntegerOption("--grid COUNT", parts[2]);
  if (!(lo < hi)) throw Error("--grid: need LO < HI, got '" + text + "'");
  if (count < 2 || count > kMaxGridPoints) {
    throw Error("--grid: need 2 <= COUNT <= " + std::to_string(kMaxGridPoints) + ", got '" + text +
                "'");
  }
  std::vector<double> points(static_cast<std::size_t>(count));
  const double step = (hi - lo) / static_cast<double>(count - 1);
  for (std::int64_t i = 0; i < count; ++i) points[i] = lo + step * static_cast<double>(i);
  points.back() = hi;  // exact end point despite rounding
  return points;
}

}  // namespace convexscore::cli
