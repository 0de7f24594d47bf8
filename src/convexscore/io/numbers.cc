#include "convexscore/io/numbers.h"

#include <charconv>
#include <system_error>

namespace convexscore {

std::string_view TrimWhitespace(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

namespace {

// from_chars rejects a leading '+', which C's strtod (and people) accept.
std::string_view StripPlus(std::string_view text) {
  if (text.size() > 1 && text.front() == '+' && text[1] != '-' && text[1] != '+') {
    return text.substr(1);
  }
  return text;
}

template <typename Number>
std::optional<Number> ParseWhole(std::string_view text) {
  text = StripPlus(TrimWhitespace(text));
  if (text.empty()) return std::nullopt;
  Number value{};
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end) return std::nullopt;
  return value;
}

}  // namespace

std::optional<double> ParseDouble(std::string_view text) {
  if (const auto value = ParseWhole<double>(text)) return value;
  // from_chars reports overflow and underflow as errors where strtod rounds to +-inf or +-0
  // (or a subnormal); the wider long double gives that rounding for all but absurd exponents.
  if (const auto wide = ParseWhole<long double>(text)) return static_cast<double>(*wide);
  return std::nullopt;
}

std::optional<std::int64_t> ParseInt64(std::string_view text) {
  return ParseWhole<std::int64_t>(text);
}

std::optional<std::uint64_t> ParseUint64(std::string_view text) {
  // from_chars for unsigned types rejects '-' already; keep it that way.
  return ParseWhole<std::uint64_t>(text);
}

std::string FormatDouble(double value) {
  char buffer[64];
  const auto [stop, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc() ? std::string(buffer, stop) : std::string("?");
}

std::string FormatDouble(double value, int significant_digits) {
  char buffer[64];
  const auto [stop, error] = std::to_chars(buffer, buffer + sizeof buffer, value,
                                           std::chars_format::general, significant_digits);
  return error == std::errc() ? std::string(buffer, stop) : std::string("?");
}

}  // namespace convexscore
