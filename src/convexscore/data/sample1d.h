// A univariate data set as the convex programs see it: sorted distinct values with counts.
#pragma once

#include <span>
#include <vector>

namespace convexscore {

struct Sample1D {
  std::vector<double> values;  // distinct data values, increasing
  std::vector<int> counts;     // how often each value occurs (ties are exact duplicates)
  int n = 0;                   // total number of points
  double mean = 0.0;
  double variance = 0.0;       // empirical variance, mean form (divides by n)
  int distinct() const { return static_cast<int>(values.size()); }
};

// Validates and summarises raw data. Throws Error when a value is NaN or infinite, when there
// are fewer than two points, or when all points are equal (no score can be fitted).
Sample1D MakeSample1D(std::span<const double> x);

}  // namespace convexscore
