#include "convexscore/solvers/lasso.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "convexscore/io/numbers.h"

namespace convexscore {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

double SoftThreshold(double z, double t) { return z > t ? z - t : (z < -t ? z + t : 0.0); }
double Sign(double v) { return v > 0 ? 1.0 : -1.0; }

// The Lasso on the working set W: min 1/2 x^T G x - c^T x + beta ||x||_1, with G = A_W^T A_W
// and c = A_W^T b. G grows by one row and column per added column of A.
class WorkingSet {
 public:
  WorkingSet(const LassoOperator& op, const VectorXd& c_full) : op_(op), c_full_(c_full) {
    in_set_.assign(static_cast<std::size_t>(op.cols()), false);
  }

  int size() const { return static_cast<int>(columns_.size()); }
  const std::vector<int>& columns() const { return columns_; }
  bool Contains(int j) const { return in_set_[static_cast<std::size_t>(j)]; }
  const MatrixXd& gram() const { return gram_; }
  const VectorXd& c() const { return c_; }

  // Gram entries of column j against the set come from A^T (A e_j): two products, no storage
  // of the columns themselves.
  void Add(const std::vector<int>& new_columns) {
    const int old_size = size();
    const int new_size = old_size + static_cast<int>(new_columns.size());
    gram_.conservativeResize(new_size, new_size);
    c_.conservativeResize(new_size);
    VectorXd unit = VectorXd::Zero(op_.cols()), column, products;
    for (int t = 0; t < static_cast<int>(new_columns.size()); ++t) {
      const int j = new_columns[static_cast<std::size_t>(t)];
      columns_.push_back(j);
      in_set_[static_cast<std::size_t>(j)] = true;
      unit[j] = 1.0;
      op_.Apply(unit, &column);
      unit[j] = 0.0;
      op_.ApplyAdjoint(column, &products);
      const int index = old_size + t;
      for (int i = 0; i <= index; ++i) {
        gram_(i, index) = gram_(index, i) = products[columns_[static_cast<std::size_t>(i)]];
      }
      c_[index] = c_full_[j];
    }
  }

 private:
  const LassoOperator& op_;
  const VectorXd& c_full_;
  std::vector<int> columns_;
  std::vector<bool> in_set_;
  MatrixXd gram_;
  VectorXd c_;
};

// A primal active-set method on the working-set problem, started from x: on the sign pattern
// s of the nonzeros E it minimises the quadratic 1/2 x^T G x - (c - beta s)^T x over x_E, and
// moves towards that minimiser only as far as no sign changes (a coordinate reaching zero
// leaves E). When the minimiser is reached, the worst violator of |g_k| <= beta among the zeros
// joins E with the sign that lowers the objective. Every step lowers the objective, so the
// method cannot cycle. G_EE may be singular (dependent columns): the pseudo-inverse gives the
// nearest minimiser, and if the quadratic has none (its linear part is not in the range of
// G_EE) it decreases linearly along that part, which is followed until a sign changes.
// Succeeds, overwriting x, when the optimality conditions hold to rounding level.
bool ActiveSetSolve(const MatrixXd& gram, const VectorXd& c, double beta, int max_steps,
                    VectorXd& x) {
  const int n = static_cast<int>(x.size());
  std::vector<int> support;
  for (int k = 0; k < n; ++k) {
    if (x[k] != 0.0) support.push_back(k);
  }
  VectorXd signs = x.unaryExpr([](double v) { return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0); });
  const double zero_tolerance = 1e-10 * beta;  // |g_k| - beta off the support
  for (int step = 0; step < max_steps; ++step) {
    const int e = static_cast<int>(support.size());
    if (e > 0) {
      MatrixXd gram_ee(e, e);
      VectorXd x_e(e), rhs(e);
      for (int a = 0; a < e; ++a) {
        for (int b = 0; b < e; ++b) gram_ee(a, b) = gram(support[a], support[b]);
        x_e[a] = x[support[a]];
        rhs[a] = c[support[a]] - beta * signs[support[a]];
      }
      const Eigen::CompleteOrthogonalDecomposition<MatrixXd> decomposition(gram_ee);
      VectorXd direction = decomposition.solve(rhs - gram_ee * x_e);
      // A minimiser exists when the remaining residual is rounding; otherwise follow it.
      const VectorXd leftover = rhs - gram_ee * (x_e + direction);
      const bool unbounded =
          leftover.lpNorm<Eigen::Infinity>() > 1e-9 * std::max(beta, rhs.lpNorm<Eigen::Infinity>());
      if (unbounded) direction = leftover;
      // Longest step in [0, 1] (unbounded: [0, inf)) that keeps every sign.
      double length = unbounded ? std::numeric_limits<double>::infinity() : 1.0;
      int blocking = -1;
      for (int a = 0; a < e; ++a) {
        const double s = signs[support[a]];
        if (direction[a] * s < 0.0) {
          const double reach = -x_e[a] / direction[a];
          if (reach < length) {
            length = reach;
            blocking = a;
          }
        }
      }
      if (!std::isfinite(length)) return false;  // cannot happen for a Lasso; stop safely
      std::vector<int> kept;
      for (int a = 0; a < e; ++a) {
        const double value = a == blocking ? 0.0 : x_e[a] + length * direction[a];
        if (value * signs[support[a]] > 0.0) {
          x[support[a]] = value;
          kept.push_back(support[a]);
        } else {
          x[support[a]] = 0.0;
          signs[support[a]] = 0.0;
        }
      }
      support = std::move(kept);
      if (blocking >= 0 || unbounded) continue;
    }
    const VectorXd gradient = gram * x - c;
    int worst = -1;
    double worst_violation = zero_tolerance;
    for (int k = 0; k < n; ++k) {
      if (x[k] != 0.0) continue;
      const double violation = std::abs(gradient[k]) - beta;
      if (violation > worst_violation) {
        worst_violation = violation;
        worst = k;
      }
    }
    if (worst < 0) return true;
    support.push_back(worst);
    signs[worst] = gradient[worst] > 0 ? -1.0 : 1.0;
    // Enter at the exact minimiser along that coordinate alone: a strict decrease, so the
    // method cannot come back to the same point.
    x[worst] = gram(worst, worst) > 0.0 ? signs[worst] * worst_violation / gram(worst, worst)
                                        : signs[worst] * std::numeric_limits<double>::min();
  }
  return false;
}

