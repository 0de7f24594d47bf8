#include "cli/report.h"

#include "convexscore/io/numbers.h"

namespace convexscore::cli {

void ReportLine(std::ostream& out, std::string_view label, const std::string& value) {
  constexpr std::size_t kLabelWidth = 20;
  out << "  " << label;
  for (std::size_t i = label.size(); i < kLabelWidth; ++i) out << ' ';
  out << value << '\n';
}

void ReportCertificate(std::ostream& out, const SolveSummary& summary, double network_objective,
                       double gap_tolerance) {
  auto number = [](double value) { return FormatDouble(value, 12); };
  auto small = [](double value) { return FormatDouble(value, 3); };
  ReportLine(out, "status", std::string(StatusName(summary.status)) +
                                (summary.polished ? " (active set polished)" : ""));
  ReportLine(out, "objective", number(summary.objective) + "  (convex program)");
  ReportLine(out, "network objective",
             number(network_objective) + "  (non-convex SM objective of the network)");
  ReportLine(out, "difference",
             small(network_objective - summary.objective) + "  (certificate: should be ~0)");
  ReportLine(out, "duality gap", small(summary.duality_gap) + "  (relative " +
                                     small(summary.relative_gap) + ", tolerance " +
                                     small(gap_tolerance) + ")");
  ReportLine(out, "KKT residual", small(summary.kkt_residual));
}

}  // namespace convexscore::cli
