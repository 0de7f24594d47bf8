#include "convexscore/programs/shared_hidden_layer_nd.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "convexscore/io/numbers.h"
#include "convexscore/programs/denoising_score_matching_nd.h"
#include "convexscore/programs/score_matching_nd.h"

namespace convexscore {
namespace {

void ValidateInputs(const Eigen::Ref<const Eigen::MatrixXd>& x, double beta, bool need_full_rank) {
  if (x.rows() < 2 || x.cols() < 1) throw Error("the shared-hidden-layer fit needs two points");
  if (!x.allFinite()) throw Error("the data contain a non-finite value");
  if (!(beta > 0) || !std::isfinite(beta)) throw Error("beta must be finite and positive");
  if (!need_full_rank) return;
  // Centred data of rank < d: a full-pattern unit normal to the data's span vanishes on the data
  // but adds its normal component to the trace, so the relaxation is unbounded for beta < 1.
  const Eigen::MatrixXd centred = x.rowwise() - x.colwise().mean();
  const Eigen::VectorXd sv = Eigen::JacobiSVD<Eigen::MatrixXd>(centred).singularValues();
  const int rank = static_cast<int>((sv.array() > 1e-10 * std::max(sv[0], 1e-300)).count());
  if (rank < x.cols()) {
    throw Error("rank-deficient data: the centred points span " + std::to_string(rank) + " of " +
                std::to_string(x.cols()) +
                " dimensions (the trace term is then unbounded; drop or combine columns)");
  }
}

int FullPattern(const PatternSet& patterns) {
  std::vector<std::uint64_t> full(patterns.words(), 0);
  for (int i = 0; i < patterns.points(); ++i) full[i >> 6] |= std::uint64_t{1} << (i & 63);
  return patterns.Find(full.data());
}

void RefitOutputLayer(NetworkND& network, const Eigen::MatrixXd& x, const Eigen::MatrixXd* targets,
                      double beta);

// Solve, reconstruct and evaluate: the common part of the SM and DSM fits.
SharedHiddenLayerNDResult Fit(const NuclearGroupLassoProblem& problem, const PatternSet& patterns,
                              const SharedHiddenLayerNDOptions& options, const char* kind,
                              const NuclearGroupLassoSolution* warm_start,
                              const auto& objective) {
  SharedHiddenLayerNDResult result;
  result.objective_kind = kind;
  result.patterns = patterns.size();
  result.pattern_method = patterns.method;
  result.pattern_seed = patterns.seed;
  result.sampled_directions = patterns.sampled_directions;
  result.beta_max = NuclearGroupLassoBetaMax(problem);
  result.beta_min_lower = NuclearGroupLassoBetaMinLowerBound(problem);
  const int d = static_cast<int>(problem.x.cols());
  if (options.beta < result.beta_min_lower) {
    result.summary.status = SolveStatus::kUnbounded;
    std::ostringstream msg;
    msg.precision(9);
    msg << "unbounded below: beta " << options.beta << " is below beta_min >= "
        << result.beta_min_lower
        << " (a unit that is constant on the data adds to the trace term more than it costs)";
    result.summary.message = msg.str();
    result.network = NetworkND::Zero(options.activation, d);
    return result;
  }
  result.relaxation = SolveNuclearGroupLasso(problem, options.solver, warm_start);
  result.summary = result.relaxation.summary;
  result.network = ReconstructSharedNetwork(problem, result.relaxation);
  const Eigen::MatrixXd* targets = problem.target.size() == 0 ? nullptr : &problem.target;
  RefitOutputLayer(result.network, problem.x, targets, options.beta);
  result.lower_bound = result.summary.dual_objective;
  result.upper_bound = objective(result.network);
  // The zero network with the best c0 is also a network: keep it if it is better.
  NetworkND zero = NetworkND::Zero(options.activation, d);
  if (targets) zero.output_bias = targets->colwise().mean().transpose();
  if (const double value = objective(zero); value < result.upper_bound) {
    result.network = zero;
    result.upper_bound = value;
  }
  result.gap = result.upper_bound - result.lower_bound;
  return result;
}

}  // namespace

PatternSet SharedHiddenLayerPatterns(const Eigen::Ref<const Eigen::MatrixXd>& inputs,
                                     const SharedHiddenLayerNDOptions& options) {
  ScoreMatchingNDOptions same;
  same.sample_patterns = options.sample_patterns;
  same.sampled_directions = options.sampled_directions;
  same.seed = options.seed;
  return ScoreMatchingNDPatterns(inputs, same);
}

NuclearGroupLassoProblem SharedScoreMatchingProblem(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                                    const PatternSet& patterns,
                                                    Activation activation, double beta) {
  const int n = static_cast<int>(x.rows());
  NuclearGroupLassoProblem problem;
  problem.x = x;
  problem.patterns = &patterns;
  problem.gate = activation;
  problem.beta = beta;
  // A unit u a^T with pattern k adds (1/n) sum_i S_k(i) a . w = (tr S_k / n) tr([I 0] Z_k).
  problem.trace_weight.resize(patterns.size());
  for (int k = 0; k < patterns.size(); ++k) {
    const int active = patterns.ActiveCount(k);
    problem.trace_weight[k] =
        static_cast<double>(activation == Activation::kRelu ? active : 2 * active - n) / n;
  }
  return problem;
}

NuclearGroupLassoProblem SharedDenoisingProblem(const Eigen::Ref<const Eigen::MatrixXd>& inputs,
                                                const Eigen::Ref<const Eigen::MatrixXd>& targets,
                                                const PatternSet& patterns, Activation activation,
                                                double beta) {
  NuclearGroupLassoProblem problem;
  problem.x = inputs;
  problem.patterns = &patterns;
  problem.gate = activation;
  problem.target = targets;
  problem.beta = beta;
  return problem;
}

namespace {

// A unit (w, b) = u whose gates are on for every point and whose values are the affine function
// sign * u . x~ up to a constant (absorbed by c0): u itself or -u, with the bias raised just
// enough; the smaller of the two.
void RealizeAllActive(const Eigen::MatrixXd& x, double sign, Eigen::VectorXd& u,
                      Eigen::VectorXd& a) {
  const int d = static_cast<int>(x.cols());
  Eigen::VectorXd best_u, best_a;
  for (const double flip : {1.0, -1.0}) {
    Eigen::VectorXd v = flip * sign * u;
    const Eigen::VectorXd values = x * v.head(d) + Eigen::VectorXd::Constant(x.rows(), v[d]);
    v[d] += std::max(0.0, -values.minCoeff());
    if (best_u.size() == 0 || v.norm() < best_u.norm()) {
      best_u = v;
      best_a = flip * a;
    }
  }
  u = best_u;
  a = best_a;
}

// Given the hidden units, the output weights and c0 that minimise the objective (a ridge problem:
// (Phi_c^T Phi_c / n + beta I) A = Phi_c^T Y_c / n - T, T_j = mean act'_j w_j for score matching),
// then each unit rebalanced to ||(w, b)|| = ||a|| (same function, smaller weight decay); repeated.
// Each step can only lower the objective.
void RefitOutputLayer(NetworkND& network, const Eigen::MatrixXd& x, const Eigen::MatrixXd* targets,
                      double beta) {
  const int n = static_cast<int>(x.rows()), d = static_cast<int>(x.cols());
  const Eigen::MatrixXd y = targets ? *targets : Eigen::MatrixXd::Zero(n, d);
  const Eigen::MatrixXd yc = y.rowwise() - y.colwise().mean();
  for (int round = 0; round < 8 && network.neurons() > 0; ++round) {
    const int m = network.neurons();
    Eigen::MatrixXd phi(n, m), trace = Eigen::MatrixXd::Zero(m, d);
    for (int j = 0; j < m; ++j) {
      double slope = 0.0;
      for (int i = 0; i < n; ++i) {
        const double pre = x.row(i).dot(network.w.row(j)) + network.b[j];
        if (network.activation == Activation::kRelu) {
          phi(i, j) = std::max(pre, 0.0);
          slope += pre >= 0 ? 1.0 : 0.0;
        } else {
          phi(i, j) = std::abs(pre);
          slope += pre >= 0 ? 1.0 : -1.0;
        }
      }
      if (!targets) trace.row(j) = (slope / n) * network.w.row(j);
    }
    const Eigen::MatrixXd phic = phi.rowwise() - phi.colwise().mean();
    Eigen::MatrixXd system = phic.transpose() * phic / n;
    system.diagonal().array() += beta;
    const Eigen::MatrixXd a = system.llt().solve(phic.transpose() * yc / n - trace);
    network.a = a;
    network.output_bias = (y - phi * a).colwise().mean().transpose();
    for (int j = 0; j < m; ++j) {
      const double unit = std::sqrt(network.w.row(j).squaredNorm() + network.b[j] * network.b[j]);
      const double out = network.a.row(j).norm();
      if (unit == 0.0 || out == 0.0) continue;
      const double scale = std::sqrt(out / unit);
      network.w.row(j) *= scale;
      network.b[j] *= scale;
      network.a.row(j) /= scale;
    }
  }
}

}  // namespace

NetworkND ReconstructSharedNetwork(const NuclearGroupLassoProblem& problem,
                                   const NuclearGroupLassoSolution& solution) {
  const int n = static_cast<int>(problem.x.rows()), d = static_cast<int>(problem.x.cols());
  std::vector<Eigen::VectorXd> us, as;
  for (std::size_t j = 0; j < solution.blocks.size(); ++j) {
    const Eigen::MatrixXd& z = solution.z[j];
    if (z.isZero(0.0)) continue;
    const int k = solution.blocks[j];
    const int active = problem.patterns->ActiveCount(k);
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(z, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Eigen::VectorXd s = svd.singularValues();
    for (int r = 0; r < s.size(); ++r) {
      if (!(s[r] > 1e-14 * s[0])) continue;
      Eigen::VectorXd u = std::sqrt(s[r]) * svd.matrixU().col(r);
      Eigen::VectorXd a = std::sqrt(s[r]) * svd.matrixV().col(r);
      if (active == n || (active == 0 && problem.gate == Activation::kAbs)) {
        // S_k = +-I: the unit must be on everywhere; a bias shift does it and only moves c0.
        RealizeAllActive(problem.x, active == n ? 1.0 : -1.0, u, a);
      } else {
        // The sign of u that makes the unit's gates 1[u . x~ >= 0] agree with the pattern most.
        int agree = 0;
        for (int i = 0; i < n; ++i) {
          const bool gate = problem.x.row(i).dot(u.head(d)) + u[d] >= 0;
          agree += gate == problem.patterns->Active(k, i) ? 1 : 0;
        }
        if (2 * agree < n) {
          u = -u;
          a = -a;
        }
      }
      us.push_back(u);
      as.push_back(a);
    }
  }
  NetworkND network = NetworkND::Zero(problem.gate, d);
  const int m = static_cast<int>(us.size());
  network.w.resize(m, d);
  network.b.resize(m);
  network.a.resize(m, d);
  for (int j = 0; j < m; ++j) {
    network.w.row(j) = us[j].head(d).transpose();
    network.b[j] = us[j][d];
    network.a.row(j) = as[j].transpose();
  }
  network.output_bias = solution.output_bias;
  return network;
}

SharedHiddenLayerNDResult FitSharedHiddenLayerND(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                                 const SharedHiddenLayerNDOptions& options) {
  ValidateInputs(x, options.beta, /*need_full_rank=*/true);
  const PatternSet patterns = SharedHiddenLayerPatterns(x, options);
  const NuclearGroupLassoProblem problem =
      SharedScoreMatchingProblem(x, patterns, options.activation, options.beta);
  return Fit(problem, patterns, options, "sm", nullptr, [&](const NetworkND& network) {
    return ScoreMatchingObjective(network, x, options.beta, BiasDecay::kPenalized);
  });
}

namespace {

// The DSM fit; `warm_start(patterns)` gives the optional starting point once the patterns of the
// inputs are known.
template <typename WarmStart>
SharedHiddenLayerNDResult FitDenoising(const DenoisingDataND& data,
                                       const SharedHiddenLayerNDOptions& options,
                                       const WarmStart& warm_start) {
  ValidateInputs(data.inputs, options.beta, /*need_full_rank=*/false);
  if (data.targets.rows() != data.inputs.rows() || data.targets.cols() != data.inputs.cols()) {
    throw Error("DSM: inputs and targets must have the same shape");
  }
  if (!data.targets.allFinite()) throw Error("DSM: the targets contain a non-finite value");
  const PatternSet patterns = SharedHiddenLayerPatterns(data.inputs, options);
  const NuclearGroupLassoProblem problem =
      SharedDenoisingProblem(data.inputs, data.targets, patterns, options.activation, options.beta);
  const std::optional<NuclearGroupLassoSolution> start = warm_start(patterns);
  return Fit(problem, patterns, options, "dsm", start ? &*start : nullptr,
             [&](const NetworkND& network) {
               return DenoisingScoreMatchingObjective(network, data.inputs, data.targets,
                                                      options.beta, BiasDecay::kPenalized);
             });
}

}  // namespace

SharedHiddenLayerNDResult FitSharedHiddenLayerDenoisingND(
    const DenoisingDataND& data, const SharedHiddenLayerNDOptions& options,
    const SharedHiddenLayerNDResult* warm_start) {
  return FitDenoising(data, options, [&](const PatternSet& patterns) {
    const bool usable = warm_start != nullptr && warm_start->patterns == patterns.size() &&
                        warm_start->relaxation.output_bias.size() == data.inputs.cols();
    return usable ? std::optional(warm_start->relaxation) : std::nullopt;
  });
}

NuclearGroupLassoSolution SharedWarmStartFromNetwork(const NetworkND& network,
                                                     const Eigen::Ref<const Eigen::MatrixXd>& inputs,
                                                     const PatternSet& patterns) {
  const int n = static_cast<int>(inputs.rows()), d = static_cast<int>(inputs.cols());
  if (network.dimension() != d || patterns.points() != n) {
    throw Error("warm start: the network, the inputs and the patterns do not match");
  }
  NuclearGroupLassoSolution start;
  start.output_bias = network.output_bias;
  std::vector<int> block_of(patterns.size(), -1);
  std::vector<std::uint64_t> gates(patterns.words()), complement(patterns.words());
  for (int j = 0; j < network.neurons(); ++j) {
    std::fill(gates.begin(), gates.end(), 0);
    for (int i = 0; i < n; ++i) {
      if (inputs.row(i).dot(network.w.row(j)) + network.b[j] > 0) {
        gates[i >> 6] |= std::uint64_t{1} << (i & 63);
      }
    }
    int k = patterns.Find(gates.data());
    double sign = 1.0;
    if (network.activation == Activation::kAbs) {
      // S_k' = -S_k: the unit is also -(w, b) a^T on the complement; the solver uses the first.
      for (int w = 0; w < patterns.words(); ++w) {
        const int left = n - 64 * w;
        complement[w] =
            ~gates[w] & (left >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << left) - 1);
      }
      const int other = patterns.Find(complement.data());
      if (other >= 0 && (k < 0 || other < k)) {
        k = other;
        sign = -1.0;
      }
    }
    if (k < 0) continue;
    if (block_of[k] < 0) {
      block_of[k] = static_cast<int>(start.blocks.size());
      start.blocks.push_back(k);
      start.z.push_back(Eigen::MatrixXd::Zero(d + 1, d));
    }
    Eigen::VectorXd u(d + 1);
    u << network.w.row(j).transpose(), network.b[j];
    start.z[block_of[k]] += sign * u * network.a.row(j);
  }
  return start;
}

std::vector<SharedDenoisingLevelND> FitSharedHiddenLayerDenoisingLevelsND(
    const Eigen::Ref<const Eigen::MatrixXd>& x, std::span<const double> sigmas, int copies,
    std::uint64_t noise_seed, const SharedHiddenLayerNDOptions& options,
    std::int64_t memory_budget_bytes) {
  DenoisingScoreMatchingNDOptions checked;  // the per-coordinate checks, same pattern choice
  checked.beta = options.beta;
  checked.sample_patterns = options.sample_patterns;
  checked.sampled_directions = options.sampled_directions;
  checked.pattern_seed = options.seed;
  checked.memory_budget_bytes = memory_budget_bytes;
  CheckDenoisingLevelsND(x, sigmas, copies, checked);
  return FitEachNoiseLevel<SharedDenoisingLevelND>(
      x, sigmas, copies, noise_seed,
      [&](SharedDenoisingLevelND& level, const DenoisingDataND& noisy,
          const std::vector<SharedDenoisingLevelND>& previous) {
        level.noisy_inputs = static_cast<int>(noisy.inputs.rows());
        level.result = FitDenoising(noisy, options, [&](const PatternSet& patterns) {
          return previous.empty() ? std::nullopt
                                  : std::optional(SharedWarmStartFromNetwork(
                                        previous.back().result.network, noisy.inputs, patterns));
        });
        // DSM has no trace term: beta_min_lower = 0 and every beta > 0 is bounded (the
        // objective is >= 0), so kUnbounded would be a fault too.
        const SharedHiddenLayerNDResult& r = level.result;
        if (r.summary.status == SolveStatus::kUnbounded || !std::isfinite(r.lower_bound) ||
            !std::isfinite(r.upper_bound)) {
          throw Error("the solver failed at sigma " + FormatDouble(level.sigma) + " (status " +
                      std::string(StatusName(r.summary.status)) + ")");
        }
      });
}

SharedClosedForm SharedScoreMatchingClosedForm(const NuclearGroupLassoProblem& problem) {
  if (!(problem.beta > 0 && problem.beta < 1)) throw Error("the closed form needs 0 < beta < 1");
  const int n = static_cast<int>(problem.x.rows()), d = static_cast<int>(problem.x.cols());
  SharedClosedForm form;
  form.mean = problem.x.colwise().mean().transpose();
  const Eigen::MatrixXd centred = problem.x.rowwise() - form.mean.transpose();
  const Eigen::MatrixXd sigma = centred.transpose() * centred / n;
  form.slope = -(1.0 - problem.beta) * sigma.inverse();
  form.slope = 0.5 * (form.slope + form.slope.transpose()).eval();
  form.full_pattern = FullPattern(*problem.patterns);
  if (form.full_pattern < 0) throw Error("the closed form needs the full pattern");
  // f(x) = W^T x~ with W = slope^T = slope (symmetric); the bias row is zero, c0 carries the mean.
  form.block = Eigen::MatrixXd::Zero(d + 1, d);
  form.block.topRows(d) = form.slope.transpose();
  form.certificate = EvaluateNuclearGroupLasso(problem, {form.full_pattern}, {form.block});
  return form;
}

double SharedClosedFormThreshold(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                 const PatternSet& patterns, Activation activation,
                                 double tolerance) {
  const auto optimal = [&](double beta) {
    const NuclearGroupLassoProblem problem =
        SharedScoreMatchingProblem(x, patterns, activation, beta);
    return SharedScoreMatchingClosedForm(problem).certificate.worst_norm <= beta * (1 + 1e-12);
  };
  double lo = 0.0, hi = 1.0 - 1e-12;
  if (!optimal(hi)) return 1.0;
  while (hi - lo > tolerance) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= 0) break;
    (optimal(mid) ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace convexscore
