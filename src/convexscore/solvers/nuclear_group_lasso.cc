#include "convexscore/solvers/nuclear_group_lasso.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <numeric>
#include <sstream>
#include <string>

namespace convexscore {
namespace {

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

int Points(const NuclearGroupLassoProblem& p) { return static_cast<int>(p.x.rows()); }
int Dim(const NuclearGroupLassoProblem& p) { return static_cast<int>(p.x.cols()); }

void Validate(const NuclearGroupLassoProblem& p, bool check_beta = true) {
  if (p.patterns == nullptr) throw Error("nuclear group lasso: no patterns");
  const int n = Points(p), d = Dim(p);
  if (n < 1 || d < 1) throw Error("nuclear group lasso: empty data");
  if (p.patterns->points() != n) throw Error("nuclear group lasso: patterns and data disagree");
  if (p.target.size() != 0 && (p.target.rows() != n || p.target.cols() != d)) {
    throw Error("nuclear group lasso: the targets must be n x d");
  }
  if (p.trace_weight.size() != 0 && p.trace_weight.size() != p.patterns->size()) {
    throw Error("nuclear group lasso: one trace weight per pattern");
  }
  if (!p.x.allFinite() || !p.target.allFinite() || !p.trace_weight.allFinite()) {
    throw Error("nuclear group lasso: non-finite input");
  }
  if (check_beta && (!(p.beta > 0) || !std::isfinite(p.beta))) {
    throw Error("beta must be finite and positive");
  }
}

double TraceWeight(const NuclearGroupLassoProblem& p, int k) {
  return p.trace_weight.size() == 0 ? 0.0 : p.trace_weight[k];
}

Eigen::MatrixXd Targets(const NuclearGroupLassoProblem& p) {
  return p.target.size() == 0 ? Eigen::MatrixXd::Zero(Points(p), Dim(p)) : p.target;
}

Eigen::MatrixXd Centred(const Eigen::MatrixXd& m) { return m.rowwise() - m.colwise().mean(); }

// The largest singular value of a small matrix.
double SpectralNorm(const Eigen::MatrixXd& h) {
  if (h.cols() == 1) return h.norm();
  const Eigen::MatrixXd gram = h.transpose() * h;
  if (gram.rows() == 2) {
    const double a = gram(0, 0), b = gram(0, 1), c = gram(1, 1);
    const double mid = 0.5 * (a + c), rad = std::hypot(0.5 * (a - c), b);
    return std::sqrt(std::max(mid + rad, 0.0));
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram, Eigen::EigenvaluesOnly);
  return std::sqrt(std::max(eig.eigenvalues().maxCoeff(), 0.0));
}

double NuclearNorm(const Eigen::MatrixXd& z) {
  if (z.isZero(0.0)) return 0.0;
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(z);
  return svd.singularValues().sum();
}

// Singular-value soft-thresholding, the proximal map of tau ||.||_*, written in place:
// Z V diag(max(s - tau, 0) / s) V^T with Z^T Z = V diag(s^2) V^T (d x d, cheap for small d).
void ShrinkSingularValues(Eigen::Ref<Eigen::MatrixXd> z, double tau) {
  const Eigen::MatrixXd gram = z.transpose() * z;
  if (gram.rows() == 1) {
    const double s = std::sqrt(gram(0, 0));
    z *= s > tau ? (s - tau) / s : 0.0;
    return;
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram);
  const Eigen::VectorXd s = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  Eigen::VectorXd factor(s.size());
  for (Eigen::Index i = 0; i < s.size(); ++i) factor[i] = s[i] > tau ? (s[i] - tau) / s[i] : 0.0;
  if (factor.isZero(0.0)) {
    z.setZero();
    return;
  }
  const Eigen::MatrixXd& v = eig.eigenvectors();
  z = z * (v * factor.asDiagonal() * v.transpose());
}

// S_k X~ (n x q), formed only for working-set patterns.
Eigen::MatrixXd BlockMatrix(const NuclearGroupLassoProblem& p, int k) {
  const int n = Points(p), d = Dim(p);
  Eigen::MatrixXd m(n, d + 1);
  for (int i = 0; i < n; ++i) {
    const bool active = p.patterns->Active(k, i);
    const double s = active ? 1.0 : (p.gate == Activation::kAbs ? -1.0 : 0.0);
    m.block(i, 0, 1, d) = s * p.x.row(i);
    m(i, d) = s;
  }
  return m;
}

Eigen::MatrixXd TraceMatrix(int d, double weight) {
  Eigen::MatrixXd g = Eigen::MatrixXd::Zero(d + 1, d);
  g.topRows(d).diagonal().setConstant(weight);
  return g;
}

// The restricted problem on a working set: the variables stacked as Z (q m x d).
struct Restricted {
  Eigen::MatrixXd a;         // n x q m: P [S_k X~]_k (centred columns)
  Eigen::RowVectorXd means;  // q m: column means of [S_k X~]_k (for c0)
  Eigen::MatrixXd g;         // q m x d: stacked G_k
  Eigen::MatrixXd yc;        // n x d: centred targets
  Eigen::RowVectorXd ymean;  // d
  int q = 0, m = 0, n = 0;
};

Restricted MakeRestricted(const NuclearGroupLassoProblem& p, const std::vector<int>& blocks,
                          const Eigen::MatrixXd& y) {
  Restricted r;
  r.n = Points(p);
  r.q = Dim(p) + 1;
  r.m = static_cast<int>(blocks.size());
  Eigen::MatrixXd full(r.n, r.q * r.m);
  r.g.resize(r.q * r.m, Dim(p));
  for (int j = 0; j < r.m; ++j) {
    full.middleCols(j * r.q, r.q) = BlockMatrix(p, blocks[j]);
    r.g.middleRows(j * r.q, r.q) = TraceMatrix(Dim(p), TraceWeight(p, blocks[j]));
  }
  r.means = full.colwise().mean();
  r.a = full.rowwise() - r.means;
  r.ymean = y.colwise().mean();
  r.yc = y.rowwise() - r.ymean;
  return r;
}

// An upper estimate of ||A||^2 / n by power iteration (backtracking corrects it if too small).
double LipschitzEstimate(const Restricted& r) {
  Eigen::VectorXd v = Eigen::VectorXd::Ones(r.a.cols());
  double estimate = 0.0;
  for (int it = 0; it < 60; ++it) {
    const Eigen::VectorXd w = r.a.transpose() * (r.a * v);
    const double norm = w.norm();
    if (norm == 0.0) return 1e-12;
    estimate = norm / v.norm();
    v = w / norm;
  }
  return std::max(estimate / r.n, 1e-12);
}

// The dual value at s Lambda, with s the best scale in [0, limit] (the dual objective
// -(n/2) s^2 ||Lambda||^2 - s <Lambda, Y> is a concave quadratic in s).
double ScaledDual(const Eigen::MatrixXd& lambda, const Eigen::MatrixXd& y, int n, double limit) {
  const double quadratic = n * lambda.squaredNorm(), linear = (lambda.array() * y.array()).sum();
  double s = limit;
  if (quadratic > 0) s = std::clamp(-linear / quadratic, 0.0, limit);
  return -0.5 * s * s * quadratic - s * linear;
}

struct Values {
  double primal = 0.0, dual = 0.0, worst_excess = 0.0;
};

// Primal and dual values of the restricted problem at Z with A Z given.
Values RestrictedValues(const Restricted& r, const Eigen::MatrixXd& z, const Eigen::MatrixXd& az,
                        double beta, bool scale_dual) {
  const Eigen::MatrixXd res = az - r.yc;
  const Eigen::MatrixXd lambda = res / r.n;
  const Eigen::MatrixXd h = r.a.transpose() * lambda + r.g;
  Values v;
  double nuclear = 0.0, worst = 0.0;
  for (int j = 0; j < r.m; ++j) {
    nuclear += NuclearNorm(z.middleRows(j * r.q, r.q));
    worst = std::max(worst, SpectralNorm(h.middleRows(j * r.q, r.q)));
  }
  v.primal = res.squaredNorm() / (2.0 * r.n) + (r.g.array() * z.array()).sum() + beta * nuclear;
  if (scale_dual) {
    v.dual = ScaledDual(lambda, r.yc, r.n, worst > beta ? beta / worst : 1.0);
  } else {
    v.dual = -(r.n / 2.0) * lambda.squaredNorm() - (lambda.array() * r.yc.array()).sum();
  }
  v.worst_excess = scale_dual ? 0.0 : std::max(worst - beta, 0.0) / beta;
  return v;
}

struct InnerResult {
  int iterations = 0;
  bool converged = false;
  bool diverged = false;
};

// FISTA with backtracking and gradient restarts on the restricted problem, from z (updated).
InnerResult SolveRestricted(const Restricted& r, double beta, bool scale_dual,
                            const NuclearGroupLassoOptions& options, double gap_tolerance,
                            int budget,
                            Eigen::MatrixXd& z) {
  InnerResult out;
  const int d = static_cast<int>(r.yc.cols());
  double lipschitz = LipschitzEstimate(r);
  Eigen::MatrixXd zx = z, az = r.a * z;
  Eigen::MatrixXd v = zx, av = az;
  double t = 1.0;
  const auto smooth = [&](const Eigen::MatrixXd& a_times) {
    return (a_times - r.yc).squaredNorm() / (2.0 * r.n);
  };
  const double start_scale = std::max(1.0, r.yc.squaredNorm() / r.n + r.g.norm());
  for (int it = 1; it <= budget; ++it) {
    const Eigen::MatrixXd residual = av - r.yc;
    const Eigen::MatrixXd grad = r.a.transpose() * residual / r.n;
    const double fv = residual.squaredNorm() / (2.0 * r.n);
    Eigen::MatrixXd znew(z.rows(), d), aznew;
    for (int tries = 0;; ++tries) {
      znew = v - (grad + r.g) / lipschitz;
      for (int j = 0; j < r.m; ++j) {
        ShrinkSingularValues(znew.middleRows(j * r.q, r.q), beta / lipschitz);
      }
      aznew = r.a * znew;
      const Eigen::MatrixXd dz = znew - v;
      const double bound = fv + (grad.array() * dz.array()).sum() +
                           0.5 * lipschitz * dz.squaredNorm();
      if (smooth(aznew) <= bound + 1e-15 * std::max(1.0, std::abs(fv)) || tries > 40) break;
      lipschitz *= 2.0;
    }
    out.iterations = it;
    // Gradient restart (O'Donoghue and Candes): the momentum points uphill.
    const double uphill = ((v - znew).array() * (znew - zx).array()).sum();
    double tnew = 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * t * t));
    double momentum = (t - 1.0) / tnew;
    if (uphill > 0) {
      tnew = 1.0;
      momentum = 0.0;
    }
    v = znew + momentum * (znew - zx);
    av = aznew + momentum * (aznew - az);
    zx = std::move(znew);
    az = std::move(aznew);
    t = tnew;
    if (it % 200 == 0) av = r.a * v;  // limit drift of the recurrence
    if (it % 20 == 0 || it == budget) {
      const Values values = RestrictedValues(r, zx, az, beta, scale_dual);
      if (!std::isfinite(values.primal) || zx.norm() > 1e8 * start_scale) {
        out.diverged = true;
        break;
      }
      const double gap = values.primal - values.dual;
      if (gap <= gap_tolerance * std::max(1.0, std::abs(values.primal)) &&
          values.worst_excess <= options.feasibility_tolerance) {
        out.converged = true;
        break;
      }
    }
  }
  z = zx;
  return out;
}