// At an optimum x whose support columns are linearly dependent, a null vector d of G_EE
// (A_E d = 0) keeps the fitted values, and the l1 norm is linear along d while the signs hold
// (and constant, x being optimal). Moving along d until a coordinate reaches zero therefore
// gives another optimum with a smaller support. Repeating leaves independent support columns,
// on which the optimality conditions are a non-singular system (so refinement can reach
// rounding level).
void ReduceToIndependentSupport(const MatrixXd& gram, VectorXd& x) {
  for (;;) {
    std::vector<int> support;
    for (int k = 0; k < static_cast<int>(x.size()); ++k) {
      if (x[k] != 0.0) support.push_back(k);
    }
    const int e = static_cast<int>(support.size());
    if (e < 2) return;
    MatrixXd gram_ee(e, e);
    for (int a = 0; a < e; ++a) {
      for (int b = 0; b < e; ++b) gram_ee(a, b) = gram(support[a], support[b]);
    }
    const Eigen::SelfAdjointEigenSolver<MatrixXd> eigen(gram_ee);
    const double largest = eigen.eigenvalues()[e - 1];
    if (!(eigen.eigenvalues()[0] <= 1e-13 * largest)) return;
    const VectorXd d = eigen.eigenvectors().col(0);
    // Step along +d or -d, whichever first zeroes a coordinate.
    double best = std::numeric_limits<double>::infinity();
    int blocking = -1;
    for (int a = 0; a < e; ++a) {
      if (d[a] == 0.0) continue;
      const double reach = std::abs(x[support[a]] / d[a]);
      if (reach < best) {
        best = reach;
        blocking = a;
      }
    }
    if (blocking < 0) return;
    const double step = -x[support[blocking]] / d[blocking];
    VectorXd moved = x;
    for (int a = 0; a < e; ++a) moved[support[a]] += step * d[a];
    moved[support[blocking]] = 0.0;
    // The l1 norm must not grow (it would if a sign flipped on the way): otherwise keep x.
    if (moved.lpNorm<1>() > x.lpNorm<1>() * (1.0 + 1e-12)) return;
    x = moved;
  }
}

