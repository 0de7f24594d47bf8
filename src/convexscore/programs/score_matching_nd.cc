#include "convexscore/programs/score_matching_nd.h"

#include "convexscore/solvers/recession_min_max.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <sstream>
#include <string>

namespace convexscore {

void CheckScoreMatchingNDData(const Eigen::Ref<const Eigen::MatrixXd>& x) {
  if (x.rows() < 2 || x.cols() < 1) throw Error("score matching needs at least two points");
  if (x.rows() <= x.cols()) {
    throw Error("score matching in " + std::to_string(x.cols()) + " dimensions needs at least " +
                std::to_string(x.cols() + 1) + " points (got " + std::to_string(x.rows()) + ")");
  }
  if (!x.allFinite()) throw Error("the data contain a non-finite value");
  const Eigen::MatrixXd centred = x.rowwise() - x.colwise().mean();
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(centred);
  const Eigen::VectorXd sv = svd.singularValues();
  const int rank = static_cast<int>((sv.array() > 1e-10 * std::max(sv[0], 1e-300)).count());
  if (rank < x.cols()) {
    throw Error("rank-deficient data: the centred points span " + std::to_string(rank) +
                " of " + std::to_string(x.cols()) +
                " dimensions (the trace term is then unbounded; drop or combine columns)");
  }
}

namespace {

void ValidateBeta(double beta) {
  if (!(beta > 0) || !std::isfinite(beta)) throw Error("beta must be finite and positive");
}

}  // namespace

PatternSet ScoreMatchingNDPatterns(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                   const ScoreMatchingNDOptions& options) {
  const bool sampled = options.sample_patterns || x.cols() > 3;
  if (!sampled) {
    // 2 sum_{i <= d} C(n - 1, i): the count for points in general position.
    double count = 0.0, binomial = 1.0;
    for (Eigen::Index i = 0; i <= x.cols(); ++i) {
      count += 2.0 * binomial;
      binomial *= static_cast<double>(x.rows() - 1 - i) / static_cast<double>(i + 1);
    }
    if (count > options.max_exact_patterns) {
      std::ostringstream msg;
      msg << "exact patterns: " << x.rows() << " points in " << x.cols()
          << " dimensions have up to " << count << " activation patterns, more than the limit "
          << options.max_exact_patterns << "; use sampled patterns (or fewer points)";
      throw Error(msg.str());
    }
  }
  PatternSet patterns = sampled
                            ? SamplePatterns(x, options.sampled_directions, options.seed)
                            : EnumeratePatterns(x);
  std::vector<std::uint64_t> full(patterns.words(), 0);
  for (int i = 0; i < patterns.points(); ++i) full[i >> 6] |= std::uint64_t{1} << (i & 63);
  patterns.Insert(full.data());
  return patterns;
}

ConeGroupLassoProblem ScoreMatchingNDProblem(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                             const PatternSet& patterns, Activation activation,
                                             int coordinate, double beta) {
  const int n = static_cast<int>(x.rows()), d = static_cast<int>(x.cols());
  ConeGroupLassoProblem problem;
  problem.x = x;
  problem.patterns = &patterns;
  problem.gate = activation;
  problem.target = Eigen::VectorXd::Zero(n);
  problem.beta = beta;
  // The trace term: a unit with pattern k contributes (1/n) sum_i S_k(i) w_c = (tr S_k / n) z[c].
  problem.linear = Eigen::MatrixXd::Zero(d + 1, patterns.size());
  for (int k = 0; k < patterns.size(); ++k) {
    const int active = patterns.ActiveCount(k);
    const int trace = activation == Activation::kRelu ? active : 2 * active - n;
    problem.linear(coordinate, k) = static_cast<double>(trace) / n;
  }
  return problem;
}

ScalarNetworkND ReconstructCoordinate(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                           const PatternSet& patterns, Activation activation,
                                           const ConeGroupLassoSolution& solution) {
  const int n = static_cast<int>(x.rows()), d = static_cast<int>(x.cols());
  Eigen::MatrixXd xt(n, d + 1);
  xt << x, Eigen::VectorXd::Ones(n);
  std::vector<Eigen::VectorXd> units;
  std::vector<double> weights;
  ScalarNetworkND net;
  net.activation = activation;
  for (int k = 0; k < patterns.size(); ++k) {
    const Eigen::VectorXd mask = patterns.Mask(k);
    for (int s = 0; s < 2; ++s) {
      const Eigen::VectorXd z = (s == 0 ? solution.positive : solution.negative).col(k);
      const double sign = s == 0 ? 1.0 : -1.0;
      if (z.isZero(0.0)) continue;
      const double nw = z.head(d).norm();
      if (nw <= 1e-14 * z.norm()) {
        // A pure bias: constant on the data, and only the full (abs: or empty) pattern allows it.
        const int active = patterns.ActiveCount(k);
        if (active == n || (active == 0 && activation == Activation::kAbs)) {
          net.output_bias += sign * (active == n ? 1.0 : -1.0) * z[d];
        }
        continue;
      }
      Eigen::VectorXd u = z / std::sqrt(nw);
      // Points on the unit's hyperplane take the pattern's side through a tiny tilt: solve
      // x~_i . delta = +1 (pattern active) or -1 (inactive) on those points. Always, even when
      // the rounded pre-activations already fall on the pattern's side: the network's own
      // evaluation sums in another order (or with other vector instructions) and can round a
      // boundary point to the other side, which flips its derivative (seen with AVX2 on the
      // 9-point 2-D reference case, objective -0.47 instead of -0.72).
      const Eigen::VectorXd pre = xt * u;
      std::vector<int> boundary;
      for (int i = 0; i < n; ++i)
        if (std::abs(pre[i]) <= 1e-9 * xt.row(i).norm() * u.norm()) boundary.push_back(i);
      auto gates_match = [&](const Eigen::VectorXd& v) {
        const Eigen::VectorXd p = xt * v;
        for (int i = 0; i < n; ++i)
          if ((mask[i] > 0) != (p[i] >= 0)) return false;
        return true;
      };
      if (!boundary.empty()) {
        Eigen::MatrixXd a(boundary.size(), d + 1);
        Eigen::VectorXd side(boundary.size());
        for (std::size_t j = 0; j < boundary.size(); ++j) {
          a.row(j) = xt.row(boundary[j]);
          side[j] = mask[boundary[j]] > 0 ? 1.0 : -1.0;
        }
        const Eigen::VectorXd delta = a.completeOrthogonalDecomposition().solve(side);
        double eps = 1e-10;
        for (int attempt = 0; attempt < 30 && delta.norm() > 0; ++attempt, eps *= 0.5) {
          const Eigen::VectorXd tilted = u + eps * u.norm() / delta.norm() * delta;
          if (gates_match(tilted)) {
            u = tilted;
            break;
          }
        }
      }
      units.push_back(u);
      weights.push_back(sign * std::sqrt(nw));
    }
  }
  const int m = static_cast<int>(units.size());
  net.w.resize(m, d);
  net.b.resize(m);
  net.a.resize(m);
  for (int j = 0; j < m; ++j) {
    net.w.row(j) = units[j].head(d).transpose();
    net.b[j] = units[j][d];
    net.a[j] = weights[j];
  }
  return net;
}

ScoreMatchingNDResult FitScoreMatchingND(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                         const ScoreMatchingNDOptions& options) {
  CheckScoreMatchingNDData(x);
  ValidateBeta(options.beta);
  const auto start = std::chrono::steady_clock::now();
  const PatternSet patterns = ScoreMatchingNDPatterns(x, options);
  ScoreMatchingNDResult result;
  result.patterns = patterns.size();
  result.pattern_method = patterns.method;
  result.pattern_seed = patterns.seed;
  result.summary.status = SolveStatus::kOptimal;
  result.summary.polished = true;
  const int d = static_cast<int>(x.cols());
  // The coordinates' programs are independent: solved at once, then read in order. As when they
  // ran one after another, no coordinate after an unbounded one is started (with several threads
  // one may already be under way; it is not reported).
  struct CoordinateFit {
    ConeGroupLassoSolution solution;
    double ratio = 0.0;  // of the certified recession direction; above beta: unbounded
  };
  std::vector<CoordinateFit> fits(d);
  std::atomic<int> first_unbounded{d};
  ParallelFor(d, options.threads, [&](int c) {
    if (c > first_unbounded.load()) return;
    const ConeGroupLassoProblem problem =
        ScoreMatchingNDProblem(x, patterns, options.activation, c, options.beta);
    CoordinateFit& fit = fits[c];
    fit.solution = SolveConeGroupLasso(problem, options.solver);
    if (fit.solution.summary.status == SolveStatus::kOptimal) return;
    const RecessionDirection direction =
        RepairRecessionDirection(problem, fit.solution.positive, fit.solution.negative);
    fit.ratio = direction.valid ? direction.ratio : 0.0;
    if (fit.ratio <= options.beta) {
      // The last iterate's direction could not be made exact: certified optima above beta
      // (the thresholds' bisection) give directions whose structure is exact.
      fit.ratio = std::max(fit.ratio,
                           ScoreMatchingNDThresholds(x, patterns, options.activation, c, 1e-2)
                               .beta_min_lower);
    }
    if (fit.ratio > options.beta) {
      int known = first_unbounded.load();
      while (c < known && !first_unbounded.compare_exchange_weak(known, c)) {
      }
    }
  });
  for (int c = 0; c < d; ++c) {
    ConeGroupLassoSolution& solution = fits[c].solution;
    if (solution.summary.status != SolveStatus::kOptimal) {
      const double ratio = fits[c].ratio;
      if (ratio > options.beta) {
        result.summary.status = SolveStatus::kUnbounded;
        result.unbounded_coordinate = c;
        result.recession_slope = options.beta - ratio;
        result.beta_min_lower = ratio;
        std::ostringstream msg;
        msg.precision(10);
        msg << "beta = " << options.beta << " is below beta_min (beta_min >= " << ratio
            << "): the score-matching objective is unbounded below (coordinate " << c + 1
            << " has a certified recession direction of slope " << result.recession_slope << ")";
        result.summary.message = msg.str();
        result.coordinates.push_back(std::move(solution));
        break;
      }
      result.summary.status = solution.summary.status;
      result.summary.message = solution.summary.message;
    }
    result.summary.objective += solution.summary.objective;
    result.summary.dual_objective += solution.summary.dual_objective;
    result.summary.duality_gap += solution.summary.duality_gap;
    result.summary.kkt_residual = std::max(result.summary.kkt_residual, solution.summary.kkt_residual);
    result.summary.iterations += solution.summary.iterations;
    result.summary.polished = result.summary.polished && solution.summary.polished;
    result.networks.push_back(ReconstructCoordinate(x, patterns, options.activation, solution));
    result.coordinates.push_back(std::move(solution));
  }
  if (result.summary.status == SolveStatus::kUnbounded) {
    result.networks.clear();
    result.network = NetworkND::Zero(options.activation, d);
  } else {
    result.network = AssemblePerCoordinate(result.networks);
  }
  result.summary.relative_gap =
      result.summary.duality_gap / std::max(1.0, std::abs(result.summary.objective));
  result.summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

double ScoreMatchingNDBetaMax(const Eigen::Ref<const Eigen::MatrixXd>& x,
                              const PatternSet& patterns, Activation activation, int coordinate) {
  // The zero network's dual point is lambda = 0, so it is optimal iff every block's price
  // psi(+-g_k) is at most beta.
  const ConeGroupLassoProblem problem =
      ScoreMatchingNDProblem(x, patterns, activation, coordinate, 1.0);
  double beta_max = 0.0;
  for (int k = 0; k < patterns.size(); ++k) {
    const Eigen::VectorXd g = problem.linear.col(k);
    beta_max = std::max({beta_max, PatternDualNorm(problem.x, patterns, k, g),
                         PatternDualNorm(problem.x, patterns, k, Eigen::VectorXd(-g))});
  }
  return beta_max;
}

CoordinateThresholds ScoreMatchingNDThresholds(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                               const PatternSet& patterns, Activation activation,
                                               int coordinate, double tolerance,
                                               std::optional<double> bounded_at) {
  CheckScoreMatchingNDData(x);
  CoordinateThresholds out;
  ConeGroupLassoProblem problem = ScoreMatchingNDProblem(x, patterns, activation, coordinate, 1.0);
  out.beta_max = ScoreMatchingNDBetaMax(x, patterns, activation, coordinate);
  out.beta_min_upper = bounded_at ? std::min(out.beta_max, *bounded_at) : out.beta_max;
  out.beta_min_lower = 0.0;
  // The exact value: the min-max of the recession LP's dual (solvers/recession_min_max.h),
  // certified by a recession direction below and a priced dual point above. Its cost grows
  // fast with the number of patterns (docs/theory.md, "Exact beta_min"), so beyond
  // kExactPatternLimit patterns only the bisection runs.
  constexpr int kExactPatternLimit = 1000;
  if (patterns.size() <= kExactPatternLimit) {
    const RecessionMinMaxResult exact = SolveRecessionMinMax(problem);
    out.exact_message = exact.message;
    if (exact.direction.valid) out.beta_min_lower = std::min(exact.lower, out.beta_min_upper);
    out.beta_min_upper = std::min(out.beta_min_upper, exact.upper);
    if (exact.certified && out.beta_min_upper - out.beta_min_lower <=
                               1e-9 * std::max(out.beta_min_upper, 1e-300)) {
      out.exact = true;
      return out;
    }
  } else {
    out.exact_message = "not attempted: more than 1000 patterns; bisection only";
  }
  // Otherwise (saying so in exact_message): bisection with certificates on both sides: a certified optimum at beta gives a dual point
  // whose worst price bounds beta_min from above; the direction of a large optimum or of a
  // divergent iterate, made exact, bounds it from below.
  ConeGroupLassoOptions options;
  options.max_iterations = 60000;
  // An uncertified solve proves nothing; it only moves the probe up (it is most likely below
  // beta_min), while the reported bracket keeps only certified ends.
  double probe_low = 0.0;
  for (int round = 0; round < 80; ++round) {
    const double low = std::max(out.beta_min_lower, probe_low);
    if (out.beta_min_upper - low <= tolerance * std::max(out.beta_min_upper, 1e-12)) break;
    const double beta = low + 0.5 * (out.beta_min_upper - low);
    problem.beta = beta;
    const ConeGroupLassoSolution solution = SolveConeGroupLasso(problem, options);
    if (solution.summary.status == SolveStatus::kOptimal &&
        solution.certificate.bias_residual <= 1e-9) {
      out.beta_min_upper = std::min(out.beta_min_upper, std::max(solution.certificate.worst_psi, beta));
    } else {
      probe_low = beta;
    }
    const RecessionDirection direction =
        RepairRecessionDirection(problem, solution.positive, solution.negative);
    if (direction.valid && direction.ratio > out.beta_min_lower) {
      out.beta_min_lower = std::min(direction.ratio, out.beta_min_upper);
    }
  }
  if (out.beta_min_lower > out.beta_min_upper) out.beta_min_lower = out.beta_min_upper;
  return out;
}

ScoreMatchingNDThresholdsResult ScoreMatchingNDAllThresholds(
    const Eigen::Ref<const Eigen::MatrixXd>& x, const ScoreMatchingNDOptions& options,
    double tolerance, std::optional<double> bounded_at) {
  CheckScoreMatchingNDData(x);
  const PatternSet patterns = ScoreMatchingNDPatterns(x, options);
  ScoreMatchingNDThresholdsResult out;
  out.coordinates.resize(x.cols());
  ParallelFor(static_cast<int>(x.cols()), options.threads, [&](int c) {
    out.coordinates[c] =
        ScoreMatchingNDThresholds(x, patterns, options.activation, c, tolerance, bounded_at);
  });
  for (const CoordinateThresholds& t : out.coordinates) {
    out.beta_max = std::max(out.beta_max, t.beta_max);
    out.beta_min_lower = std::max(out.beta_min_lower, t.beta_min_lower);
    out.beta_min_upper = std::max(out.beta_min_upper, t.beta_min_upper);
  }
  return out;
}

ScoreMatchingNDModel FitScoreMatchingNDModel(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                             const ScoreMatchingNDOptions& options,
                                             double threshold_tolerance) {
  ScoreMatchingNDModel model;
  model.result = FitScoreMatchingND(x, options);
  const SolveSummary& summary = model.result.summary;
  if (summary.status == SolveStatus::kUnbounded) return model;
  model.network_objective = ScoreMatchingObjective(model.result.network, x, options.beta);
  if (!std::isfinite(summary.objective) || !std::isfinite(model.network_objective)) {
    std::ostringstream msg;
    msg << "the solver failed (status " << StatusName(summary.status) << ", objective "
        << summary.objective << ")" << (summary.message.empty() ? "" : ": " + summary.message);
    throw Error(msg.str());
  }
  const bool certified = summary.status == SolveStatus::kOptimal;
  model.thresholds = ScoreMatchingNDAllThresholds(
      x, options, threshold_tolerance,
      certified ? std::optional<double>(options.beta) : std::nullopt);
  return model;
}

}  // namespace convexscore