// H_k = X~^T S_k Lambda + G_k for every pattern k, flattened row-major (q x d) and reduced by
// `visit(k, h)`.
template <typename Visit>
void ForEachBlockGradient(const NuclearGroupLassoProblem& p, const Eigen::MatrixXd& lambda,
                          Visit visit) {
  const int n = Points(p), d = Dim(p), q = d + 1;
  // Row i holds x~_i lambda_i^T flattened (q x d, row-major).
  RowMajor outer(n, q * d);
  for (int i = 0; i < n; ++i) {
    for (int a = 0; a < q; ++a) {
      const double xa = a < d ? p.x(i, a) : 1.0;
      for (int c = 0; c < d; ++c) outer(i, a * d + c) = xa * lambda(i, c);
    }
  }
  const Eigen::RowVectorXd total = outer.colwise().sum();
  const PatternSet& patterns = *p.patterns;
  Eigen::RowVectorXd sum(q * d);
  Eigen::MatrixXd h(q, d);
  for (int k = 0; k < patterns.size(); ++k) {
    sum.setZero();
    const std::uint64_t* bits = patterns.Bits(k);
    for (int w = 0; w < patterns.words(); ++w) {
      std::uint64_t word = bits[w];
      while (word != 0) {
        const int i = w * 64 + std::countr_zero(word);
        word &= word - 1;
        sum += outer.row(i);
      }
    }
    if (p.gate == Activation::kAbs) sum = 2.0 * sum - total;
    for (int a = 0; a < q; ++a) {
      for (int c = 0; c < d; ++c) h(a, c) = sum(a * d + c);
    }
    const double t = TraceWeight(p, k);
    if (t != 0.0) h.topRows(d).diagonal().array() += t;
    visit(k, h);
  }
}