// Cyclic coordinate descent on the working-set problem, as a cheap start for the active-set
// method (tried after 0, 16, 64, ... sweeps). Returns whether the active-set method succeeded.
bool SolveWorkingSet(const WorkingSet& set, double beta, int max_sweeps, VectorXd& x,
                     int* sweeps_done) {
  const MatrixXd& gram = set.gram();
  const VectorXd& c = set.c();
  const int n = set.size();
  const int active_set_steps = 4 * n + 100;
  int next_try = 16;
  {
    VectorXd attempt = x;
    if (ActiveSetSolve(gram, c, beta, active_set_steps, attempt)) {
      x = attempt;
      return true;
    }
  }
  VectorXd gram_x = gram * x;
  for (int sweep = 1; sweep <= max_sweeps; ++sweep) {
    for (int k = 0; k < n; ++k) {
      const double curvature = gram(k, k);
      if (!(curvature > 0.0)) continue;  // a column that is zero: its coefficient stays 0
      const double updated =
          SoftThreshold(x[k] - (gram_x[k] - c[k]) / curvature, beta / curvature);
      const double change = updated - x[k];
      if (change != 0.0) {
        gram_x += change * gram.col(k);
        x[k] = updated;
      }
    }
    ++*sweeps_done;
    if (sweep == next_try || sweep == max_sweeps) {
      VectorXd attempt = x;
      if (ActiveSetSolve(gram, c, beta, active_set_steps, attempt)) {
        x = attempt;
        return true;
      }
      next_try *= 4;
      gram_x = gram * x;  // sheds accumulated rounding
    }
  }
  return false;
}

// One Newton step on the sign pattern of y with the gradient of the whole problem (computed by
// the operator, not from the working-set Gram matrix): iterative refinement, which removes the
// error that the Gram matrix's own rounding leaves in an exact working-set solution. Skipped if
// it would change a sign.
void RefineOnSupport(const WorkingSet& set, const VectorXd& gradient, double beta, VectorXd& y) {
  std::vector<int> support;  // positions in the working set
  for (int i = 0; i < set.size(); ++i) {
    if (y[set.columns()[static_cast<std::size_t>(i)]] != 0.0) support.push_back(i);
  }
  const int e = static_cast<int>(support.size());
  if (e == 0) return;
  MatrixXd gram_ee(e, e);
  VectorXd violation(e);
  for (int a = 0; a < e; ++a) {
    for (int b = 0; b < e; ++b) gram_ee(a, b) = set.gram()(support[a], support[b]);
    const int j = set.columns()[static_cast<std::size_t>(support[a])];
    violation[a] = gradient[j] + beta * Sign(y[j]);
  }
  const VectorXd step = gram_ee.completeOrthogonalDecomposition().solve(-violation);
  for (int a = 0; a < e; ++a) {
    const int j = set.columns()[static_cast<std::size_t>(support[a])];
    if ((y[j] + step[a]) * y[j] <= 0.0) return;
  }
  for (int a = 0; a < e; ++a) y[set.columns()[static_cast<std::size_t>(support[a])]] += step[a];
}

struct Certificate {
  double primal = 0.0;
  double dual = 0.0;
  double kkt = 0.0;  // relative to beta
};

// Primal value at y, and the dual value at the best multiple s r of the residual that is dual
// feasible (|A^T s r| <= beta): the dual of the Lasso is max -1/2 ||u||^2 - b^T u subject to
// ||A^T u||_inf <= beta, and at the optimum u = r.
Certificate Certify(const VectorXd& y, const VectorXd& b, const VectorXd& residual,
                    const VectorXd& gradient, double beta) {
  Certificate certificate;
  certificate.primal = 0.5 * residual.squaredNorm() + beta * y.lpNorm<1>();
  const double rr = residual.squaredNorm(), br = b.dot(residual);
  const double gradient_max = gradient.size() > 0 ? gradient.lpNorm<Eigen::Infinity>() : 0.0;
  double s = rr > 0.0 ? -br / rr : 0.0;
  if (gradient_max > 0.0) s = std::clamp(s, -beta / gradient_max, beta / gradient_max);
  certificate.dual = -0.5 * s * s * rr - s * br;
  double kkt = 0.0;
  for (Eigen::Index j = 0; j < y.size(); ++j) {
    kkt = std::max(kkt, y[j] != 0.0 ? std::abs(gradient[j] + beta * Sign(y[j]))
                                    : std::abs(gradient[j]) - beta);
  }
  certificate.kkt = kkt / beta;
  return certificate;
}

}  // namespace

