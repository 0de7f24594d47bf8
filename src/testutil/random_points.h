// Test helper: n points in R^d with standard normal coordinates, reproducible from the seed.
#pragma once

#include <random>

#include <Eigen/Dense>

#include "convexscore/data/portable_random.h"

namespace convexscore::testutil {

inline Eigen::MatrixXd RandomPoints(int n, int d, unsigned seed) {
  std::mt19937_64 engine(seed);
  Eigen::MatrixXd x(n, d);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < d; ++c) x(i, c) = StandardNormal(engine);
  return x;
}

}  // namespace convexscore::testutil