std::string Format(double value) {
  std::ostringstream out;
  out.precision(6);
  out << value;
  return out.str();
}

}  // namespace

Eigen::VectorXd NuclearGroupLassoPrices(const NuclearGroupLassoProblem& problem,
                                        const Eigen::MatrixXd& lambda) {
  Validate(problem, /*check_beta=*/false);
  Eigen::VectorXd prices(problem.patterns->size());
  ForEachBlockGradient(problem, lambda,
                       [&](int k, const Eigen::MatrixXd& h) { prices[k] = SpectralNorm(h); });
  return prices;
}

NuclearGroupLassoCertificate EvaluateNuclearGroupLasso(const NuclearGroupLassoProblem& problem,
                                                       const std::vector<int>& blocks,
                                                       const std::vector<Eigen::MatrixXd>& z,
                                                       Eigen::MatrixXd* fitted) {
  Validate(problem);
  const int n = Points(problem), d = Dim(problem);
  if (blocks.size() != z.size()) throw Error("nuclear group lasso: one block per pattern index");
  const Eigen::MatrixXd y = Targets(problem);
  Eigen::MatrixXd values = Eigen::MatrixXd::Zero(n, d);
  double linear = 0.0, nuclear = 0.0;
  for (std::size_t j = 0; j < blocks.size(); ++j) {
    values += BlockMatrix(problem, blocks[j]) * z[j];
    linear += TraceWeight(problem, blocks[j]) * z[j].topRows(d).trace();
    nuclear += NuclearNorm(z[j]);
  }
  // The free c0 centres the residual.
  const Eigen::MatrixXd residual = Centred(values - y);
  const Eigen::MatrixXd lambda = residual / n;
  NuclearGroupLassoCertificate c;
  c.primal_objective = residual.squaredNorm() / (2.0 * n) + linear + problem.beta * nuclear;
  c.worst_norm = NuclearGroupLassoPrices(problem, lambda).maxCoeff();
  const bool scale = problem.trace_weight.size() == 0 || problem.trace_weight.isZero(0.0);
  // With G = 0 the scaled point s Lambda is exactly feasible; otherwise Lambda itself, with its
  // infeasibility reported.
  if (scale) {
    c.dual_objective = ScaledDual(lambda, y, n,
                                  c.worst_norm > problem.beta ? problem.beta / c.worst_norm : 1.0);
  } else {
    c.dual_objective = -(n / 2.0) * lambda.squaredNorm() - (lambda.array() * y.array()).sum();
  }
  c.gap = c.primal_objective - c.dual_objective;
  c.dual_infeasibility =
      scale ? 0.0 : std::max(c.worst_norm - problem.beta, 0.0) / problem.beta;
  if (fitted != nullptr) *fitted = residual + y;
  return c;
}

