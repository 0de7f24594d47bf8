// The aligned "label  value" lines of the reports `fit` and `train` print.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "convexscore/common.h"

namespace convexscore::cli {

void ReportLine(std::ostream& out, std::string_view label, const std::string& value);

// The certificate lines of a convex fit: status, objective, the rebuilt network's objective and
// their difference, duality gap and KKT residual.
void ReportCertificate(std::ostream& out, const SolveSummary& summary, double network_objective,
                       double gap_tolerance);

}  // namespace convexscore::cli
