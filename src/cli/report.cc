#include "cli/report.h"

namespace convexscore::cli {

void ReportLine(std::ostream& out, std::string_view label, const std::string& value) {
  constexpr std::size_t kLabelWidth = 20;
  out << "  " << label;
  for (std::size_t i = label.size(); i < kLabelWidth; ++i) out << ' ';
  out << value << '\n';
}

}  // namespace convexscore::cli
