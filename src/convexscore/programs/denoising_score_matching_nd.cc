#include "convexscore/programs/denoising_score_matching_nd.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <mutex>
#include <optional>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>

#include "convexscore/io/numbers.h"
#include "convexscore/programs/denoising_levels_1d.h"
#include "convexscore/programs/score_matching_nd.h"

namespace convexscore {
namespace {

void ValidateBeta(double beta) {
  if (!(beta > 0.0) || !std::isfinite(beta)) {
    throw Error("beta must be positive and finite (got " + FormatDouble(beta) + ")");
  }
}

void ValidateData(const DenoisingDataND& data) {
  const Eigen::Index n = data.inputs.rows(), d = data.inputs.cols();
  if (d < 1) throw Error("the noisy inputs have no columns");
  if (data.targets.rows() != n || data.targets.cols() != d) {
    throw Error("the targets are " + std::to_string(data.targets.rows()) + " x " +
                std::to_string(data.targets.cols()) + " but the noisy inputs are " +
                std::to_string(n) + " x " + std::to_string(d));
  }
  if (n < MinimumPointsND(static_cast<int>(d))) {
    throw Error("too few noisy inputs for dimension " + std::to_string(d) + ": " +
                std::to_string(n) + ", need at least " +
                std::to_string(MinimumPointsND(static_cast<int>(d))));
  }
  if (!data.inputs.allFinite() || !data.targets.allFinite()) {
    throw Error("the noisy data contain a non-finite value");
  }
}

std::string Gigabytes(std::int64_t bytes) {
  return FormatDouble(static_cast<double>(bytes) / double(1 << 30), 3) + " GiB";
}

// `sets`: how many pattern sets of this size are held at once (levels fitted side by side).
void CheckBudget(int noisy_inputs, int dimension, const DenoisingScoreMatchingNDOptions& options,
                 int sets = 1) {
  const PatternBudget budget = DenoisingPatternBudget(noisy_inputs, dimension, options);
  const std::int64_t bytes = budget.bytes * sets;
  if (bytes > options.memory_budget_bytes) {
    throw Error("pattern budget exceeded: " + std::string(budget.exact ? "up to " : "") +
                std::to_string(budget.patterns) + (budget.exact ? " exact" : " sampled") +
                " patterns of " + std::to_string(noisy_inputs) + " noisy inputs in dimension " +
                std::to_string(dimension) + (sets > 1 ? ", " + std::to_string(sets) + " levels at once," : "") +
                " would need about " + Gigabytes(bytes) +
                ", over the limit of " + Gigabytes(options.memory_budget_bytes) +
                " (use fewer points or copies, or sampled patterns)");
  }
}

// Adds one coordinate's summary into the total; the first non-optimal coordinate sets the
// status and message.
void Accumulate(SolveSummary& total, const SolveSummary& part, int coordinate) {
  if (total.status == SolveStatus::kOptimal && part.status != SolveStatus::kOptimal) {
    total.status = part.status;
    total.message = "coordinate " + std::to_string(coordinate) + " not certified: " +
                    std::string(StatusName(part.status)) + ", relative gap " +
                    FormatDouble(part.relative_gap, 3) +
                    (part.message.empty() ? "" : " (" + part.message + ")");
  }
  total.objective += part.objective;
  total.dual_objective += part.dual_objective;
  total.duality_gap += part.duality_gap;
  total.kkt_residual = std::max(total.kkt_residual, part.kkt_residual);
  total.iterations += part.iterations;
  total.polished = total.polished && part.polished;
}

}  // namespace

int MinimumPointsND(int dimension) { return dimension + 1; }

std::int64_t MemoryBudgetBytes(double gib) {
  if (!(gib > 0)) throw Error("must be positive (GiB, got " + FormatDouble(gib) + ")");
  return gib >= 1e9 ? std::int64_t{1} << 62 : static_cast<std::int64_t>(gib * double(1 << 30));
}

PatternBudget DenoisingPatternBudget(int noisy_inputs, int dimension,
                                     const DenoisingScoreMatchingNDOptions& options) {
  PatternBudget budget;
  budget.exact = !options.sample_patterns && dimension <= 3;
  budget.patterns = budget.exact
                        ? GeneralPositionPatternCount(noisy_inputs, dimension)
                        : 2 * static_cast<std::int64_t>(std::max(options.sampled_directions, 0)) + 1;
  // Per pattern: its bits, a hash-index entry (about 64 bytes), and for every coordinate the
  // solver's blocks (z_+, z_- and a few working copies: about 8 vectors of q doubles).
  const std::int64_t words = (static_cast<std::int64_t>(noisy_inputs) + 63) / 64;
  const std::int64_t q = dimension + 1;
  const std::int64_t per_pattern = 8 * words + 64 + 8 * 8 * q * dimension;
  budget.bytes = budget.patterns > (std::int64_t{1} << 62) / per_pattern
                     ? std::int64_t{1} << 62
                     : budget.patterns * per_pattern;
  return budget;
}

PatternSet DenoisingScoreMatchingNDPatterns(const Eigen::Ref<const Eigen::MatrixXd>& inputs,
                                            const DenoisingScoreMatchingNDOptions& options) {
  CheckBudget(static_cast<int>(inputs.rows()), static_cast<int>(inputs.cols()), options);
  ScoreMatchingNDOptions sm;  // the same pattern rule as score matching
  sm.sample_patterns = options.sample_patterns;
  sm.sampled_directions = options.sampled_directions;
  sm.seed = options.pattern_seed;
  return ScoreMatchingNDPatterns(inputs, sm);
}

ConeGroupLassoProblem DenoisingScoreMatchingNDProblem(const DenoisingDataND& data,
                                                      const PatternSet& patterns,
                                                      Activation activation, int coordinate,
                                                      double beta) {
  ConeGroupLassoProblem problem;
  problem.x = data.inputs;
  problem.patterns = &patterns;
  problem.gate = activation;
  problem.target = data.targets.col(coordinate);
  problem.beta = beta;
  return problem;  // g = 0: DSM has no trace term
}

namespace {

// One coordinate's exact fit: its convex program solved, and the scalar network it rebuilds.
void FitCoordinate(const DenoisingDataND& data, const PatternSet& patterns,
                   const DenoisingScoreMatchingNDOptions& options, int coordinate,
                   const ConeGroupLassoSolution* warm, ConeGroupLassoSolution& solution,
                   ScalarNetworkND& network) {
  const ConeGroupLassoProblem problem =
      DenoisingScoreMatchingNDProblem(data, patterns, options.activation, coordinate, options.beta);
  solution = SolveConeGroupLasso(problem, options.solver, warm);
  network = ReconstructCoordinate(data.inputs, patterns, options.activation, solution);
}

// The fit from its coordinates' solutions and networks: the summed summary, the assembled
// network and the second certificate (all but the seconds).
DenoisingScoreMatchingNDResult AssembleFit(const DenoisingDataND& data, const PatternSet& patterns,
                                           const DenoisingScoreMatchingNDOptions& options,
                                           std::vector<ConeGroupLassoSolution> solutions,
                                           const std::vector<ScalarNetworkND>& networks) {
  DenoisingScoreMatchingNDResult result;
  result.patterns = patterns.size();
  result.pattern_method = patterns.method;
  if (patterns.method == PatternMethod::kSampled) {
    result.pattern_seed = patterns.seed;
    result.sampled_directions = patterns.sampled_directions;
  }
  result.summary.status = SolveStatus::kOptimal;
  result.summary.polished = true;
  result.coordinates = std::move(solutions);
  for (int c = 0; c < static_cast<int>(result.coordinates.size()); ++c)
    Accumulate(result.summary, result.coordinates[c].summary, c);
  result.network = AssemblePerCoordinate(networks);
  result.active_neurons = result.network.neurons();
  result.network_objective = DenoisingScoreMatchingObjective(result.network, data.inputs,
                                                             data.targets, options.beta);
  result.summary.relative_gap =
      result.summary.duality_gap / std::max(1.0, std::abs(result.summary.objective));
  // The second certificate: the rebuilt network attains the convex value. A disagreement means
  // the convex point is not a valid network (e.g. a cone violation), so it is not called optimal.
  const double difference = std::abs(result.network_objective - result.summary.objective);
  if (result.summary.status == SolveStatus::kOptimal &&
      !(difference <= kNetworkAgreementTolerance * std::max(1.0, std::abs(result.summary.objective)))) {
    result.summary.status = SolveStatus::kIterationLimit;
    result.summary.message = "the rebuilt network's objective " +
                             FormatDouble(result.network_objective, 12) +
                             " differs from the convex value " +
                             FormatDouble(result.summary.objective, 12);
  }
  return result;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

DenoisingScoreMatchingNDResult FitDenoisingScoreMatchingND(
    const DenoisingDataND& data, const DenoisingScoreMatchingNDOptions& options,
    const PatternSet* patterns, const DenoisingScoreMatchingNDResult* warm_start) {
  ValidateData(data);
  ValidateBeta(options.beta);
  const auto start = std::chrono::steady_clock::now();
  const int d = static_cast<int>(data.inputs.cols());
  std::optional<PatternSet> own;
  if (patterns == nullptr) {
    own.emplace(DenoisingScoreMatchingNDPatterns(data.inputs, options));
    patterns = &*own;
  } else if (patterns->points() != data.inputs.rows()) {
    throw Error("the patterns are over " + std::to_string(patterns->points()) +
                " points but there are " + std::to_string(data.inputs.rows()) + " noisy inputs");
  }
  std::vector<ConeGroupLassoSolution> solutions(d);
  std::vector<ScalarNetworkND> networks(d);
  ParallelFor(d, options.threads, [&](int c) {
    const ConeGroupLassoSolution* warm =
        warm_start != nullptr && static_cast<int>(warm_start->coordinates.size()) == d
            ? &warm_start->coordinates[c]
            : nullptr;
    FitCoordinate(data, *patterns, options, c, warm, solutions[c], networks[c]);
  });
  DenoisingScoreMatchingNDResult result =
      AssembleFit(data, *patterns, options, std::move(solutions), networks);
  result.summary.seconds = SecondsSince(start);
  return result;
}

std::vector<DenoisingScoreMatchingNDResult> FitDenoisingScoreMatchingNDPath(
    const DenoisingDataND& data, std::span<const double> betas,
    const DenoisingScoreMatchingNDOptions& options) {
  ValidateData(data);
  if (betas.empty()) throw Error("no beta values");
  for (double beta : betas) ValidateBeta(beta);
  const PatternSet patterns = DenoisingScoreMatchingNDPatterns(data.inputs, options);
  std::vector<DenoisingScoreMatchingNDResult> path;
  for (double beta : betas) {
    DenoisingScoreMatchingNDOptions at = options;
    at.beta = beta;
    path.push_back(FitDenoisingScoreMatchingND(data, at, &patterns,
                                               path.empty() ? nullptr : &path.back()));
  }
  return path;
}

void CheckDenoisingLevelsND(const Eigen::Ref<const Eigen::MatrixXd>& x,
                            std::span<const double> sigmas, int copies,
                            const DenoisingScoreMatchingNDOptions& options) {
  ValidateBeta(options.beta);
  CheckNoiseLevels(sigmas);
  if (copies < 1) throw Error("copies must be at least 1 (got " + std::to_string(copies) + ")");
  const int n = static_cast<int>(x.rows()), d = static_cast<int>(x.cols());
  if (d < 1) throw Error("the data have no columns");
  if (n < MinimumPointsND(d)) {
    throw Error("too few points for dimension " + std::to_string(d) + ": " + std::to_string(n) +
                ", need at least " + std::to_string(MinimumPointsND(d)));
  }
  if (static_cast<std::int64_t>(n) * copies > std::numeric_limits<int>::max()) {
    throw Error("too many noisy inputs: " + std::to_string(n) + " points x " +
                std::to_string(copies) + " copies");
  }
  // Every level has n * copies noisy inputs: one budget check covers them all, with as many
  // pattern sets as levels can be in progress at once (one per thread; FitDenoisingLevelsND).
  CheckBudget(n * copies, d, options,
              std::min(ResolveThreads(options.threads), static_cast<int>(sigmas.size())));
}

std::vector<DenoisingLevelND> FitDenoisingLevelsND(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                                   std::span<const double> sigmas, int copies,
                                                   std::uint64_t noise_seed,
                                                   const DenoisingScoreMatchingNDOptions& options) {
  CheckDenoisingLevelsND(x, sigmas, copies, options);
  const int num_levels = static_cast<int>(sigmas.size()), d = static_cast<int>(x.cols());
  // The levels (sigma, copies, noise seed) and their noisy data, as every multi-level fit makes
  // them; the fits themselves come below.
  std::vector<DenoisingDataND> noisy;
  std::vector<DenoisingLevelND> levels = FitEachNoiseLevel<DenoisingLevelND>(
      x, sigmas, copies, noise_seed,
      [&](DenoisingLevelND&, const DenoisingDataND& data, const auto&) { noisy.push_back(data); });
  // Every (level, coordinate) program is one task, the smallest sigma's first (sigmas decrease,
  // and the smallest take longest), so that the threads stay busy to the end: run level by
  // level, the two coordinates of the 80-point spiral's sigma 0.01 left a core idle for 5 s.
  // A level's patterns are enumerated by its first task and freed after its last, so at most
  // one pattern set per thread is held at a time.
  struct LevelWork {
    std::mutex mutex;
    std::optional<PatternSet> patterns;
    double pattern_seconds = 0.0;
    int remaining = 0;
    std::vector<ConeGroupLassoSolution> solutions;
    std::vector<ScalarNetworkND> networks;
    std::vector<double> seconds;
    std::optional<DenoisingScoreMatchingNDResult> result;
  };
  std::vector<LevelWork> work(num_levels);
  for (LevelWork& w : work) {
    w.remaining = d;
    w.solutions.resize(d);
    w.networks.resize(d);
    w.seconds.assign(d, 0.0);
  }
  ParallelFor(num_levels * d, options.threads, [&](int task) {
    const int l = num_levels - 1 - task / d, c = task % d;
    LevelWork& w = work[l];
    {
      const std::lock_guard<std::mutex> lock(w.mutex);
      if (!w.patterns) {
        const auto start = std::chrono::steady_clock::now();
        w.patterns.emplace(DenoisingScoreMatchingNDPatterns(noisy[l].inputs, options));
        w.pattern_seconds = SecondsSince(start);
      }
    }
    const auto start = std::chrono::steady_clock::now();
    FitCoordinate(noisy[l], *w.patterns, options, c, nullptr, w.solutions[c], w.networks[c]);
    w.seconds[c] = SecondsSince(start);
    const std::lock_guard<std::mutex> lock(w.mutex);
    if (--w.remaining > 0) return;
    w.result = AssembleFit(noisy[l], *w.patterns, options, std::move(w.solutions), w.networks);
    w.patterns.reset();
  });
  for (int l = 0; l < num_levels; ++l) {
    DenoisingScoreMatchingNDResult& result = *work[l].result;
    // The level's own time: its enumeration and its coordinates side by side (the longest).
    result.summary.seconds =
        work[l].pattern_seconds + *std::max_element(work[l].seconds.begin(), work[l].seconds.end());
    if (!std::isfinite(result.summary.objective) || !std::isfinite(result.network_objective)) {
      throw Error("the solver failed at sigma " + FormatDouble(sigmas[l]) + " (status " +
                  std::string(StatusName(result.summary.status)) + ")");
    }
    levels[l].result = std::move(result);
  }
  return levels;
}

}  // namespace convexscore