LassoResult SolveLasso(const LassoOperator& op, const VectorXd& b, const LassoOptions& options,
                       const VectorXd* warm_start) {
  const auto start_time = std::chrono::steady_clock::now();
  const double beta = options.beta;
  if (!std::isfinite(beta) || !(beta > 0.0)) {
    throw Error("lasso: beta must be positive and finite (got " + FormatDouble(beta) + ")");
  }
  if (b.size() != op.rows()) throw Error("lasso: b has the wrong size");
  const int p = op.cols();
  VectorXd y = VectorXd::Zero(p);
  if (warm_start != nullptr) {
    if (warm_start->size() != p) throw Error("lasso: warm start has the wrong size");
    y = *warm_start;
  }

  VectorXd c_full;
  op.ApplyAdjoint(b, &c_full);
  WorkingSet set(op, c_full);
  {
    std::vector<int> support;
    for (int j = 0; j < p; ++j) {
      if (y[j] != 0.0) support.push_back(j);
    }
    set.Add(support);
  }

  LassoResult result;
  VectorXd applied, residual, gradient;
  auto refresh = [&] {
    op.Apply(y, &applied);
    residual = applied - b;
    op.ApplyAdjoint(residual, &gradient);
  };
  refresh();

  SolveSummary& summary = result.summary;
  bool polished = false;
  int sweeps = 0;
  constexpr int kMostSweeps = 64000;
  int max_sweeps = 1000;
  Certificate certificate;
  int iteration = 0;
  for (;; ++iteration) {
    certificate = Certify(y, b, residual, gradient, beta);
    const double objective = certificate.primal + options.objective_offset;
    const double relative_gap =
        (certificate.primal - certificate.dual) / std::max(1.0, std::abs(objective));
    if (std::abs(relative_gap) <= options.gap_tolerance || iteration >= options.max_iterations) {
      break;
    }
    // Columns outside the set that violate |g_j| <= beta, worst first.
    std::vector<int> violators;
    for (int j = 0; j < p; ++j) {
      if (!set.Contains(j) && std::abs(gradient[j]) > beta) violators.push_back(j);
    }
    if (violators.empty()) {
      // The set holds the support, so the sub-solve was not accurate enough (or rounding
      // limits the gap): try harder once, then stop.
      if (max_sweeps >= kMostSweeps) break;
      max_sweeps = std::min(8 * max_sweeps, kMostSweeps);
    } else {
      // Each Gram column costs two products, so the set should stay near the support: add
      // twice as many columns as the support has (at least 16), so a support of size s is
      // reached in O(log s) rounds without a working set far larger than s.
      const int support_size = static_cast<int>((y.array() != 0.0).count());
      const std::size_t take = std::min<std::size_t>(
          violators.size(), static_cast<std::size_t>(std::max(16, 2 * support_size)));
      std::partial_sort(violators.begin(), violators.begin() + static_cast<std::ptrdiff_t>(take),
                        violators.end(), [&](int a, int c) {
                          return std::abs(gradient[a]) > std::abs(gradient[c]);
                        });
      violators.resize(take);
      set.Add(violators);
    }
    VectorXd x(set.size());
    for (int i = 0; i < set.size(); ++i) x[i] = y[set.columns()[static_cast<std::size_t>(i)]];
    polished = SolveWorkingSet(set, beta, max_sweeps, x, &sweeps);
    for (int i = 0; i < set.size(); ++i) y[set.columns()[static_cast<std::size_t>(i)]] = x[i];
    refresh();
    if (polished) {
      ReduceToIndependentSupport(set.gram(), x);
      for (int i = 0; i < set.size(); ++i) y[set.columns()[static_cast<std::size_t>(i)]] = x[i];
      refresh();
      for (int refinement = 0; refinement < 2; ++refinement) {
        RefineOnSupport(set, gradient, beta, y);
        refresh();
      }
    }
  }

  summary.objective = certificate.primal + options.objective_offset;
  summary.dual_objective = certificate.dual + options.objective_offset;
  summary.duality_gap = certificate.primal - certificate.dual;
  summary.relative_gap = summary.duality_gap / std::max(1.0, std::abs(summary.objective));
  summary.kkt_residual = certificate.kkt;
  summary.iterations = iteration;
  summary.polished = polished;
  summary.status = std::abs(summary.relative_gap) <= options.gap_tolerance
                       ? SolveStatus::kOptimal
                       : SolveStatus::kIterationLimit;
  summary.message = "working set " + std::to_string(set.size()) + " of " + std::to_string(p) +
                    " columns, " + std::to_string(sweeps) + " coordinate-descent sweeps";
  if (summary.status != SolveStatus::kOptimal) {
    summary.message += "; relative gap " + FormatDouble(summary.relative_gap, 3) +
                       " above the tolerance";
  }
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  result.coefficients = std::move(y);
  result.residual = std::move(residual);
  result.working_set_size = set.size();
  return result;
}

}  // namespace convexscore
