// Vocabulary shared by every part of convexscore: activations, solve status, errors.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace convexscore {

// Thrown for any input the library cannot work with (bad data, impossible parameters, bad
// files). The message is one line and names the problem; the CLI prints it and exits non-zero.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Activation { kRelu, kAbs };

// "relu" / "abs"; throws Error for anything else.
Activation ParseActivation(std::string_view name);
std::string_view ActivationName(Activation activation);

enum class SolveStatus {
  kOptimal,         // duality gap within tolerance
  kUnbounded,       // beta < beta_min: the objective has no lower bound
  kIterationLimit,  // stopped before the tolerance was met; the certificate says how far
};
std::string_view StatusName(SolveStatus status);

// What every solve reports (Ceres style: options in, summary out).
struct SolveSummary {
  SolveStatus status = SolveStatus::kIterationLimit;
  double objective = 0.0;        // primal objective of the returned network (mean form)
  double dual_objective = 0.0;   // dual objective of the returned dual-feasible point
  double duality_gap = 0.0;      // objective - dual_objective (>= 0 up to rounding)
  double relative_gap = 0.0;     // duality_gap / max(1, |objective|)
  double kkt_residual = 0.0;     // worst violation of the optimality conditions
  int iterations = 0;
  double seconds = 0.0;
  bool polished = false;         // the active set was identified and solved exactly
  std::string message;           // one line; for kUnbounded it names beta_min
};

// The number of threads that `threads` asks for: itself when positive, else one per core (at
// least one).
int ResolveThreads(int threads);

// Runs body(0) .. body(count - 1), on up to `threads` threads (0: one per core), each index
// exactly once; indices are handed out in order as threads become free. The bodies must be
// independent, so the results do not depend on the number of threads. The first exception a
// body throws is rethrown here after every thread has stopped (remaining indices are skipped).
void ParallelFor(int count, int threads, const std::function<void(int)>& body);

}  // namespace convexscore
