// Locale-independent number parsing and formatting (std::from_chars / std::to_chars), so data
// files and command lines mean the same thing whatever the process locale is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace convexscore {

// Parses the whole of `text` (surrounding spaces/tabs allowed, an optional leading '+') as a
// decimal floating-point number in C syntax ("1.5", "-2e-3", "nan", "inf"). Returns nullopt if
// any character is left over. Values beyond the range of double become +-inf (or +-0 / a
// subnormal when too small), as with strtod. Non-finite results are returned; callers decide
// whether to accept them.
std::optional<double> ParseDouble(std::string_view text);

// Same for integers (decimal only). Nullopt on junk or overflow.
std::optional<std::int64_t> ParseInt64(std::string_view text);
std::optional<std::uint64_t> ParseUint64(std::string_view text);

// Shortest decimal text that reads back as exactly `value` ("0.1", "1e-300", "nan", "inf").
std::string FormatDouble(double value);
// `significant_digits` significant digits, general format, for human reports.
std::string FormatDouble(double value, int significant_digits);

// Removes leading and trailing spaces, tabs, CR and LF.
std::string_view TrimWhitespace(std::string_view text);

}  // namespace convexscore
