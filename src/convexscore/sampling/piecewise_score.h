// Checks shared by the consumers of a PiecewiseLinear1D built by hand or read from elsewhere
// (ToPiecewiseLinear always produces valid ones).
#pragma once

#include "convexscore/model/network1d.h"

namespace convexscore {

// Throws Error("invalid score: ...") unless slopes and intercepts have kinks.size() + 1 finite
// entries and the kinks are finite and strictly increasing.
void ValidatePiecewiseLinear1D(const PiecewiseLinear1D& score);

}  // namespace convexscore
