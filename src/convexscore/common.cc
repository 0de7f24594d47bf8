#include "convexscore/common.h"

namespace convexscore {

Activation ParseActivation(std::string_view name) {
  if (name == "relu") return Activation::kRelu;
  if (name == "abs") return Activation::kAbs;
  throw Error("unknown activation '" + std::string(name) + "' (expected relu or abs)");
}

std::string_view ActivationName(Activation activation) {
  return activation == Activation::kRelu ? "relu" : "abs";
}

std::string_view StatusName(SolveStatus status) {
  switch (status) {
    case SolveStatus::kOptimal: return "optimal";
    case SolveStatus::kUnbounded: return "unbounded";
    case SolveStatus::kIterationLimit: return "iteration_limit";
  }
  return "unknown";
}

}  // namespace convexscore
