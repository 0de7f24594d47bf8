// The aligned "label  value" lines of the reports `fit` and `train` print.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace convexscore::cli {

void ReportLine(std::ostream& out, std::string_view label, const std::string& value);

}  // namespace convexscore::cli
