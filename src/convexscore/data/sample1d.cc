#include "convexscore/data/sample1d.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "convexscore/common.h"

namespace convexscore {

Sample1D MakeSample1D(std::span<const double> x) {
  if (x.empty()) throw Error("no data points");
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      throw Error("data point " + std::to_string(i + 1) + " is not a finite number");
    }
  }
  if (x.size() < 2) throw Error("need at least 2 data points, got 1");
  std::vector<double> sorted(x.begin(), x.end());
  std::sort(sorted.begin(), sorted.end());
  if (sorted.front() == sorted.back()) {
    throw Error("all " + std::to_string(x.size()) +
                " data points are equal: the score-matching objective is unbounded");
  }
  Sample1D s;
  s.n = static_cast<int>(x.size());
  for (double v : sorted) {
    if (s.values.empty() || v != s.values.back()) {
      s.values.push_back(v);
      s.counts.push_back(1);
    } else {
      ++s.counts.back();
    }
  }
  // Two-pass mean and variance: the data may sit far from the origin.
  double sum = 0.0;
  for (double v : sorted) sum += v;
  s.mean = sum / s.n;
  double ss = 0.0;
  for (double v : sorted) ss += (v - s.mean) * (v - s.mean);
  s.variance = ss / s.n;
  return s;
}

}  // namespace convexscore