double NuclearGroupLassoBetaMax(const NuclearGroupLassoProblem& problem) {
  Validate(problem, /*check_beta=*/false);
  const Eigen::MatrixXd lambda0 = -Centred(Targets(problem)) / Points(problem);
  return NuclearGroupLassoPrices(problem, lambda0).maxCoeff();
}

double NuclearGroupLassoBetaMinLowerBound(const NuclearGroupLassoProblem& problem) {
  Validate(problem, /*check_beta=*/false);
  if (problem.trace_weight.size() == 0) return 0.0;
  const int d = Dim(problem);
  double bound = 0.0;
  for (int k = 0; k < problem.patterns->size(); ++k) {
    const double t = std::abs(problem.trace_weight[k]);
    if (t <= bound) continue;
    const Eigen::MatrixXd m = Centred(BlockMatrix(problem, k));
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(m, Eigen::ComputeFullV);
    const Eigen::VectorXd sv = svd.singularValues();
    const double scale = std::max(1.0, problem.x.cwiseAbs().maxCoeff()) * std::sqrt(m.rows());
    const int q = d + 1;
    int rank = 0;
    for (int i = 0; i < sv.size(); ++i) rank += sv[i] > 1e-12 * scale ? 1 : 0;
    if (rank == q) continue;
    const Eigen::MatrixXd null = svd.matrixV().rightCols(q - rank);
    const Eigen::MatrixXd weights = null.topRows(d);
    bound = std::max(bound, t * SpectralNorm(weights));
  }
  return bound;
}

