// Text options shared by the subcommands that evaluate something on a grid of points.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace convexscore::cli {

// The parts of `text` between `separator`s (empty parts kept).
std::vector<std::string_view> Split(std::string_view text, char separator);

// "LO:HI:COUNT" (the --grid option): COUNT equally spaced points from LO to HI inclusive.
// Throws Error naming --grid for malformed text, LO >= HI, or COUNT outside [2, 1e8].
std::vector<double> ParseGrid(const std::string& text);

}  // namespace convexscore::cli
