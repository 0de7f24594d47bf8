// Multivariate denoising score matching, architecture (a) of theory.md sections 3 and 4: one
// scalar-output two-layer network per score coordinate, first-layer biases unpenalized, mean
// form. DSM is least-squares regression of the targets -z / sigma on the noisy inputs x~, so
// for coordinate c the convex program is the cone-constrained group lasso of
// solvers/cone_group_lasso.h over the activation patterns of the noisy inputs, with y = column c
// of the targets and g = 0. The coordinates decouple; the objective is the sum over them.
// Derivation: docs/theory.md, "Multivariate denoising score matching".
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "convexscore/arrangements/patterns.h"
#include "convexscore/common.h"
#include "convexscore/data/denoising_data.h"
#include "convexscore/model/network_nd.h"
#include "convexscore/solvers/cone_group_lasso.h"

namespace convexscore {

struct DenoisingScoreMatchingNDOptions {
  Activation activation = Activation::kRelu;
  double beta = 0.1;
  // Exact patterns for d <= 3 unless sampling is asked for; sampled for d > 3.
  bool sample_patterns = false;
  int sampled_directions = 1000;
  std::uint64_t pattern_seed = 1;
  // Patterns and solver state above this estimate are refused before anything is allocated
  // (DenoisingPatternBudget).
  std::int64_t memory_budget_bytes = std::int64_t{2} << 30;
  // Output coordinates solved at once (0: one thread per core). Each coordinate's program is
  // independent and solved the same way on any thread, so the result does not depend on it.
  int threads = 0;
  ConeGroupLassoOptions solver;
};

// What the patterns of a fit would cost, known before enumerating them: `patterns` is an upper
// bound on their count (the general-position count for exact enumeration, 2 * directions + 1
// when sampling), `bytes` an estimate of the memory of the pattern bits, their hash index and
// the solver's per-block state for every coordinate.
struct PatternBudget {
  bool exact = true;
  std::int64_t patterns = 0;
  std::int64_t bytes = 0;
};
// memory_budget_bytes for a limit of `gib` GiB (1e9 GiB and above: no limit). Throws
// Error("must be positive (GiB, got X)") unless gib > 0; the caller names its option.
std::int64_t MemoryBudgetBytes(double gib);

PatternBudget DenoisingPatternBudget(int noisy_inputs, int dimension,
                                     const DenoisingScoreMatchingNDOptions& options);

// The relative tolerance within which the rebuilt network's DSM objective must equal the convex
// value, on top of the solver's own certificate, for a fit to be reported optimal.
inline constexpr double kNetworkAgreementTolerance = 1e-7;

struct DenoisingScoreMatchingNDResult {
  // Objective, dual objective and gap summed over the coordinates; the status is optimal only
  // when every coordinate's solve is certified (relative gap and feasibility within the
  // solver's tolerances) and the rebuilt network attains the convex value; otherwise the first
  // failing coordinate's status (kIterationLimit) with a message saying why.
  SolveSummary summary;
  std::vector<ConeGroupLassoSolution> coordinates;  // the convex solutions, per coordinate
  NetworkND network;               // the rebuilt per-coordinate network (AssemblePerCoordinate)
  double network_objective = 0.0;  // DenoisingScoreMatchingObjective of `network` on the data
  int patterns = 0;
  PatternMethod pattern_method = PatternMethod::kExact;
  std::uint64_t pattern_seed = 0;   // kSampled only
  int sampled_directions = 0;       // kSampled only
  int active_neurons = 0;           // neurons of `network`
};

// The patterns a fit uses (exact for d <= 3 unless sampling is asked for, else sampled; the full
// pattern always included), after checking the budget. Throws Error (before allocating) when
// DenoisingPatternBudget exceeds options.memory_budget_bytes, saying how much would be needed.
PatternSet DenoisingScoreMatchingNDPatterns(const Eigen::Ref<const Eigen::MatrixXd>& inputs,
                                            const DenoisingScoreMatchingNDOptions& options);

// The problem of one coordinate (shared by the fit and the tests).
ConeGroupLassoProblem DenoisingScoreMatchingNDProblem(const DenoisingDataND& data,
                                                      const PatternSet& patterns,
                                                      Activation activation, int coordinate,
                                                      double beta);

// Fits every coordinate on the noisy data. Throws Error for bad input: inconsistent shapes,
// non-finite numbers, beta not positive and finite, fewer than d + 1 noisy inputs, or a pattern
// budget over the limit. `patterns` (optional) must be the patterns of data.inputs; `warm_start`
// (optional) a previous result on the same data and patterns (a beta path).
DenoisingScoreMatchingNDResult FitDenoisingScoreMatchingND(
    const DenoisingDataND& data, const DenoisingScoreMatchingNDOptions& options,
    const PatternSet* patterns = nullptr,
    const DenoisingScoreMatchingNDResult* warm_start = nullptr);

// One fit per beta on the same data, patterns enumerated once, each solve warm-started from the
// previous beta's solution (valid: same data, same patterns, only beta changes).
std::vector<DenoisingScoreMatchingNDResult> FitDenoisingScoreMatchingNDPath(
    const DenoisingDataND& data, std::span<const double> betas,
    const DenoisingScoreMatchingNDOptions& options);

// The noise of one level and its fit.
struct DenoisingLevelND {
  double sigma = 0.0;
  int copies = 0;
  std::uint64_t noise_seed = 0;
  DenoisingScoreMatchingNDResult result;
};

// The smallest number of clean points a d-dimensional fit accepts: d + 1 (fewer lie in an
// affine subspace of lower dimension and have no density in R^d).
int MinimumPointsND(int dimension);

// The checks of a multi-level fit, run before any level is drawn or solved (the shared-layer
// levels of programs/shared_hidden_layer_nd.h run them too): beta positive and finite, sigmas
// positive and strictly decreasing, copies >= 1, n >= MinimumPointsND(d), n * copies within int,
// and the pattern budget of n * copies noisy inputs (options' pattern choice and memory budget).
// Throws Error naming the problem.
void CheckDenoisingLevelsND(const Eigen::Ref<const Eigen::MatrixXd>& x,
                            std::span<const double> sigmas, int copies,
                            const DenoisingScoreMatchingNDOptions& options);

// The loop of the multi-level fits (both architectures): level l gets sigmas[l], `copies`, the
// noise seed noise_seed + l and its noisy data (MakeDenoisingDataND), and
// fit(level, noisy, levels_so_far) is called on them in order (the shared architecture fits
// level.result there; FitDenoisingLevelsND keeps the data and fits the levels side by side).
// Level has the fields sigma, copies, noise_seed and result.
template <typename Level, typename Fit>
std::vector<Level> FitEachNoiseLevel(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                     std::span<const double> sigmas, int copies,
                                     std::uint64_t noise_seed, const Fit& fit) {
  const Eigen::MatrixXd points = x;
  std::vector<Level> levels;
  for (std::size_t l = 0; l < sigmas.size(); ++l) {
    Level level;
    level.sigma = sigmas[l];
    level.copies = copies;
    level.noise_seed = noise_seed + l;
    fit(level, MakeDenoisingDataND(points, level.sigma, copies, level.noise_seed),
        std::as_const(levels));
    levels.push_back(std::move(level));
  }
  return levels;
}

// One fit per sigma (positive, strictly decreasing: CheckNoiseLevels), the noise of level l
// drawn with seed noise_seed + l (MakeDenoisingDataND). No warm start across levels: each has
// its own noisy inputs, hence its own patterns, so a previous solution is not a point of the
// next problem. Every check (CheckDenoisingLevelsND) runs before the first solve. The
// (level, coordinate) programs share one pool of options.threads threads, the smallest sigma's
// first; the models do not depend on the number of threads. A level that is not certified is
// returned as it is (the caller reports it); one whose objective is not finite throws Error.
std::vector<DenoisingLevelND> FitDenoisingLevelsND(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                                   std::span<const double> sigmas, int copies,
                                                   std::uint64_t noise_seed,
                                                   const DenoisingScoreMatchingNDOptions& options);

}  // namespace convexscore
