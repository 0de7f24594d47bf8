// The activations of the networks and their derivatives, with the kink conventions of
// docs/theory.md: relu'(0) = 1 and abs'(0) = sign(0) = +1.
#pragma once

#include <algorithm>
#include <cmath>

#include "convexscore/common.h"

namespace convexscore {

inline double ActivationValue(Activation act, double z) {
  return act == Activation::kRelu ? std::max(z, 0.0) : std::abs(z);
}

inline double ActivationDerivative(Activation act, double z) {
  if (act == Activation::kRelu) return z >= 0.0 ? 1.0 : 0.0;
  return z >= 0.0 ? 1.0 : -1.0;
}

}  // namespace convexscore
