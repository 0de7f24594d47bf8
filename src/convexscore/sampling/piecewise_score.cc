#include "convexscore/sampling/piecewise_score.h"

#include <cmath>
#include <string>

#include "convexscore/common.h"

namespace convexscore {

void ValidatePiecewiseLinear1D(const PiecewiseLinear1D& score) {
  const std::size_t count = score.kinks.size() + 1;
  if (score.slopes.size() != count || score.intercepts.size() != count) {
    throw Error("invalid score: " + std::to_string(score.kinks.size()) + " kinks need " +
                std::to_string(count) + " slopes and intercepts (got " +
                std::to_string(score.slopes.size()) + " and " +
                std::to_string(score.intercepts.size()) + ")");
  }
  for (std::size_t k = 0; k < score.kinks.size(); ++k) {
    if (!std::isfinite(score.kinks[k]) || (k > 0 && !(score.kinks[k - 1] < score.kinks[k]))) {
      throw Error("invalid score: the kinks are not finite and strictly increasing");
    }
  }
  for (std::size_t k = 0; k < count; ++k) {
    if (!std::isfinite(score.slopes[k]) || !std::isfinite(score.intercepts[k])) {
      throw Error("invalid score: slope or intercept " + std::to_string(k) + " is not finite");
    }
  }
}

}  // namespace convexscore