NuclearGroupLassoSolution SolveNuclearGroupLasso(const NuclearGroupLassoProblem& problem,
                                                 const NuclearGroupLassoOptions& options,
                                                 const NuclearGroupLassoSolution* warm_start) {
  Validate(problem);
  const auto start = std::chrono::steady_clock::now();
  const int n = Points(problem), d = Dim(problem), q = d + 1;
  const int patterns = problem.patterns->size();
  const Eigen::MatrixXd y = Targets(problem);
  const bool scale_dual = problem.trace_weight.size() == 0 || problem.trace_weight.isZero(0.0);

  // For abs, S_k' = -S_k and t_k' = -t_k for the complement k': blocks Z_k and Z_k' act as the
  // single block Z_k - Z_k' at a cost >= its nuclear norm, so only the first of each pair is used.
  std::vector<char> redundant(patterns, 0);
  if (problem.gate == Activation::kAbs) {
    const PatternSet& set = *problem.patterns;
    std::vector<std::uint64_t> complement(set.words());
    for (int k = 0; k < patterns; ++k) {
      const std::uint64_t* bits = set.Bits(k);
      for (int w = 0; w < set.words(); ++w) {
        const int left = n - 64 * w;
        const std::uint64_t mask = left >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << left) - 1;
        complement[w] = ~bits[w] & mask;
      }
      const int other = set.Find(complement.data());
      if (other >= 0 && other < k) redundant[k] = 1;
    }
  }

  // The working set and its blocks.
  std::vector<int> blocks;
  std::vector<Eigen::MatrixXd> z;
  std::vector<char> in_set(patterns, 0);
  const auto add = [&](int k, const Eigen::MatrixXd& block) {
    if (k < 0 || k >= patterns || in_set[k]) return;
    in_set[k] = 1;
    blocks.push_back(k);
    z.push_back(block);
  };
  if (warm_start != nullptr) {
    if (warm_start->blocks.size() != warm_start->z.size()) {
      throw Error("nuclear group lasso: malformed warm start");
    }
    for (std::size_t j = 0; j < warm_start->blocks.size(); ++j) {
      if (warm_start->z[j].rows() != q || warm_start->z[j].cols() != d) {
        throw Error("nuclear group lasso: warm start of another dimension");
      }
      add(warm_start->blocks[j], warm_start->z[j]);
    }
  }

  NuclearGroupLassoSolution solution;
  Eigen::MatrixXd lambda = -Centred(y) / n;  // the dual point of the current (zero) blocks
  if (!blocks.empty()) {
    Eigen::MatrixXd fitted;
    EvaluateNuclearGroupLasso(problem, blocks, z, &fitted);
    lambda = (fitted - y) / n;
  }
  int iterations = 0;
  bool diverged = false;
  double inner_tolerance = std::max(options.gap_tolerance, 1e-6);
  NuclearGroupLassoCertificate certificate;
  for (int round = 1; round <= options.max_rounds; ++round) {
    solution.rounds = round;
    // Price every pattern at the current dual point; the most violated join the working set.
    const Eigen::VectorXd prices = NuclearGroupLassoPrices(problem, lambda);
    std::vector<int> violated;
    for (int k = 0; k < patterns; ++k) {
      if (!in_set[k] && !redundant[k] &&
          prices[k] > problem.beta * (1.0 + options.feasibility_tolerance)) {
        violated.push_back(k);
      }
    }
    std::sort(violated.begin(), violated.end(),
              [&](int a, int b) { return prices[a] > prices[b] || (prices[a] == prices[b] && a < b); });
    const int batch = round == 1 && warm_start == nullptr ? 2 * options.working_set_batch
                                                           : options.working_set_batch;
    for (int j = 0; j < std::min<int>(batch, static_cast<int>(violated.size())); ++j) {
      add(violated[j], Eigen::MatrixXd::Zero(q, d));
    }
    const bool solved = certificate.gap <= options.gap_tolerance *
                                               std::max(1.0, std::abs(certificate.primal_objective));
    if (violated.empty() && round > 1 && solved) break;
    // Intermediate working sets are solved loosely; the final one to the tolerance.
    if (violated.empty() && round > 1) inner_tolerance = options.gap_tolerance;
    if (blocks.empty()) break;  // beta >= beta_max: the zero blocks are optimal

    const Restricted restricted = MakeRestricted(problem, blocks, y);
    Eigen::MatrixXd stacked(q * blocks.size(), d);
    for (std::size_t j = 0; j < blocks.size(); ++j) stacked.middleRows(j * q, q) = z[j];
    const int budget = std::max(0, options.max_iterations - iterations);
    const InnerResult inner =
        SolveRestricted(restricted, problem.beta, scale_dual, options, inner_tolerance, budget,
                        stacked);
    iterations += inner.iterations;
    for (std::size_t j = 0; j < blocks.size(); ++j) z[j] = stacked.middleRows(j * q, q);
    Eigen::MatrixXd fitted;
    certificate = EvaluateNuclearGroupLasso(problem, blocks, z, &fitted);
    lambda = (fitted - y) / n;
    if (inner.diverged) {
      diverged = true;
      break;
    }
    // Drop working-set blocks that are zero and priced well inside the dual ball.
    if (static_cast<int>(blocks.size()) > 4 * options.working_set_batch) {
      const Eigen::VectorXd now = NuclearGroupLassoPrices(problem, lambda);
      std::vector<int> kept_blocks;
      std::vector<Eigen::MatrixXd> kept_z;
      for (std::size_t j = 0; j < blocks.size(); ++j) {
        if (z[j].isZero(0.0) && now[blocks[j]] < 0.5 * problem.beta) {
          in_set[blocks[j]] = 0;
          continue;
        }
        kept_blocks.push_back(blocks[j]);
        kept_z.push_back(z[j]);
      }
      blocks = std::move(kept_blocks);
      z = std::move(kept_z);
    }
    if (iterations >= options.max_iterations) break;
  }
  Eigen::MatrixXd fitted;
  solution.certificate = EvaluateNuclearGroupLasso(problem, blocks, z, &fitted);
  const NuclearGroupLassoCertificate& c = solution.certificate;
  solution.blocks = blocks;
  solution.z = z;
  solution.fitted = fitted;
  Eigen::MatrixXd values = Eigen::MatrixXd::Zero(n, d);
  for (std::size_t j = 0; j < blocks.size(); ++j) values += BlockMatrix(problem, blocks[j]) * z[j];
  solution.output_bias = (fitted - values).colwise().mean().transpose();

  SolveSummary& s = solution.summary;
  s.objective = c.primal_objective;
  s.dual_objective = c.dual_objective;
  s.duality_gap = c.gap;
  s.relative_gap = c.gap / std::max(1.0, std::abs(c.primal_objective));
  s.kkt_residual = c.dual_infeasibility;
  s.iterations = iterations;
  s.polished = false;
  const bool certified = s.relative_gap <= options.gap_tolerance &&
                         c.dual_infeasibility <= options.feasibility_tolerance;
  s.status = certified ? SolveStatus::kOptimal : SolveStatus::kIterationLimit;
  if (diverged) {
    s.message = "the iterates diverge: beta " + Format(problem.beta) +
                " may be below beta_min (the relaxation is then unbounded below)";
  } else if (!certified) {
    s.message = "stopped at relative gap " + Format(s.relative_gap) + ", dual infeasibility " +
                Format(c.dual_infeasibility);
  } else {
    s.message = "optimal: relative gap " + Format(s.relative_gap);
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return solution;
}

}  // namespace convexscore
