// The pattern options every d-D fit takes (score matching per coordinate, DSM per coordinate,
// the shared hidden layer), checked in one place for the command line and the Python module.
// The messages do not name the option: the caller prefixes its own name for it
// ("--pattern-directions", "pattern_directions", ...).
#pragma once

#include <cstdint>
#include <string_view>

namespace convexscore {

// "auto" (exact for d <= 3, sampled above), "exact" (enumerated, d <= 3 only) or "sampled".
enum class PatternChoice { kAuto, kExact, kSampled };

// Throws Error("must be auto, exact or sampled (got 'NAME')") for anything else.
PatternChoice ParsePatternChoice(std::string_view name);

// Throws Error when exact patterns are asked for data of more than 3 columns ("exact patterns
// are enumerated for d <= 3 only (the data have D columns); use sampled patterns").
void CheckPatternChoice(PatternChoice choice, int dimension);

// The largest number of random directions a sampled-pattern fit draws.
inline constexpr std::int64_t kMaxSampledDirections = 10'000'000;

// `directions` as an int when 1 <= directions <= kMaxSampledDirections, else Error("must be
// between 1 and 10000000 (got N)").
int CheckSampledDirections(std::int64_t directions);

}  // namespace convexscore
