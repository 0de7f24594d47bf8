// Test helper: a multivariate network with standard normal weights (every neuron, bias and,
// when asked, the skip matrix), drawn from the caller's generator.
#pragma once

#include <random>

#include "convexscore/model/network_nd.h"

namespace convexscore::testutil {

inline NetworkND RandomNetworkND(Activation activation, int d, int m, bool skip,
                                 std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  NetworkND net = NetworkND::Zero(activation, d);
  net.w = RowMatrixXd::NullaryExpr(m, d, [&] { return normal(rng); });
  net.b = Eigen::VectorXd::NullaryExpr(m, [&] { return normal(rng); });
  net.a = RowMatrixXd::NullaryExpr(m, d, [&] { return normal(rng); });
  net.output_bias = Eigen::VectorXd::NullaryExpr(d, [&] { return normal(rng); });
  if (skip) net.skip = Eigen::MatrixXd::NullaryExpr(d, d, [&] { return normal(rng); });
  return net;
}

}  // namespace convexscore::testutil
