#include "convexscore/programs/pattern_options.h"

#include <string>

#include "convexscore/common.h"

namespace convexscore {

PatternChoice ParsePatternChoice(std::string_view name) {
  if (name == "auto") return PatternChoice::kAuto;
  if (name == "exact") return PatternChoice::kExact;
  if (name == "sampled") return PatternChoice::kSampled;
  throw Error("must be auto, exact or sampled (got '" + std::string(name) + "')");
}

void CheckPatternChoice(PatternChoice choice, int dimension) {
  if (choice == PatternChoice::kExact && dimension > 3) {
    throw Error("exact patterns are enumerated for d <= 3 only (the data have " +
                std::to_string(dimension) + " columns); use sampled patterns");
  }
}

int CheckSampledDirections(std::int64_t directions) {
  if (directions < 1 || directions > kMaxSampledDirections) {
    throw Error("must be between 1 and " + std::to_string(kMaxSampledDirections) + " (got " +
                std::to_string(directions) + ")");
  }
  return static_cast<int>(directions);
}

}  // namespace convexscore
