// Univariate score matching as an exact convex program, solved through its dual.
//
// The primal is an l1-regularised QP over a dictionary of ramps (or absolute values) with kinks
// at the data. Its dual is a projection: the (scaled) predicted score u on the data, of least
// norm, such that every dictionary column c satisfies |c_c + <column, u>| <= beta. Writing
// U_i = (count_i) u_i, the inner products with right ramps are F(t_j) = sum_i U_i (t_i - t_j)_+
// and with left ramps G(t_j) = sum_i U_i (t_j - t_i)_+: a twice-integrated measure, so every
// constraint is a bound on a prefix or suffix sum of the slopes sigma of F. We solve the dual in
// the variables sigma (U = differences of sigma, so the score is recovered without cancellation)
// by a generic interior-point method whose Newton systems are banded (cumulative multipliers, or
// an embedding that introduces F and G as unknowns), then identify the active set and solve it
// exactly ("polish"). The primal network is the vector of multipliers. Certificates are
// evaluated exactly from both points.
// docs/theory.md has the derivation.
#include "convexscore/programs/score_matching_1d.h"
#include "convexscore/programs/score_matching_1d_internal.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>

#include "convexscore/data/portable_random.h"
#include "convexscore/solvers/banded_lu.h"
#include "convexscore/solvers/interior_point_qp.h"

namespace convexscore {
namespace {

// Dictionary columns at a distinct data value t_j. "Closed" columns take the derivative at the
// kink from the right ramp's active side; "shifted" ones realise the other one-sided limit.
enum class ColumnKind { kRightClosed, kRightShifted, kLeftClosed, kLeftShifted, kAbsPlus, kAbsMinus };

struct Column {
  int j = -1;
  ColumnKind kind = ColumnKind::kRightClosed;
};

// One dual constraint: -beta + lower0 <= alpha * F(t_j) + gamma * G(t_j) <= beta + upper0.
// Reaching the lower bound activates col_lower with a positive coefficient, the upper bound
// col_upper with a negative one.
struct Row {
  int j = 0;
  double alpha = 0.0, gamma = 0.0;
  double lower0 = 0.0, upper0 = 0.0;
  Column col_lower, col_upper;
};

struct Problem {
  Activation activation = Activation::kRelu;
  bool skip = false;
  int n = 0, m = 0;
  double center = 0.0;       // data mean; t are centred on it
  std::vector<double> t, k;  // distinct values (centred) and counts
  std::vector<double> h;     // gaps t_{j+1} - t_j
  // Derivative sums of each column kind at j, divided by n: c = (1/n) sum_i k_i col'(t_i).
  std::vector<double> ge, gt, le, lt;  // N(x >= t_j)/n etc.
  std::vector<Row> rows;     // every constraint, including those fixed by the geometry
  std::vector<int> free_rows;  // indices into rows that depend on sigma on the affine set
  double variance = 0.0;
};

double ColumnDerivativeMean(const Problem& p, const Column& c) {
  switch (c.kind) {
    case ColumnKind::kRightClosed: return p.ge[c.j];
    case ColumnKind::kRightShifted: return p.gt[c.j];
    case ColumnKind::kLeftClosed: return -p.le[c.j];
    case ColumnKind::kLeftShifted: return -p.lt[c.j];
    case ColumnKind::kAbsPlus: return p.ge[c.j] - p.lt[c.j];
    case ColumnKind::kAbsMinus: return p.gt[c.j] - p.le[c.j];
  }
  return 0.0;
}

// A row is pinned when its functional is constant on the dual's affine set: F(t_m) = 0 and
// G(t_1) = 0 always; with the skip term also F(t_1) = -1 and G(t_m) = 1.
bool RowIsPinned(const Problem& p, const Row& r) {
  const bool first = r.j == 0, last = r.j == p.m - 1;
  if (p.skip) return first || last;
  return (last && r.gamma == 0.0) || (first && r.alpha == 0.0);
}

Problem BuildProblem(const Sample1D& data, Activation activation, bool skip) {
  Problem p;
  p.activation = activation;
  p.skip = skip;
  p.n = data.n;
  p.m = data.distinct();
  p.center = data.mean;
  p.variance = data.variance;
  const int m = p.m;
  const double n = p.n;
  p.t.resize(m);
  p.k.resize(m);
  for (int j = 0; j < m; ++j) {
    p.t[j] = data.values[j] - data.mean;
    p.k[j] = data.counts[j];
  }
  p.h.resize(m - 1);
  for (int j = 0; j + 1 < m; ++j) p.h[j] = data.values[j + 1] - data.values[j];
  p.ge.resize(m); p.gt.resize(m); p.le.resize(m); p.lt.resize(m);
  double below = 0.0;  // points strictly below t_j
  for (int j = 0; j < m; ++j) {
    p.lt[j] = below / n;
    p.le[j] = (below + p.k[j]) / n;
    p.ge[j] = (n - below) / n;
    p.gt[j] = (n - below - p.k[j]) / n;
    below += p.k[j];
  }
  for (int j = 0; j < m; ++j) {
    if (activation == Activation::kRelu) {
      // Right ramps: F(t_j) + c in [-beta, beta] for c = ge (closed) and gt (shifted).
      p.rows.push_back({j, 1.0, 0.0, -p.gt[j], -p.ge[j],
                        {j, ColumnKind::kRightShifted}, {j, ColumnKind::kRightClosed}});
      // Left ramps: G(t_j) + c for c = -le (closed) and -lt (shifted). With the skip term a
      // left ramp is a right ramp minus the free linear term, and G = F + 1: its row would
      // repeat the right ramp's row exactly, so it is left out.
      if (!skip) {
        p.rows.push_back({j, 0.0, 1.0, p.le[j], p.lt[j],
                          {j, ColumnKind::kLeftClosed}, {j, ColumnKind::kLeftShifted}});
      }
    } else {
      // |x - t_j| = right + left ramp: F + G + c for c = ge - lt (sign(0) = +1), gt - le (-1).
      p.rows.push_back({j, 1.0, 1.0, -(p.gt[j] - p.le[j]), -(p.ge[j] - p.lt[j]),
                        {j, ColumnKind::kAbsMinus}, {j, ColumnKind::kAbsPlus}});
    }
  }
  for (int r = 0; r < static_cast<int>(p.rows.size()); ++r) {
    if (!RowIsPinned(p, p.rows[r])) p.free_rows.push_back(r);
  }
  return p;
}

// F(t_j) and G(t_j) from sigma (the slopes of F between consecutive data values):
// F(t_j) = -sum_{i >= j} h_i sigma_i, G(t_j) = sum_{i < j} h_i sigma_i.
void FunctionalsFromSlopes(const Problem& p, const Eigen::VectorXd& sigma, Eigen::VectorXd& F,
                           Eigen::VectorXd& G) {
  const int m = p.m;
  F.setZero(m);
  G.setZero(m);
  for (int j = m - 2; j >= 0; --j) F[j] = F[j + 1] - p.h[j] * sigma[j];
  for (int j = 1; j < m; ++j) G[j] = G[j - 1] + p.h[j - 1] * sigma[j - 1];
}

// F and G of an arbitrary dual measure U (used for the zero network's dual point).
void FunctionalsFromMeasure(const Problem& p, const std::vector<double>& U, std::vector<double>& F,
                            std::vector<double>& G) {
  const int m = p.m;
  F.assign(m, 0.0);
  G.assign(m, 0.0);
  double mass = 0.0, moment = 0.0;
  for (int j = m - 1; j >= 0; --j) {  // F(t_j) = sum_{i>j} U_i t_i - t_j sum_{i>j} U_i
    F[j] = moment - p.t[j] * mass;
    mass += U[j];
    moment += U[j] * p.t[j];
  }
  mass = moment = 0.0;
  for (int j = 0; j < m; ++j) {  // G(t_j) = t_j sum_{i<j} U_i - sum_{i<j} U_i t_i
    G[j] = p.t[j] * mass - moment;
    mass += U[j];
    moment += U[j] * p.t[j];
  }
}

// The score on the data implied by sigma: U_i = sigma_i - sigma_{i-1}, f_i = n U_i / k_i.
Eigen::VectorXd ScoreFromSlopes(const Problem& p, const Eigen::VectorXd& sigma) {
  Eigen::VectorXd f(p.m);
  for (int i = 0; i < p.m; ++i) {
    const double right = i < p.m - 1 ? sigma[i] : 0.0;
    const double left = i > 0 ? sigma[i - 1] : 0.0;
    f[i] = p.n * (right - left) / p.k[i];
  }
  return f;
}

// H = D^T diag(n/k) D with (D sigma)_i = sigma_i - sigma_{i-1}, the dual's Hessian in sigma: its
// diagonal H(i, i) and its off-diagonal H(i, i + 1). H is tridiagonal.
double HessianDiagonal(const Problem& p, int i) { return p.n / p.k[i] + p.n / p.k[i + 1]; }
double HessianNext(const Problem& p, int i) { return -p.n / p.k[i + 1]; }

// The functional a row bounds, alpha F(t_j) + gamma G(t_j), from F and G at the values (in
// double or in extended precision).
template <typename Values>
auto RowValue(const Row& r, const Values& F, const Values& G) {
  return r.alpha * F[r.j] + r.gamma * G[r.j];
}

// ---------------------------------------------------------------------------------------------
// A row of the interior-point Newton system whose weight d exceeds the smallest weight by more
// than this factor is heavy (an active row as the iterate converges: d grows without bound
// there). Its multiplier step comes from the solve's own unknowns; a light row's from
// d .* (C dx - row_rhs), accurate for it because d is small (see the two forms below). Not
// critical: 1e2 .. 1e6 gave the same iteration counts up to n = 1e3, and 135 to 195 at n = 1e4
// (beta = 2 beta_min).
constexpr double kReducedNewtonSpread = 1e4;

// The weight above which a row is heavy, for the weights d of one Newton system.
double HeavyRowWeight(const Eigen::VectorXd& d) {
  return kReducedNewtonSpread * std::max(d.size() > 0 ? d.minCoeff() : 0.0, std::numeric_limits<double>::min());
}
// The largest spread max(d) / min(d) at which the Newton system is solved in its chain form.
// At n = 1e4 (beta = 2 beta_min, abs with skip) its solutions matched the embedding's to 1e-12 up
// to spreads of 1e16, to 1e-9 at 1e21, and not at all by 1e25. 1e12 until the multiplier boosts
// came; with them, the spread passes 1e12 earlier (with the complementarity near 1e-2), and 1e16
// took the hard cases at n = 1e4 from 237 to 163 ms (ReLU) and 228 to 193 ms (abs), medians of 3
// with the same iterations, and kept 68 cases from n = 100 to 1e4 at the same statuses and units
// within 1%.
constexpr double kChainFormSpread = 1e16;
// Equality solves with at most this many rows go through the Schur complement on H (O(k m))
// rather than the banded embedding (about 400 m flops); they cross near 40 rows.
constexpr int kSchurEqualityRows = 16;
// The factor of the interior-point method's multiplier boosts (DualSolve::InteriorPoint). 100
// took the benchmark's hard cases at n = 1e4 from 106 / 143 iterations to 34 / 37; 10 to 37 / 47.
constexpr double kDualBoost = 100.0;

// The dual as an implicit QP for the interior-point method. Variables sigma (m - 1); rows are the
// free constraint rows. Neither form of the Newton system nor the polish's equality systems
// (SolveEqualityQp: the Schur complement on H for a few rows, the embedding otherwise) forms the
// dense prefix-sum structure of C.

class SlopeDualOperator : public QpOperator {
  friend internal::NewtonFormsComparison internal::CompareNewtonForms(const Sample1D&, Activation, bool,
                                                                      double, std::uint64_t);
  friend internal::EqualitySolvesComparison internal::CompareEqualitySolves(const Sample1D&, Activation,
                                                                            bool, int, double, std::uint64_t);

 public:
  explicit SlopeDualOperator(const Problem& p) : p_(p) { BuildChains(); }

  int num_variables() const override { return p_.m - 1; }
  int num_rows() const override { return static_cast<int>(p_.free_rows.size()); }
  // With the skip term: G(t_m) = sum_i h_i sigma_i = 1.
  int num_equalities() const override { return p_.skip ? 1 : 0; }
  void ApplyEqualitiesTransposed(const Eigen::VectorXd& nu, Eigen::VectorXd& y) const override {
    y.setZero(p_.m - 1);
    if (p_.skip) {
      for (int i = 0; i + 1 < p_.m; ++i) y[i] = nu[0] * p_.h[i];
    }
  }

  void ApplyHessian(const Eigen::VectorXd& x, Eigen::VectorXd& y) const override {
    const Eigen::VectorXd f = ScoreFromSlopes(p_, x);
    y.resize(p_.m - 1);
    for (int i = 0; i + 1 < p_.m; ++i) y[i] = f[i] - f[i + 1];
  }

  void ApplyRows(const Eigen::VectorXd& x, Eigen::VectorXd& v) const override {
    Eigen::VectorXd& F = work_F_;
    Eigen::VectorXd& G = work_G_;
    FunctionalsFromSlopes(p_, x, F, G);
    v.resize(num_rows());
    for (int q = 0; q < num_rows(); ++q) {
      const Row& r = p_.rows[p_.free_rows[q]];
      v[q] = RowValue(r, F, G);
    }
  }

  void ApplyRowsTransposed(const Eigen::VectorXd& w, Eigen::VectorXd& y) const override {
    const int m = p_.m;
    Eigen::VectorXd& a = work_a_;
    Eigen::VectorXd& b = work_b_;
    a.setZero(m);
    b.setZero(m);
    for (int q = 0; q < num_rows(); ++q) {
      const Row& r = p_.rows[p_.free_rows[q]];
      a[r.j] += r.alpha * w[q];
      b[r.j] += r.gamma * w[q];
    }
    // dF_j/dsigma_i = -h_i [i >= j], dG_j/dsigma_i = h_i [i < j].
    y.resize(m - 1);
    double prefix_a = 0.0, suffix_b = 0.0;
    for (int j = 0; j < m; ++j) suffix_b += b[j];
    for (int i = 0; i + 1 < m; ++i) {
      prefix_a += a[i];
      suffix_b -= b[i];
      y[i] = p_.h[i] * (suffix_b - prefix_a);
    }
  }

  // Two forms of the Newton system, both banded and neither forming C. While the weights d
  // span at most kChainFormSpread, the cumulative-multiplier ("chain") form, 2 or 3 unknowns per
  // value (FactorizeChainNewton). Beyond, near the optimum, the embedding with F, G and their
  // adjoints, 5 to 7 unknowns per value (FactorizeEmbeddedNewton): the chain form meets an
  // active row's equation only through sums along its chain, which lose every digit once the
  // weights span 1e20 and more, while the embedding holds each row's value as an unknown.
  bool FactorizeNewton(const Eigen::VectorXd& d) override {
    const double lo = d.size() > 0 ? d.minCoeff() : 1.0, hi = d.size() > 0 ? d.maxCoeff() : 1.0;
    chain_form_ = hi <= kChainFormSpread * lo;
    return chain_form_ ? FactorizeChainNewton(d) : FactorizeEmbeddedNewton(d);
  }

  void SolveNewton(const Eigen::VectorXd& rhs, const Eigen::VectorXd& row_rhs, Eigen::VectorXd& dx,
                   Eigen::VectorXd& w, Eigen::VectorXd& dnu, Eigen::VectorXd& cdx) const override {
    if (chain_form_) {
      SolveChainNewton(rhs, row_rhs, dx, w, dnu, cdx);
    } else {
      SolveEmbeddedNewton(rhs, row_rhs, dx, w, dnu, cdx);
    }
  }

  // The path in beta (FollowPath) locates its breakpoints from the differences of exact
  // solutions, and needs their last digits: its equality solves are refined.
  void set_refine(bool refine) { refine_ = refine; }

  // Solves min 1/2 sigma^T H sigma subject to the given rows held at the given values exactly,
  // and G(t_m) = g_last when g_last is finite (always 1 with the skip term, since then
  // F(t_1) = -1). Returns false if the system is singular. nu is the multiplier of G(t_m).
  bool SolveEqualityQp(const std::vector<int>& active, const std::vector<double>& targets,
                       double g_last, Eigen::VectorXd& sigma, std::vector<double>& multipliers,
                       double& nu) {
    if (p_.skip) g_last = 1.0;
    const int rows = static_cast<int>(active.size()) + (std::isfinite(g_last) ? 1 : 0);
    if (!refine_ && rows <= kSchurEqualityRows &&
        SolveEqualityQpBySchur(active, targets, g_last, sigma, multipliers, nu)) {
      return true;
    }
    return SolveEqualityQpByEmbedding(active, targets, g_last, sigma, multipliers, nu);
  }

  // The same by the Schur complement on H, for a few rows B (the active rows and G(t_m)):
  // H sigma + B^T y = 0, B sigma = b gives sigma = -Z y with Z = H^{-1} B^T (one tridiagonal
  // solve per row) and (B Z) y = -b, a small SPD system. O(k m) for k rows, where the embedding
  // factorises 5m unknowns with 5 to 7 diagonals on each side. Refined against the operators
  // until the correction is at rounding level. False (the caller then uses the embedding) if
  // B Z is not numerically positive definite, i.e. the rows are (nearly) dependent.
  bool SolveEqualityQpBySchur(const std::vector<int>& active, const std::vector<double>& targets,
                              double g_last, Eigen::VectorXd& sigma, std::vector<double>& multipliers,
                              double& nu) {
    const int m = p_.m, k = static_cast<int>(active.size());
    const bool with_nu = std::isfinite(g_last);
    const int rows = k + (with_nu ? 1 : 0);
    if (m < 2) return false;
    FactorizeHessianOnce();
    // B^T: the gradient of each row (C^T of its unit vector), then h for G(t_m).
    Eigen::MatrixXd& Z = work_schur_Z_;
    Z.resize(m - 1, rows);
    Eigen::VectorXd unit = Eigen::VectorXd::Zero(num_rows()), column;
    for (int a = 0; a < k; ++a) {
      unit[active[a]] = 1.0;
      ApplyRowsTransposed(unit, column);
      Z.col(a) = column;
      unit[active[a]] = 0.0;
    }
    if (with_nu) Z.col(k) = Eigen::Map<const Eigen::VectorXd>(p_.h.data(), m - 1);
    for (int a = 0; a < rows; ++a) SolveHessian(Z.col(a));
    Eigen::MatrixXd S(rows, rows);
    Eigen::VectorXd values;
    for (int a = 0; a < rows; ++a) {
      ApplyRowSubset(active, with_nu, Z.col(a), values);
      S.col(a) = values;
    }
    S = 0.5 * (S + S.transpose()).eval();
    const Eigen::LLT<Eigen::MatrixXd> llt(S);
    if (llt.info() != Eigen::Success || !(llt.rcond() > 1e-13)) return false;
    Eigen::VectorXd b(rows);
    for (int a = 0; a < k; ++a) b[a] = targets[a];
    if (with_nu) b[k] = g_last;
    Eigen::VectorXd y = -llt.solve(b);
    sigma = -Z * y;
    // Refinement: residuals of H sigma + B^T y = 0 and B sigma = b, then the same elimination.
    Eigen::VectorXd hs, bty, full_w = Eigen::VectorXd::Zero(num_rows()), rs, rb, t;
    for (int pass = 0; pass < 3; ++pass) {
      ApplyHessian(sigma, hs);
      full_w.setZero();
      for (int a = 0; a < k; ++a) full_w[active[a]] += y[a];
      ApplyRowsTransposed(full_w, bty);
      rs = -hs - bty;
      if (with_nu) rs -= y[k] * Eigen::Map<const Eigen::VectorXd>(p_.h.data(), m - 1);
      ApplyRowSubset(active, with_nu, sigma, rb);
      rb = b - rb;
      t = rs;
      SolveHessian(t);
      ApplyRowSubset(active, with_nu, t, values);
      const Eigen::VectorXd dy = llt.solve(values - rb);
      const Eigen::VectorXd dsigma = t - Z * dy;
      sigma += dsigma;
      y += dy;
      if (!sigma.allFinite() || !y.allFinite()) return false;
      if (dsigma.lpNorm<Eigen::Infinity>() <= 1e-15 * sigma.lpNorm<Eigen::Infinity>() &&
          dy.lpNorm<Eigen::Infinity>() <= 1e-15 * y.lpNorm<Eigen::Infinity>()) {
        break;
      }
    }
    multipliers.assign(y.data(), y.data() + k);
    nu = with_nu ? y[k] : 0.0;
    return true;
  }

  bool SolveEqualityQpByEmbedding(const std::vector<int>& active, const std::vector<double>& targets,
                                  double g_last, Eigen::VectorXd& sigma, std::vector<double>& multipliers,
                                  double& nu) {
    newton_layout_ = false;
    BuildLayout(active, std::isfinite(g_last));
    Assemble(active);
    // Work space kept between calls: at a million points these vectors hold millions of
    // entries, and fresh ones would cost their page faults on every pass of the polish.
    Eigen::VectorXd& b = work_equality_rhs_;
    b.setZero(size_);
    for (size_t a = 0; a < active.size(); ++a) b[kappa_[a]] = targets[a];
    if (nu_ >= 0) b[nu_] = g_last;
    if (!lu_.Factorize()) return false;
    Eigen::VectorXd& x = work_equality_x_;
    x = b;
    lu_.Solve(x);
    if (!x.allFinite()) return false;
    if (refine_) {
      // Iterative refinement against the embedded system itself, its residual summed in
      // extended precision: near beta_min the solution is large (the score runs to thousands)
      // while the rows must meet bounds of size one to about 1e-14, and one solve alone leaves
      // about 1e-12.
      std::vector<long double> acc(size_);
      Eigen::VectorXd r(size_);
      // A second pass only when the first correction was not already at rounding level.
      for (int pass = 0; pass < 2; ++pass) {
        for (int i = 0; i < size_; ++i) acc[i] = b[i];
        ForEachEntry(active, [&](int i, int j, double v) {
          acc[i] -= static_cast<long double>(v) * x[j];
        });
        for (int i = 0; i < size_; ++i) r[i] = static_cast<double>(acc[i]);
        lu_.Solve(r);
        if (!r.allFinite()) break;
        x += r;
        if (r.lpNorm<Eigen::Infinity>() <= 1e-14 * x.lpNorm<Eigen::Infinity>()) break;
      }
    }
    sigma.resize(p_.m - 1);
    for (int i = 0; i + 1 < p_.m; ++i) sigma[i] = x[sigma_[i]];
    multipliers.resize(active.size());
    for (size_t a = 0; a < active.size(); ++a) multipliers[a] = x[kappa_[a]];
    nu = nu_ >= 0 ? x[nu_] : 0.0;
    return true;
  }

 private:
  // LDL^T of the tridiagonal H = D^T diag(n/k) D, once per operator (it does not depend on beta
  // or on the active set).
  void FactorizeHessianOnce() {
    if (hessian_factorized_) return;
    const int size = p_.m - 1;
    hessian_d_.resize(size);
    hessian_l_.resize(size);
    for (int i = 0; i < size; ++i) {
      const double off = i > 0 ? HessianNext(p_, i - 1) : 0.0;  // H(i, i-1)
      const double l = i > 0 ? off / hessian_d_[i - 1] : 0.0;
      hessian_l_[i] = l;
      hessian_d_[i] = HessianDiagonal(p_, i) - l * off;
    }
    hessian_factorized_ = true;
  }

  void SolveHessian(Eigen::Ref<Eigen::VectorXd> x) const {
    const int size = p_.m - 1;
    for (int i = 1; i < size; ++i) x[i] -= hessian_l_[i] * x[i - 1];
    for (int i = 0; i < size; ++i) x[i] /= hessian_d_[i];
    for (int i = size - 2; i >= 0; --i) x[i] -= hessian_l_[i + 1] * x[i + 1];
  }

  // The values of the given free rows (and of G(t_m) last, with_nu) at x.
  void ApplyRowSubset(const std::vector<int>& active, bool with_nu, const Eigen::Ref<const Eigen::VectorXd>& x,
                      Eigen::VectorXd& values) const {
    FunctionalsFromSlopes(p_, x, work_F_, work_G_);
    values.resize(static_cast<Eigen::Index>(active.size()) + (with_nu ? 1 : 0));
    for (size_t a = 0; a < active.size(); ++a) {
      const Row& r = p_.rows[p_.free_rows[active[a]]];
      values[a] = RowValue(r, work_F_, work_G_);
    }
    if (with_nu) values[values.size() - 1] = work_G_[p_.m - 1];
  }

  // The chain form (docs/theory.md section 6, "Cumulative multipliers"). Every free row is a
  // link of a chain: its multiplier w is the difference of two consecutive chain values Y
  // (prefix sums of the multipliers of right ramps or of absolute values, suffix sums for left
  // ramps), so that C^T w = c h .* Y couples sigma_i with Y_i alone. Differenced at consecutive
  // values, the row equations become local (F_j - F_{j+1} = -h_j sigma_j) once w/d is written
  // through Y. What is left is symmetric and quasi-definite, H (tridiagonal) beside a chain
  // Laplacian with weights 1/d: unknowns (dsigma_i, Y_i per chain) interleaved, bandwidth 2 or 3,
  // plus at most one border unknown (abs: the total W = Y_{m-1}; skip: the equality's
  // multiplier), eliminated by one extra solve.
  bool FactorizeChainNewton(const Eigen::VectorXd& d) {
    const int m = p_.m, stride = stride_;
    // d on the light rows, 0 on the heavy ones (as in the embedding).
    const double floor = HeavyRowWeight(d);
    reduced_weight_ = (d.array() <= floor).select(d, 0.0);
    const int size = stride * (m - 1);
    newton_lu_.Reset(size, stride, stride);
    auto g = [&](int chain, int link) {
      const int q = chains_[chain].row_at[link];
      return q < 0 ? 0.0 : 1.0 / d[q];
    };
    for (int i = 0; i + 1 < m; ++i) {
      const int x = stride * i;
      newton_lu_.Add(x, x, HessianDiagonal(p_, i));
      if (i + 2 < m) {
        newton_lu_.Add(x, x + stride, HessianNext(p_, i));
        newton_lu_.Add(x + stride, x, HessianNext(p_, i));
      }
      for (int k = 0; k < static_cast<int>(chains_.size()); ++k) {
        const Chain& c = chains_[k];
        const int y = x + 1 + k;
        if (ChainValueIsZero(c, i)) {
          newton_lu_.Add(y, y, 1.0);
          continue;
        }
        newton_lu_.Add(x, y, c.coef * p_.h[i]);
        newton_lu_.Add(y, x, c.coef * p_.h[i]);
        const double below = g(k, i), above = g(k, i + 1);
        newton_lu_.Add(y, y, -(below + above));
        if (i + 2 < m && !ChainValueIsZero(c, i + 1)) {
          newton_lu_.Add(y, y + stride, above);
          newton_lu_.Add(y + stride, y, above);
        }
      }
    }
    if (!newton_lu_.Factorize()) return false;
    if (border_ == Border::kNone) return true;
    // The border column b (its row is b^T, the system being symmetric) and diagonal entry.
    border_column_.setZero(size);
    for (int i = 0; i + 1 < m; ++i) border_column_[stride * i] = p_.h[i];
    border_diagonal_ = 0.0;
    if (border_ == Border::kTotal) {  // abs: W = Y_{m-1}, linked to Y_{m-2} by the last row
      const double last = g(0, m - 1);
      border_column_[stride * (m - 2) + 1] += last;
      border_diagonal_ = -last;
    }
    border_solution_ = border_column_;
    newton_lu_.Solve(border_solution_);
    border_schur_ = border_diagonal_ - border_column_.dot(border_solution_);
    return std::isfinite(border_schur_) && border_schur_ != 0.0;
  }

  void SolveChainNewton(const Eigen::VectorXd& rhs, const Eigen::VectorXd& row_rhs, Eigen::VectorXd& dx,
                        Eigen::VectorXd& w, Eigen::VectorXd& dnu, Eigen::VectorXd& cdx) const {
    const int m = p_.m, stride = stride_;
    // Light rows (small d, far from their bounds) carry row_rhs = t/d of the slacks' size: in
    // the differenced row equations those would cancel against each other and bury the active
    // rows' small right-hand sides. So their multipliers are shifted, w = w_hat - t, which moves
    // t to the first block (C^T t, as in a reduced form) and leaves them a zero right-hand side.
    ApplyRowsTransposed(reduced_weight_.cwiseProduct(row_rhs), work_ctw_);
    Eigen::VectorXd& b = work_rhs_;
    b.setZero(stride * (m - 1));
    auto rr = [&](int chain, int link) {
      const int q = link < m ? chains_[chain].row_at[link] : -1;
      return q < 0 || reduced_weight_[q] != 0.0 ? 0.0 : row_rhs[q];
    };
    for (int i = 0; i + 1 < m; ++i) {
      b[stride * i] = rhs[i] + work_ctw_[i];
      for (int k = 0; k < static_cast<int>(chains_.size()); ++k) {
        const Chain& c = chains_[k];
        if (ChainValueIsZero(c, i)) continue;
        b[stride * i + 1 + k] = c.sign * (rr(k, i) - rr(k, i + 1));
      }
    }
    newton_lu_.Solve(b);
    double border = 0.0;
    if (border_ != Border::kNone) {
      const double border_rhs = border_ == Border::kTotal ? rr(0, m - 1) : 0.0;
      border = (border_rhs - border_column_.dot(b)) / border_schur_;
      b -= border * border_solution_;
    }
    dx.resize(m - 1);
    for (int i = 0; i + 1 < m; ++i) dx[i] = b[stride * i];
    // Multiplier steps w_hat: differences of consecutive chain values.
    w.resize(num_rows());
    for (int q = 0; q < num_rows(); ++q) {
      const RowLink& link = row_link_[q];
      const Chain& c = chains_[link.chain];
      auto value = [&](int i) {
        if (i < 0) return 0.0;
        if (i == m - 1) return border_ == Border::kTotal ? border : 0.0;
        return b[stride * i + 1 + link.chain];
      };
      w[q] = c.sign * (value(link.link) - value(link.link - 1));
    }
    dnu.resize(num_equalities());
    if (border_ == Border::kEquality) {
      // The border is the skip multiplier plus, for abs, the total of w_hat (C^T w_hat holds
      // h W, the direction of E^T).
      dnu[0] = border - (p_.activation == Activation::kAbs ? w.sum() : 0.0);
    }
    // The light rows' steps from dx: d .* (C dx - row_rhs), whose error is d times that of C dx
    // (small), where w_hat - t would carry the chain values' absolute error.
    ApplyRows(dx, cdx);
    for (int q = 0; q < num_rows(); ++q) {
      if (reduced_weight_[q] != 0.0) w[q] = reduced_weight_[q] * (cdx[q] - row_rhs[q]);
    }
  }

  // The Newton system, embedded with F, G and their adjoints. A row q with a moderate weight
  // d_q enters in reduced form, d_q on its (F_j, G_j) block, and its multiplier step is
  // w_q = d_q ((C dx)_q - row_rhs_q). A row whose weight exceeds the smallest by more than
  // kReducedNewtonSpread (an active row as the iterate converges: d grows without bound there)
  // enters in augmented form, with its own unknown w_q and -1/d_q on the diagonal, as in the
  // embedding of SolveEqualityQp: the solve yields w_q directly, where the reduced form would
  // multiply the solve's error by d_q, and it tends to the equality system of the polish.
  // Early on no row is augmented (5 unknowns per value); near the optimum only the active ones.
  bool FactorizeEmbeddedNewton(const Eigen::VectorXd& d) {
    const double floor = HeavyRowWeight(d);
    std::vector<int>& rows = work_rows_;
    rows.clear();
    for (int q = 0; q < num_rows(); ++q) {
      if (d[q] > floor) rows.push_back(q);
    }
    // The layout is rebuilt whenever the augmented rows change (or an active-set solve has used
    // the embedding); building and measuring it is cheap next to the factorization.
    if (!newton_layout_ || rows != augmented_) {
      augmented_.swap(rows);
      BuildLayout(augmented_, p_.skip);
      MeasureBand(augmented_, newton_kl_, newton_ku_);
      newton_layout_ = true;
    }
    lu_.Reset(size_, newton_kl_, newton_ku_);
    ForEachEntry(augmented_, [&](int i, int j, double v) { lu_.Add(i, j, v); });
    reduced_weight_ = d;
    for (size_t a = 0; a < augmented_.size(); ++a) {
      const int q = augmented_[a];
      lu_.Add(kappa_[a], kappa_[a], -1.0 / d[q]);
      reduced_weight_[q] = 0.0;
    }
    for (int q = 0; q < num_rows(); ++q) {
      const double w = reduced_weight_[q];
      if (w == 0.0) continue;
      const Row& r = p_.rows[p_.free_rows[q]];
      lu_.Add(F_[r.j], F_[r.j], w * r.alpha * r.alpha);
      lu_.Add(G_[r.j], G_[r.j], w * r.gamma * r.gamma);
      lu_.Add(F_[r.j], G_[r.j], w * r.alpha * r.gamma);
      lu_.Add(G_[r.j], F_[r.j], w * r.alpha * r.gamma);
    }
    return lu_.Factorize();
  }

  void SolveEmbeddedNewton(const Eigen::VectorXd& rhs, const Eigen::VectorXd& row_rhs, Eigen::VectorXd& dx,
                           Eigen::VectorXd& w, Eigen::VectorXd& dnu, Eigen::VectorXd& cdx) const {
    const int m = p_.m;
    Eigen::VectorXd& b = work_rhs_;
    b.setZero(size_);
    // Reduced rows: their part of C^T w is C^T (d .* (C dx)) - C^T (d .* row_rhs); the first
    // term is in the matrix, the second moves to the right-hand side.
    ApplyRowsTransposed(reduced_weight_.cwiseProduct(row_rhs), work_ctw_);
    for (int i = 0; i + 1 < m; ++i) b[sigma_[i]] = rhs[i] + work_ctw_[i];
    for (size_t a = 0; a < augmented_.size(); ++a) b[kappa_[a]] = row_rhs[augmented_[a]];
    lu_.Solve(b);
    dx.resize(m - 1);
    for (int i = 0; i + 1 < m; ++i) dx[i] = b[sigma_[i]];
    ApplyRows(dx, cdx);
    w = reduced_weight_.cwiseProduct(cdx - row_rhs);  // the augmented rows' entries follow
    for (size_t a = 0; a < augmented_.size(); ++a) w[augmented_[a]] = b[kappa_[a]];
    dnu.setConstant(num_equalities(), nu_ >= 0 ? b[nu_] : 0.0);
  }

  // Unknowns are numbered block by block (one block per distinct value j) so that every
  // coupling stays within a narrow band: [g0], sigma_j, F_j, G_j, kappa's at j, lambda_j, mu_j,
  // [nu]. lambda_j defines F_j - F_{j+1} + h_j sigma_j = 0 (F_m = 0 for the last block); mu_j
  // defines G_{j+1} - G_j - h_j sigma_j = 0; g0 holds G_1 = 0 and nu the skip equality.
  void BuildLayout(const std::vector<int>& active, bool with_nu) {
    const int m = p_.m;
    sigma_.assign(m, -1); F_.assign(m, -1); G_.assign(m, -1); lam_.assign(m, -1); mu_.assign(m, -1);
    kappa_.assign(active.size(), -1);
    std::vector<std::vector<int>> at(m);
    for (size_t a = 0; a < active.size(); ++a) at[p_.rows[p_.free_rows[active[a]]].j].push_back(static_cast<int>(a));
    int next = 0;
    g0_ = next++;
    for (int j = 0; j < m; ++j) {
      if (j < m - 1) sigma_[j] = next++;
      F_[j] = next++;
      G_[j] = next++;
      for (int a : at[j]) kappa_[a] = next++;
      lam_[j] = next++;
      if (j < m - 1) mu_[j] = next++;
    }
    nu_ = with_nu ? next++ : -1;
    size_ = next;
  }

  // The Hessian of the dual objective, the definitions of F and G, the equalities, and the
  // rows held fixed (kappa). Bandwidth is measured from the entries themselves.
  void Assemble(const std::vector<int>& active) {
    // Two passes over the same entries: the first measures the band, the second fills it
    // (no list of entries is kept: at a million points it would cost more than the band).
    int kl = 0, ku = 0;
    MeasureBand(active, kl, ku);
    lu_.Reset(size_, kl, ku);
    ForEachEntry(active, [&](int i, int j, double v) { lu_.Add(i, j, v); });
  }

  void MeasureBand(const std::vector<int>& active, int& kl, int& ku) const {
    kl = ku = 1;
    ForEachEntry(active, [&](int i, int j, double) {
      kl = std::max(kl, i - j);
      ku = std::max(ku, j - i);
    });
  }

  template <typename Emit>
  void ForEachEntry(const std::vector<int>& active, Emit emit) const {
    const int m = p_.m;
    auto sym = [&](int i, int j, double v) {
      emit(i, j, v);
      if (i != j) emit(j, i, v);
    };
    for (int i = 0; i + 1 < m; ++i) {
      sym(sigma_[i], sigma_[i], HessianDiagonal(p_, i));
      if (i + 2 < m) sym(sigma_[i], sigma_[i + 1], HessianNext(p_, i));
      sym(lam_[i], F_[i], 1.0);
      sym(lam_[i], F_[i + 1], -1.0);
      sym(lam_[i], sigma_[i], p_.h[i]);
      sym(mu_[i], G_[i + 1], 1.0);
      sym(mu_[i], G_[i], -1.0);
      sym(mu_[i], sigma_[i], -p_.h[i]);
    }
    sym(lam_[m - 1], F_[m - 1], 1.0);  // F(t_m) = 0
    sym(g0_, G_[0], 1.0);              // G(t_1) = 0
    if (nu_ >= 0) sym(nu_, G_[m - 1], 1.0);
    for (size_t a = 0; a < active.size(); ++a) {
      const Row& r = p_.rows[p_.free_rows[active[a]]];
      if (r.alpha != 0.0) sym(F_[r.j], kappa_[a], r.alpha);
      if (r.gamma != 0.0) sym(G_[r.j], kappa_[a], r.gamma);
    }
  }


  // The chains of the Newton system (FactorizeNewton). A chain collects the rows of one kind:
  // right ramps (Y_i = sum of their multipliers at values <= i, C^T w = -h Y), left ramps
  // (Y_i = sum at values > i, C^T w = +h Y) or absolute values (prefix sums, C^T w = h (W - 2Y)).
  struct Chain {
    double coef = 0.0;          // c in C^T w = c h .* Y (+ the border)
    int sign = 1;               // +1: prefix sums (w_l = Y_l - Y_{l-1}); -1: suffix sums
    std::vector<int> row_at;    // free row at each value (link), or -1 (a pinned row)
    int first = 0, last = -1;   // the first and last links present
  };
  struct RowLink {
    int chain = 0, link = 0;
  };
  enum class Border { kNone, kTotal, kEquality };

  // A chain value that is an empty sum (prefix sums below the first link, suffix sums from the
  // last one) is zero and takes no unknown's place (its equation is Y = 0).
  static bool ChainValueIsZero(const Chain& c, int i) {
    return c.sign > 0 ? i < c.first : i >= c.last;
  }

  void BuildChains() {
    const int m = p_.m;
    const bool relu = p_.activation == Activation::kRelu;
    // relu: right ramps (alpha = 1) and, without skip, left ramps (gamma = 1); abs: one chain.
    const int count = relu && !p_.skip ? 2 : 1;
    chains_.assign(count, Chain{});
    for (Chain& c : chains_) c.row_at.assign(m, -1);
    chains_[0].coef = relu ? -1.0 : -2.0;
    if (count == 2) {
      chains_[1].coef = 1.0;
      chains_[1].sign = -1;
    }
    row_link_.resize(num_rows());
    for (int q = 0; q < num_rows(); ++q) {
      const Row& r = p_.rows[p_.free_rows[q]];
      const int chain = relu && r.alpha == 0.0 ? 1 : 0;
      chains_[chain].row_at[r.j] = q;
      row_link_[q] = {chain, r.j};
    }
    for (Chain& c : chains_) {
      c.first = m;
      c.last = -1;
      for (int j = 0; j < m; ++j) {
        if (c.row_at[j] < 0) continue;
        c.first = std::min(c.first, j);
        c.last = std::max(c.last, j);
      }
    }
    // Without the skip term, abs rows run over every value: the last one links Y_{m-2} to the
    // total W. With it, G(t_m) = 1 is kept by a multiplier whose column h is the border.
    border_ = p_.skip ? Border::kEquality : (relu ? Border::kNone : Border::kTotal);
    stride_ = 1 + count;
    // The Newton system relies on each chain's links being contiguous, a prefix chain's ending
    // at the last value only when its total is the border, a suffix chain's starting after the
    // first value (BuildProblem's rows are so).
    for (const Chain& c : chains_) {
      for (int j = c.first; j <= c.last; ++j) {
        if (c.row_at[j] < 0) throw std::logic_error("score matching: a gap in the rows of a value");
      }
      if ((c.sign > 0 && c.last == m - 1 && border_ != Border::kTotal) || (c.sign < 0 && c.first == 0)) {
        throw std::logic_error("score matching: unexpected rows at the ends of the data");
      }
    }
  }

  const Problem& p_;
  bool refine_ = false;  // iterative refinement of the equality solves (the path in beta)
  // The polish's embedding (SolveEqualityQp).
  std::vector<int> sigma_, F_, G_, lam_, mu_, kappa_;
  int g0_ = -1, nu_ = -1, size_ = 0;
  BandedLU lu_;
  // The Newton system (FactorizeNewton).
  std::vector<Chain> chains_;
  std::vector<RowLink> row_link_;
  Border border_ = Border::kNone;
  int stride_ = 2;  // unknowns per value: dsigma_i and one Y_i per chain
  BandedLU newton_lu_;
  Eigen::VectorXd border_column_, border_solution_;
  bool chain_form_ = true;
  bool newton_layout_ = false;  // the embedding's layout is the Newton system's, for augmented_
  std::vector<int> augmented_;   // the rows in augmented form
  int newton_kl_ = 0, newton_ku_ = 0;
  Eigen::VectorXd reduced_weight_;  // d on the light rows, 0 on the heavy ones (both forms)
  std::vector<int> work_rows_;
  mutable Eigen::VectorXd work_ctw_;
  double border_diagonal_ = 0.0, border_schur_ = 0.0;
  // Work space of the operator products and the Newton systems (no allocation per iteration).
  mutable Eigen::VectorXd work_F_, work_G_, work_a_, work_b_, work_rhs_;
  Eigen::VectorXd work_equality_rhs_, work_equality_x_;
  // The Schur-complement equality solves.
  bool hessian_factorized_ = false;
  std::vector<double> hessian_d_, hessian_l_;
  Eigen::MatrixXd work_schur_Z_;
};

// ---------------------------------------------------------------------------------------------
// The primal side: dictionary coefficients y, the profiled output bias / skip weight, the primal
// objective evaluated exactly in O(m) by prefix sums.
struct PrimalPoint {
  std::vector<std::pair<Column, double>> coefficients;
  double output_bias = 0.0;  // in centred coordinates
  double skip = 0.0;
  Eigen::VectorXd score;     // f at the distinct values
  double objective = 0.0;
  double l1 = 0.0;           // sum |y|, the weight decay of the network divided by beta
};

PrimalPoint EvaluatePrimal(const Problem& p, std::vector<std::pair<Column, double>> coefficients,
                           double beta) {
  const int m = p.m;
  const double n = p.n;
  PrimalPoint out;
  // Value coefficients of right ramps (x - t_j)_+ and left ramps (t_j - x)_+ at each j.
  std::vector<double> right(m, 0.0), left(m, 0.0);
  long double linear = 0.0, penalty = 0.0;
  for (const auto& [c, y] : coefficients) {
    switch (c.kind) {
      case ColumnKind::kRightClosed: case ColumnKind::kRightShifted: right[c.j] += y; break;
      case ColumnKind::kLeftClosed: case ColumnKind::kLeftShifted: left[c.j] += y; break;
      case ColumnKind::kAbsPlus: case ColumnKind::kAbsMinus: right[c.j] += y; left[c.j] += y; break;
    }
    linear += static_cast<long double>(y) * ColumnDerivativeMean(p, c);
    penalty += std::abs(y);
  }
  // The fitted values by their slopes, in extended precision: z_{i+1} = z_i + h_i S_i with S_i
  // the running sum of the right-ramp coefficients (and the mirror image for left ramps). Near
  // beta_min the coefficients reach 1e7 with alternating signs while z stays near 1e3, so the
  // form t_i sum_j y_j - sum_j y_j t_j, whose two terms cancel, would lose 1e-12 of z.
  std::vector<long double> zl(m, 0.0L);
  long double slope = 0.0L, value = 0.0L;
  for (int i = 0; i < m; ++i) {  // sum_{j<i} right_j (t_i - t_j)
    if (i > 0) value += static_cast<long double>(p.h[i - 1]) * slope;
    zl[i] = value;
    slope += right[i];
  }
  slope = value = 0.0L;
  for (int i = m - 1; i >= 0; --i) {  // sum_{j>i} left_j (t_j - t_i)
    if (i < m - 1) value += static_cast<long double>(p.h[i]) * slope;
    zl[i] += value;
    slope += left[i];
  }
  Eigen::VectorXd z(m);
  for (int i = 0; i < m; ++i) z[i] = static_cast<double>(zl[i]);
  // Profile out the unpenalised terms (t is centred, so the mean of t is 0).
  double mean_z = 0.0, mean_tz = 0.0, mean_tt = 0.0;
  for (int i = 0; i < m; ++i) {
    mean_z += p.k[i] * z[i] / n;
    mean_tz += p.k[i] * p.t[i] * z[i] / n;
    mean_tt += p.k[i] * p.t[i] * p.t[i] / n;
  }
  out.output_bias = -mean_z;
  if (p.skip) out.skip = -(mean_tz + 1.0) / mean_tt;
  out.score = z.array() + out.output_bias + out.skip * Eigen::Map<const Eigen::ArrayXd>(p.t.data(), m);
  long double quad = 0.0;
  for (int i = 0; i < m; ++i) quad += p.k[i] * out.score[i] * out.score[i];
  out.objective = static_cast<double>(quad / (2.0L * n) + linear + (p.skip ? out.skip : 0.0) +
                                      static_cast<long double>(beta) * penalty);
  out.l1 = static_cast<double>(penalty);
  out.coefficients = std::move(coefficients);
  return out;
}

// Dual objective at sigma (the dual is max -(1/2n) sum k f^2 with f the score implied by sigma).
double DualObjective(const Problem& p, const Eigen::VectorXd& f) {
  long double quad = 0.0;  // the certificate subtracts two such sums: keep their rounding low
  for (int i = 0; i < p.m; ++i) quad += p.k[i] * f[i] * f[i];
  return static_cast<double>(-quad / (2.0L * p.n));
}

// Worst violation of the free rows' bounds at sigma (<= 0 means dual feasible).
// F and G are summed in extended precision here: near beta_min the bounds are met to about
// 1e-14 and the slopes are large, so running sums in double would blur the certificate.
double DualInfeasibility(const Problem& p, const SlopeDualOperator& op, const Eigen::VectorXd& sigma,
                         double beta) {
  const int m = p.m;
  std::vector<long double> F(m, 0.0L), G(m, 0.0L);
  for (int j = m - 2; j >= 0; --j) F[j] = F[j + 1] - static_cast<long double>(p.h[j]) * sigma[j];
  for (int j = 1; j < m; ++j) G[j] = G[j - 1] + static_cast<long double>(p.h[j - 1]) * sigma[j - 1];
  double worst = -std::numeric_limits<double>::infinity();
  for (int q = 0; q < op.num_rows(); ++q) {
    const Row& r = p.rows[p.free_rows[q]];
    const double v = static_cast<double>(RowValue(r, F, G));
    worst = std::max({worst, (-beta + r.lower0) - v, v - (beta + r.upper0)});
  }
  return worst;
}

// ---------------------------------------------------------------------------------------------
// An active set of dual rows held at their bounds, and its exact solution.
struct ActiveRow {
  int q = 0;            // index among the free rows
  int side = 0;         // +1 upper bound, -1 lower bound, 0 closed row (free sign)
  double target = 0.0;  // the bound
};

struct ActiveSetSolution {
  bool solved = false;
  Eigen::VectorXd sigma;
  std::vector<double> kappa;  // multiplier per active row; the coefficient is y = -kappa
  bool signs_ok = false;      // every kappa has the sign its bound requires
};

// Solves the dual restricted to the active rows exactly (one banded solve). Without the skip
// term, M = F(t_1) is a coordinate of its own; rows at the end values fix it directly ("pure"
// rows, functional s * G(t_m)), and so does a right/left ramp pair active at one interior value
// (G_j = F_j - M). Two or more such sources make the rows linearly dependent: M is fixed instead
// (G(t_m) = -M), the sources are dropped, and the multiplier of G(t_m) is split back onto them
// with the required signs; for absolute values at both ends the split with flat tails (all
// coefficients summing to zero) is preferred.
// With `keep_wrong_signs`, a multiplier of G(t_m) that no split with the required signs can
// reproduce is split anyway (the rest on the last source) and reported through signs_ok, instead
// of failing: the path in beta (FollowPath) reads it as a source leaving the set.
ActiveSetSolution SolveActiveSet(const Problem& p, SlopeDualOperator& op, const std::vector<ActiveRow>& rows_in,
                                 bool keep_wrong_signs = false) {
  ActiveSetSolution out;
  std::vector<int> act;
  std::vector<double> tgt;
  for (const ActiveRow& r : rows_in) {
    act.push_back(r.q);
    tgt.push_back(r.target);
  }
  auto required_sign = [&](size_t a) { return rows_in[a].side; };
  std::vector<int> keep_index(act.size(), -1);  // position among the kept rows
  std::vector<size_t> pure, pair_left;          // indices into act
  std::map<int, size_t> right_at;               // interior j -> act index of its F row
  double g_last = std::numeric_limits<double>::quiet_NaN();
  if (!p.skip) {
    std::map<int, std::vector<size_t>> at_j;
    for (size_t a = 0; a < act.size(); ++a) at_j[p.rows[p.free_rows[act[a]]].j].push_back(a);
    std::vector<double> m_values;
    for (const auto& [j, list] : at_j) {
      if (j == 0 || j == p.m - 1) {
        for (size_t a : list) {
          const Row& r = p.rows[p.free_rows[act[a]]];
          const double coef_m = j == 0 ? r.alpha : -r.gamma;  // functional = coef_m * M
          pure.push_back(a);
          m_values.push_back(tgt[a] / coef_m);
        }
      } else if (list.size() == 2) {
        size_t ar = list[0], al = list[1];
        if (p.rows[p.free_rows[act[ar]]].alpha == 0.0) std::swap(ar, al);
        right_at[j] = ar;
        pair_left.push_back(al);
        m_values.push_back(tgt[ar] - tgt[al]);  // F_j - G_j
      }
    }
    if (m_values.size() >= 2) {
      for (double mv : m_values) {
        if (std::abs(mv - m_values[0]) > 1e-12 * (1.0 + std::abs(m_values[0]))) return out;
      }
      g_last = -m_values[0];
    } else {
      pure.clear();
      pair_left.clear();
      right_at.clear();
    }
  }
  std::vector<bool> dropped(act.size(), false);
  for (size_t a : pure) dropped[a] = true;
  for (size_t a : pair_left) dropped[a] = true;
  std::vector<int> kept;
  std::vector<double> kept_targets;
  for (size_t a = 0; a < act.size(); ++a) {
    if (dropped[a]) continue;
    keep_index[a] = static_cast<int>(kept.size());
    kept.push_back(act[a]);
    kept_targets.push_back(tgt[a]);
  }
  std::vector<double> kappa_kept;
  double nu = 0.0;
  if (!op.SolveEqualityQp(kept, kept_targets, g_last, out.sigma, kappa_kept, nu)) return out;
  std::vector<double> kappa(act.size(), 0.0);
  for (size_t a = 0; a < act.size(); ++a) {
    if (keep_index[a] >= 0) kappa[a] = kappa_kept[keep_index[a]];
  }
  if (std::isfinite(g_last) && !p.skip) {
    // Split nu: sum over pairs of kappa_left + sum over pure rows of s * kappa_pure = nu,
    // with kappa_right + kappa_left = the pair's solved multiplier, all signs as required.
    // weight * value enters the sum; a pair's left row takes its value from the pair's right
    // row (partner), whose multiplier was solved for both.
    struct Item { size_t a; double lo, hi, weight; std::optional<size_t> partner; };
    const double inf = std::numeric_limits<double>::infinity();
    auto sign_interval = [&](size_t a, double& lo, double& hi) {
      const int sgn = required_sign(a);
      lo = sgn > 0 ? 0.0 : -inf;
      hi = sgn < 0 ? 0.0 : inf;
    };
    std::vector<Item> items;
    for (size_t al : pair_left) {
      const int j = p.rows[p.free_rows[act[al]]].j;
      const size_t ar = right_at[j];
      double lo, hi, rlo, rhi;
      sign_interval(al, lo, hi);
      sign_interval(ar, rlo, rhi);  // kappa_right = combined - t must lie in [rlo, rhi]
      lo = std::max(lo, kappa[ar] - rhi);
      hi = std::min(hi, kappa[ar] - rlo);
      items.push_back({al, lo, hi, 1.0, ar});
    }
    for (size_t a : pure) {
      const Row& r = p.rows[p.free_rows[act[a]]];
      const double s_coef = r.j == 0 ? -r.alpha : r.gamma;  // functional = s * G(t_m)
      double lo, hi;
      sign_interval(a, lo, hi);
      items.push_back({a, lo, hi, s_coef, std::nullopt});
    }
    std::vector<double> value(items.size());
    double sum = 0.0;
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].lo > items[i].hi) {
        if (!keep_wrong_signs) return out;
        items[i].lo = items[i].hi = 0.0;
      }
      value[i] = std::clamp(0.0, items[i].lo, items[i].hi);
      sum += items[i].weight * value[i];
    }
    // Absolute-value units at both end values: among the optimal splits pick the one whose
    // tails are flat (sum of all coefficients zero), the Gaussian-Laplace convention.
    bool split_done = false;
    if (p.activation == Activation::kAbs && items.size() == 2 && pair_left.empty()) {
      double others = 0.0;
      for (size_t a = 0; a < act.size(); ++a) {
        if (!dropped[a]) others += kappa[a];
      }
      // w0 v0 + w1 v1 = nu and v0 + v1 = -others.
      const double w0 = items[0].weight, w1 = items[1].weight;
      if (w0 != w1) {
        const double v0 = (nu + w1 * others) / (w0 - w1);
        const double v1 = -others - v0;
        if (v0 >= items[0].lo && v0 <= items[0].hi && v1 >= items[1].lo && v1 <= items[1].hi) {
          value = {v0, v1};
          split_done = true;
        }
      }
    }
    for (size_t i = 0; i < items.size() && !split_done; ++i) {
      const double residual = nu - sum;
      if (residual == 0.0) break;
      const double room = residual / items[i].weight;  // change of value wanted
      const double moved = std::clamp(value[i] + room, items[i].lo, items[i].hi) - value[i];
      value[i] += moved;
      sum += items[i].weight * moved;
    }
    if (!split_done && std::abs(nu - sum) > 1e-12 * (1.0 + std::abs(nu))) {
      if (!keep_wrong_signs) return out;
      value.back() += (nu - sum) / items.back().weight;
    }
    for (size_t i = 0; i < items.size(); ++i) {
      kappa[items[i].a] = value[i];
      if (items[i].partner) kappa[*items[i].partner] -= value[i];
    }
  }
  out.solved = true;
  out.kappa = kappa;
  out.signs_ok = true;
  for (size_t a = 0; a < act.size(); ++a) {
    const int sgn = required_sign(a);
    if ((sgn > 0 && kappa[a] < 0.0) || (sgn < 0 && kappa[a] > 0.0)) out.signs_ok = false;
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
Thresholds1D ScoreMatching1DThresholds(const Sample1D& data, Activation activation, bool skip) {
  const Problem p = BuildProblem(data, activation, skip);
  Thresholds1D th;
  // beta_max: the zero network's dual point (u = 0, or the Gaussian score with the skip term)
  // must satisfy every row: beta >= lower0 - v and beta >= v - upper0.
  std::vector<double> U(p.m, 0.0), F, G;
  if (skip) {
    for (int j = 0; j < p.m; ++j) U[j] = -p.k[j] * p.t[j] / (p.variance * p.n);
  }
  FunctionalsFromMeasure(p, U, F, G);
  if (skip) {  // exact values of the pinned functionals (the formula above rounds them)
    F[0] = -1.0; G[p.m - 1] = 1.0;
  }
  F[p.m - 1] = 0.0; G[0] = 0.0;
  for (const Row& r : p.rows) {
    const double v = RowValue(r, F, G);
    th.beta_max = std::max({th.beta_max, r.lower0 - v, v - r.upper0});
  }
  // beta_min: the smallest beta for which the dual rows can hold at once. F(t_j) is free for
  // interior j; F(t_1) = M and G(t_j) = F(t_j) - M, with M free (M = -1 with the skip term).
  // Every condition reads a beta >= c + e M; minimise the upper envelope over M exactly.
  // The upper envelope g(M) = max_k (c_k + e_k M) / a_k. Only the highest line of each slope
  // matters, and the slopes take a handful of values (row coefficients are 0 or 1), so the
  // lines are reduced as they come, in a short flat list: at a million points a list of every
  // line, or a map of rows by value, cost a large part of a second.
  std::vector<std::pair<double, double>> best;  // (slope, highest intercept)
  auto add_line = [&](double a, double c, double e) {
    const double slope = skip ? 0.0 : e / a;
    const double intercept = skip ? (c - e) / a : c / a;  // skip: M = -1
    for (auto& [s, i] : best) {
      if (s == slope) {
        i = std::max(i, intercept);
        return;
      }
    }
    best.emplace_back(slope, intercept);
  };
  // Rows come in increasing j (BuildProblem), so the rows at one interior value are a run.
  for (size_t first = 0; first < p.rows.size();) {
    size_t last = first;
    while (last < p.rows.size() && p.rows[last].j == p.rows[first].j) ++last;
    const int j = p.rows[first].j;
    if (j == 0 || j == p.m - 1) {
      for (size_t q = first; q < last; ++q) {
        // functional = kappa * M (+ 0): alpha F(t_1) = alpha M; at the last value gamma G = -gamma M.
        const Row& r = p.rows[q];
        double kappa = 0.0;
        if (j == 0) kappa += r.alpha;
        if (j == p.m - 1) kappa -= r.gamma;
        add_line(1.0, r.lower0, -kappa);
        add_line(1.0, -r.upper0, kappa);
      }
    } else {
      for (size_t qa = first; qa < last; ++qa) {
        for (size_t qb = first; qb < last; ++qb) {
          const Row& a = p.rows[qa];
          const Row& b = p.rows[qb];
          const double sa = a.alpha + a.gamma, sb = b.alpha + b.gamma;
          add_line(sa + sb, sb * a.lower0 - sa * b.upper0, sb * a.gamma - sa * b.gamma);
        }
      }
    }
    first = last;
  }
  auto envelope = [&](double M) {
    double g = -std::numeric_limits<double>::infinity();
    for (const auto& [s, c] : best) g = std::max(g, c + s * M);
    return g;
  };
  double beta_min = std::numeric_limits<double>::infinity();
  bool has_pos = false, has_neg = false;
  for (const auto& [s, c] : best) { has_pos |= s > 0; has_neg |= s < 0; }
  if (!has_pos || !has_neg) {
    double flat = -std::numeric_limits<double>::infinity();
    for (const auto& [s, c] : best) {
      if (s == 0.0) flat = c;
    }
    beta_min = flat;
  } else {
    for (const auto& [s1, c1] : best) {
      for (const auto& [s2, c2] : best) {
        if (s1 < s2) beta_min = std::min(beta_min, envelope((c1 - c2) / (s2 - s1)));
      }
    }
  }
  th.beta_min = std::max(beta_min, 0.0);
  return th;
}

namespace {

// A candidate answer: dual slopes, primal coefficients, and their exact certificate.
struct Candidate {
  Eigen::VectorXd sigma;
  PrimalPoint primal;
  double dual = 0.0, gap = std::numeric_limits<double>::infinity(), infeasibility = 0.0;
  bool polished = false;
  std::vector<ActiveRow> active;  // the exactly solved active set, when polished
};

// The convex program at one value of beta: bounds, candidates and their certificates, the
// interior-point solve with its crossover to exact active sets, and active-set iterations.
class DualSolve {
 public:
  DualSolve(const Problem& p, SlopeDualOperator& op, const ScoreMatching1DOptions& options,
            double beta)
      : p_(p), op_(op), options_(options), beta_(beta), rows_(op.num_rows()),
        lower_(rows_), upper_(rows_), closed_(rows_, false) {
    // Rows whose box has (numerically) closed up at beta_min are equalities: the interior-point
    // method sees them slightly widened, the polish holds them exactly with a free sign.
    for (int q = 0; q < rows_; ++q) {
      lower_[q] = -beta + p.rows[p.free_rows[q]].lower0;
      upper_[q] = beta + p.rows[p.free_rows[q]].upper0;
      if (upper_[q] - lower_[q] <= 1e-12 * beta) {
        closed_[q] = true;
        const double mid = 0.5 * (lower_[q] + upper_[q]);
        lower_[q] = mid - 1e-12 * beta;
        upper_[q] = mid + 1e-12 * beta;
      }
    }
  }

  const Candidate& best() const { return best_; }
  int iterations() const { return iterations_; }

  bool Certified() const { return Certifies(best_); }

  bool Certifies(const Candidate& c) const {
    return c.gap <= options_.gap_tolerance * std::max(1.0, std::abs(c.primal.objective)) &&
           c.infeasibility <= 1e-10 * beta_;
  }

  // The zero network's dual point (exact for beta >= beta_max, and whenever no row is free).
  void ZeroNetwork(const Eigen::VectorXd& sigma0, bool exact) {
    best_.sigma = sigma0;
    best_.primal = EvaluatePrimal(p_, {}, beta_);
    best_.polished = exact;
    best_.active.clear();
    Certify(best_);
  }

  // Interior point with crossover: iterates are handed to the active-set polish, and the method
  // stops as soon as an exactly solved active set is certified (the last digits of an
  // interior-point solve are the hardest: its Newton systems degrade as the multipliers
  // separate). An iterate is handed over once it is close (residuals and complementarity below
  // 1e-8), or earlier, once it is roughly there (1e-3) and either identifies the same active set
  // as the iterate before (the active set usually settles many iterations before the last digits
  // do) or has stalled (complementarity down by less than half: the Newton systems are out of
  // digits, and further iterations only wait). The final iterate gets the thorough treatment.
  // The first run boosts the multipliers (InteriorPointOptions::dual_boost): near beta_min the
  // optimal ones reach 1e8 to 1e11 and a start at 1 would take most of the iterations to grow
  // them. A boosted run that ends without a certificate is followed by one without boosts.
  bool InteriorPoint(const Eigen::VectorXd& sigma0) {
    for (const double boost : {kDualBoost, 0.0}) {
      InteriorPointOptions ipm;
      ipm.max_iterations = options_.max_iterations;
      ipm.dual_boost = boost;
      std::vector<ActiveRow> previous;
      double previous_mu = std::numeric_limits<double>::infinity();
      ipm.on_iterate = [&](const InteriorPointState& st) {
        auto below = [&](double tol) {
          return st.primal_residual <= tol && st.dual_residual <= tol &&
                 st.mean_complementarity <= tol * beta_;
        };
        const bool stalled = st.mean_complementarity > 0.5 * previous_mu;
        previous_mu = st.mean_complementarity;
        if (!below(1e-3)) return false;
        std::vector<ActiveRow> act;
        const bool settled = Identify(st, 1.0, act) && SameRows(act, previous);
        previous = std::move(act);
        if (!settled && !stalled && !below(1e-8)) return false;
        // Close and stalled: this iterate is as good as the final one will be, so it gets the
        // final treatment now, and an unpolished answer within the tolerance ends the method.
        const bool final_treatment = stalled && below(1e-8);
        return Attempt(st, final_treatment) || (final_treatment && Certified());
      };
      const InteriorPointState final_state = SolveBoundedQp(op_, lower_, upper_, sigma0, ipm);
      iterations_ += final_state.iterations;
      if (!(best_.polished && Certified())) Attempt(final_state, true);
      // An unpolished answer within the gap tolerance is certified too (at very large n the
      // active set may not separate cleanly before the Newton systems run out of digits).
      if (Certified()) return true;
    }
    return false;
  }

  // Primal-dual active-set iterations from a given set: keep a row while its multiplier has the
  // right sign, add the rows the exact solution violates, until the set repeats.
  // With `sparse`, a pass drops the rows whose multiplier has the wrong sign and moves each
  // remaining row to the most violated row near it (SparseUpdate): from a nearby start (the
  // coarse optimum) this walks each unit to its kink without the large intermediate sets that
  // adding every violated row creates. A move overshoots when the kink's best place lies between
  // the old row and the most violated one (a flat stretch of the bound): the next pass's largest
  // violation is then no smaller, and that pass adds instead of moving, so that the exact solve
  // and the multipliers' signs decide between the two rows. In sparse passes a multiplier of
  // G(t_m) that no sign-correct split reproduces is kept as a wrong sign (its row then leaves)
  // rather than ending the passes. A pass whose exact solution
  // is feasible with multipliers of the right signs is accepted directly (a weakly active row,
  // tight with a zero multiplier, would otherwise make the set flip back and forth).
  bool ActiveSetIterations(std::vector<ActiveRow> act, int max_passes = 40, bool sparse = false) {
    Eigen::VectorXd v;
    std::set<std::vector<std::pair<int, int>>> seen;
    double previous_violation = std::numeric_limits<double>::infinity();
    for (int pass = 0; pass < max_passes; ++pass) {
      for (ActiveRow& r : act) r.target = r.side > 0 ? upper_[r.q] : r.side < 0 ? lower_[r.q] : r.target;
      const ActiveSetSolution sol = SolveActiveSet(p_, op_, act, /*keep_wrong_signs=*/sparse);
      ++iterations_;
      if (!sol.solved) return false;
      if (sol.signs_ok && Accept(act, sol, false) && Certified()) return true;
      op_.ApplyRows(sol.sigma, v);
      std::vector<double> kappa(rows_, 0.0);
      double kappa_scale = 1.0;
      for (size_t a = 0; a < act.size(); ++a) {
        kappa[act[a].q] += sol.kappa[a];
        kappa_scale = std::max(kappa_scale, std::abs(sol.kappa[a]));
      }
      std::vector<ActiveRow> next;
      if (sparse) {
        // An exchange that returns to a set already solved is cycling between two positions of
        // one kink where the optimum has two: keep the rows and add the worst charges instead.
        seen.insert(RowKey(act));
        double violation = 0.0;
        for (int q = 0; q < rows_; ++q) {
          if (!closed_[q]) violation = std::max({violation, v[q] - upper_[q], lower_[q] - v[q]});
        }
        const bool overshot = violation >= previous_violation;
        previous_violation = violation;
        next = SparseUpdate(act, sol, v, /*add=*/overshot);
        if (!overshot && seen.count(RowKey(next))) next = SparseUpdate(act, sol, v, /*add=*/true);
      } else {
        const double c = kappa_scale / beta_;  // balances multipliers against bound violations
        for (int q = 0; q < rows_; ++q) {
          if (closed_[q]) { next.push_back({q, 0, 0.5 * (lower_[q] + upper_[q])}); continue; }
          if (kappa[q] + c * (v[q] - upper_[q]) > 0.0) next.push_back({q, 1, upper_[q]});
          else if (-kappa[q] + c * (lower_[q] - v[q]) > 0.0) next.push_back({q, -1, lower_[q]});
        }
      }
      if (SameRows(next, act)) return Accept(act, sol, false) && Certified();
      act = std::move(next);
    }
    return false;
  }

  std::vector<ActiveRow> SparseUpdate(const std::vector<ActiveRow>& act, const ActiveSetSolution& sol,
                                      const Eigen::VectorXd& v, bool add) const {
    // Rows are grouped by type (F only, G only, both) and side. A violated row is charged to the
    // nearest (in value) row of its group in the set; each charged row moves to its most
    // violated charge (an exchange step: the unit's kink moves to where its bound is exceeded
    // most), or with `add` keeps its place and gains that charge as a second row. A group with
    // violations but no row in the set gains its most violated row.
    const double tol = 1e-13 * std::max(1.0, beta_);
    auto type_of = [&](int q) {
      const Row& r = p_.rows[p_.free_rows[q]];
      return r.alpha != 0.0 && r.gamma != 0.0 ? 2 : r.alpha != 0.0 ? 0 : 1;
    };
    std::vector<char> in_set(rows_, 0);
    std::vector<ActiveRow> kept;
    for (size_t a = 0; a < act.size(); ++a) {
      in_set[act[a].q] = 1;
      if (act[a].side == 0 || sol.kappa[a] * act[a].side >= 0.0) kept.push_back(act[a]);
    }
    // Per kept row: its best charge (q, violation); per group without members: the best row.
    std::vector<int> best_q(kept.size(), -1);
    std::vector<double> best_v(kept.size(), 0.0);
    int group_q[3][2];
    double group_v[3][2];
    std::vector<int> members[3][2];  // indices into kept, in increasing value
    for (auto& t : group_q) t[0] = t[1] = -1;
    for (size_t k = 0; k < kept.size(); ++k) {
      if (kept[k].side != 0) members[type_of(kept[k].q)][kept[k].side > 0 ? 1 : 0].push_back(static_cast<int>(k));
    }
    for (int q = 0; q < rows_; ++q) {
      if (in_set[q] || closed_[q]) continue;
      const int type = type_of(q), j = p_.rows[p_.free_rows[q]].j;
      for (int side = 0; side < 2; ++side) {
        const double violation = side == 1 ? v[q] - upper_[q] : lower_[q] - v[q];
        if (!(violation > tol)) continue;
        const std::vector<int>& list = members[type][side];
        if (list.empty()) {
          if (group_q[type][side] < 0 || violation > group_v[type][side]) {
            group_q[type][side] = q;
            group_v[type][side] = violation;
          }
          continue;
        }
        int nearest = list[0];
        for (int k : list) {
          const int jk = p_.rows[p_.free_rows[kept[k].q]].j;
          const int jn = p_.rows[p_.free_rows[kept[nearest].q]].j;
          if (std::abs(jk - j) < std::abs(jn - j)) nearest = k;
        }
        if (best_q[nearest] < 0 || violation > best_v[nearest]) {
          best_q[nearest] = q;
          best_v[nearest] = violation;
        }
      }
    }
    std::vector<ActiveRow> next;
    for (size_t k = 0; k < kept.size(); ++k) {
      if (best_q[k] < 0 || add) next.push_back(kept[k]);
      if (best_q[k] >= 0) next.push_back({best_q[k], kept[k].side, 0.0});
    }
    for (int type = 0; type < 3; ++type) {
      for (int side = 0; side < 2; ++side) {
        if (group_q[type][side] >= 0) next.push_back({group_q[type][side], side == 1 ? 1 : -1, 0.0});
      }
    }
    std::sort(next.begin(), next.end(), [](const ActiveRow& a, const ActiveRow& b) {
      return a.q != b.q ? a.q < b.q : a.side < b.side;
    });
    next.erase(std::unique(next.begin(), next.end(), [](const ActiveRow& a, const ActiveRow& b) {
      return a.q == b.q && a.side == b.side;
    }), next.end());
    return next;
  }

 private:
  // The dual bound is the dual objective less infeasibility * ||y||_1: a dual point that
  // violates its bounds by eps can exceed the optimum by at most eps times the l1 norm of the
  // optimal multipliers (the network's coefficients), so rounding-level violations are charged
  // to the certificate instead of being ignored.
  void Certify(Candidate& c) const {
    const Eigen::VectorXd f = ScoreFromSlopes(p_, c.sigma);
    c.infeasibility = std::max(0.0, DualInfeasibility(p_, op_, c.sigma, beta_));
    c.dual = DualObjective(p_, f) - c.infeasibility * c.primal.l1;
    c.gap = c.primal.objective - c.dual;
  }

  // Turns an exactly solved active set into a candidate; keeps it if it certifies better.
  bool Accept(const std::vector<ActiveRow>& act, const ActiveSetSolution& sol, bool prefer) {
    if (!sol.solved || !sol.signs_ok) return false;
    Candidate polished;
    polished.sigma = sol.sigma;
    std::vector<std::pair<Column, double>> pc;
    for (size_t a = 0; a < act.size(); ++a) {
      const Row& r = p_.rows[p_.free_rows[act[a].q]];
      const double y = -sol.kappa[a];
      const bool is_upper = act[a].side == 0 ? y < 0.0 : act[a].side > 0;
      if (y != 0.0) pc.push_back({is_upper ? r.col_upper : r.col_lower, y});
    }
    polished.primal = EvaluatePrimal(p_, std::move(pc), beta_);
    polished.polished = true;
    polished.active = act;
    Certify(polished);
    const double scale = std::max(1.0, std::abs(polished.dual));
    // Never trade a certified answer for one that is not (at a large dual value, 1e-12 * scale
    // admits more infeasibility than a certificate does).
    if (Certified() && !Certifies(polished)) return false;
    if (polished.infeasibility <= 1e-12 * scale &&
        (polished.gap <= best_.gap + 1e-15 * scale || best_.infeasibility > 0.0 || prefer)) {
      best_ = std::move(polished);
      return true;
    }
    return false;
  }

  // The active set read off an iterate: multiplier above threshold * slack.
  bool Identify(const InteriorPointState& st, double threshold, std::vector<ActiveRow>& act) const {
    act.clear();
    for (int q = 0; q < rows_; ++q) {
      if (closed_[q]) { act.push_back({q, 0, 0.5 * (lower_[q] + upper_[q])}); continue; }
      const bool at_lower = st.dual_lower[q] > threshold * st.slack_lower[q];
      const bool at_upper = st.dual_upper[q] > threshold * st.slack_upper[q];
      if (at_lower && at_upper) return false;
      if (at_lower) act.push_back({q, -1, lower_[q]});
      if (at_upper) act.push_back({q, 1, upper_[q]});
    }
    return true;
  }

  // Every candidate drawn from an interior-point iterate: (thorough only) its own multipliers,
  // the same trimmed to the identified active rows, and the exactly solved active set, read off
  // with a few thresholds on multiplier / slack because near beta_min the iterate can stop
  // before the two separate cleanly. Returns true once the best candidate is certified.
  bool Attempt(const InteriorPointState& st, bool thorough) {
    if (thorough) {
      Candidate from_ipm, trimmed;
      from_ipm.sigma = trimmed.sigma = st.x;
      std::vector<std::pair<Column, double>> coef, trimmed_coef;
      for (int q = 0; q < rows_; ++q) {
        const Row& r = p_.rows[p_.free_rows[q]];
        if (st.dual_lower[q] != 0.0) coef.push_back({r.col_lower, st.dual_lower[q]});
        if (st.dual_upper[q] != 0.0) coef.push_back({r.col_upper, -st.dual_upper[q]});
        // Trimmed: exact zeros off the identified active rows, so that the network has only the
        // neurons the optimum needs.
        if (closed_[q] || st.dual_lower[q] > st.slack_lower[q]) trimmed_coef.push_back({r.col_lower, st.dual_lower[q]});
        if (closed_[q] || st.dual_upper[q] > st.slack_upper[q]) trimmed_coef.push_back({r.col_upper, -st.dual_upper[q]});
      }
      from_ipm.primal = EvaluatePrimal(p_, std::move(coef), beta_);
      Certify(from_ipm);
      if (from_ipm.gap < best_.gap) best_ = from_ipm;
      trimmed.primal = EvaluatePrimal(p_, std::move(trimmed_coef), beta_);
      Certify(trimmed);
      if (trimmed.gap <= std::max(best_.gap, options_.gap_tolerance * std::max(1.0, std::abs(trimmed.dual)))) {
        best_ = trimmed;
      }
    }
    const bool flat_tails = p_.activation == Activation::kAbs && !p_.skip;
    // A weakly active row (multiplier and slack both small) can land on either side of a
    // threshold; a few thresholds are tried, then one in each wide gap (two decades or more)
    // between the rows' ratios above 1: near beta_min a few rows can sit at ratios of 1e6 with
    // the active ones at 1e9 and more. The exact solution depends on the set alone, so a set
    // already solved is not solved again.
    for (double threshold : Thresholds(st, /*gaps=*/thorough)) {
      if (best_.polished) break;
      std::vector<ActiveRow> act;
      if (!Identify(st, threshold, act) || !tried_.insert(RowKey(act)).second) continue;
      if (!Accept(act, SolveActiveSet(p_, op_, act), false)) continue;
      if (flat_tails) AddTightEndRows(act);
    }
    return best_.polished && Certified();
  }

  std::vector<double> Thresholds(const InteriorPointState& st, bool gaps) const {
    std::vector<double> thresholds = {1.0, 1e-3, 1e3, 1e-6, 1e6};
    if (!gaps) return thresholds;
    std::vector<double> logs;
    for (int q = 0; q < rows_; ++q) {
      const double ratio = std::max(st.dual_lower[q] / st.slack_lower[q], st.dual_upper[q] / st.slack_upper[q]);
      if (ratio >= 1.0) logs.push_back(std::log10(ratio));
    }
    std::sort(logs.begin(), logs.end());
    for (size_t i = 1; i < logs.size(); ++i) {
      if (logs[i] - logs[i - 1] >= 2.0) thresholds.push_back(std::pow(10.0, 0.5 * (logs[i] + logs[i - 1])));
    }
    return thresholds;
  }

  static std::vector<std::pair<int, int>> RowKey(const std::vector<ActiveRow>& act) {
    std::vector<std::pair<int, int>> key;
    key.reserve(act.size());
    for (const ActiveRow& r : act) key.push_back({r.q, r.side});
    return key;
  }

  static bool SameRows(const std::vector<ActiveRow>& a, const std::vector<ActiveRow>& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const ActiveRow& x, const ActiveRow& y) {
             return x.q == y.q && x.side == y.side;
           });
  }

  // Flat tails need both end units of an absolute-value network: bring in an end row that is
  // tight at the exact solution but was not identified, and solve again.
  void AddTightEndRows(const std::vector<ActiveRow>& act) {
    Eigen::VectorXd v;
    op_.ApplyRows(best_.sigma, v);
    std::vector<ActiveRow> more = act;
    for (int q = 0; q < rows_; ++q) {
      const int j = p_.rows[p_.free_rows[q]].j;
      if (j != 0 && j != p_.m - 1) continue;
      if (std::any_of(act.begin(), act.end(), [&](const ActiveRow& r) { return r.q == q; })) continue;
      const double tol = 1e-12 * std::max(1.0, std::abs(v[q]));
      if (std::abs(v[q] - lower_[q]) <= tol) more.push_back({q, -1, lower_[q]});
      else if (std::abs(v[q] - upper_[q]) <= tol) more.push_back({q, 1, upper_[q]});
    }
    if (more.size() > act.size()) Accept(more, SolveActiveSet(p_, op_, more), true);
  }

  const Problem& p_;
  SlopeDualOperator& op_;
  const ScoreMatching1DOptions& options_;
  const double beta_;
  const int rows_;
  Eigen::VectorXd lower_, upper_;
  std::vector<bool> closed_;
  Candidate best_;
  int iterations_ = 0;
  std::set<std::vector<std::pair<int, int>>> tried_;  // active sets already solved exactly
};

ScoreMatching1DResult Fit(const Sample1D& data, const ScoreMatching1DOptions& options,
                          std::vector<std::pair<Column, double>>* columns);

// The exact solution path of the dual in beta (docs/theory.md, "The solution path in beta").
// The bounds are affine in beta, so for a fixed active set the exact solution (sigma and the
// multipliers) is affine in beta too. From beta_from, where `act` is an optimal active set, the
// path is followed towards beta_to one breakpoint at a time: solve the set at beta_to, find the
// first point of the segment where a multiplier reaches zero (the row leaves) or a row outside
// the set reaches its bound (it enters), move there, update the set and repeat. Returns true
// with `act` the active set at beta_to once a whole segment is free of events. Each breakpoint
// costs one banded solve. `solves` counts them; at most `max_solves`.
bool FollowPath(const Problem& p, SlopeDualOperator& op, double beta_from, double beta_to,
                std::vector<ActiveRow>& act, int& solves, int max_solves) {
  const int rows = op.num_rows();
  auto bounds = [&](int q, double beta, double& lo, double& hi) {
    const Row& r = p.rows[p.free_rows[q]];
    lo = -beta + r.lower0;
    hi = beta + r.upper0;
  };
  auto set_targets = [&](std::vector<ActiveRow>& a, double beta) {
    for (ActiveRow& r : a) {
      double lo, hi;
      bounds(r.q, beta, lo, hi);
      r.target = r.side > 0 ? hi : r.side < 0 ? lo : 0.5 * (lo + hi);
    }
  };
  set_targets(act, beta_from);
  ActiveSetSolution cur = SolveActiveSet(p, op, act, true);
  ++solves;
  if (!cur.solved) return false;
  Eigen::VectorXd v_cur, v_end;
  op.ApplyRows(cur.sigma, v_cur);
  double beta = beta_from;
  std::vector<char> in_set(rows, 0);
  while (solves < max_solves) {
    std::vector<ActiveRow> at_end = act;
    set_targets(at_end, beta_to);
    const ActiveSetSolution end = SolveActiveSet(p, op, at_end, true);
    ++solves;
    if (!end.solved) return false;
    op.ApplyRows(end.sigma, v_end);
    // Along the segment s in [0, 1] (beta = beta + s (beta_to - beta)) every quantity is the
    // affine interpolation of its values at the two ends.
    double s_min = std::numeric_limits<double>::infinity();
    std::vector<std::pair<double, int>> leave, enter;  // (s, index into act) and (s, +-(q+1))
    for (size_t a = 0; a < act.size(); ++a) {
      if (act[a].side == 0) continue;
      const double k0 = std::max(0.0, cur.kappa[a] * act[a].side), k1 = end.kappa[a] * act[a].side;
      if (!(k1 < 0.0)) continue;
      const double s = k0 / (k0 - k1);
      leave.push_back({s, static_cast<int>(a)});
      s_min = std::min(s_min, s);
    }
    std::fill(in_set.begin(), in_set.end(), 0);
    for (const ActiveRow& r : act) in_set[r.q] = 1;
    for (int q = 0; q < rows; ++q) {
      if (in_set[q]) continue;
      double lo0, hi0, lo1, hi1;
      bounds(q, beta, lo0, hi0);
      bounds(q, beta_to, lo1, hi1);
      const double tol = 1e-13 * (1.0 + std::abs(hi1) + std::abs(lo1));
      for (int side : {1, -1}) {
        const double g0 = std::min(0.0, side > 0 ? v_cur[q] - hi0 : lo0 - v_cur[q]);
        const double g1 = side > 0 ? v_end[q] - hi1 : lo1 - v_end[q];
        if (!(g1 > tol)) continue;
        const double s = -g0 / (g1 - g0);
        enter.push_back({s, side * (q + 1)});
        s_min = std::min(s_min, s);
      }
    }
    if (!std::isfinite(s_min)) {  // no event: the set is optimal along the whole segment
      act = std::move(at_end);
      return end.signs_ok;
    }
    // Move to the first breakpoint. One event at a time: rows that meet their bounds at the same
    // point may be copies of one constraint (the two end rows without the skip term, the two
    // rows of a ramp pair once M is fixed), and only one of them may enter; the others are
    // found again, at s = 0, on the next segment if they still have to move.
    const double s = s_min;
    cur.sigma = (1.0 - s) * cur.sigma + s * end.sigma;
    v_cur = (1.0 - s) * v_cur + s * v_end;
    std::vector<double> kappa(act.size());
    for (size_t a = 0; a < act.size(); ++a) kappa[a] = (1.0 - s) * cur.kappa[a] + s * end.kappa[a];
    beta = beta + s * (beta_to - beta);
    std::vector<ActiveRow> next;
    std::vector<double> next_kappa;
    int dropped = -1;
    for (const auto& [se, a] : leave) {
      if (se == s_min && dropped < 0) dropped = a;
    }
    for (size_t a = 0; a < act.size(); ++a) {
      if (static_cast<int>(a) == dropped) continue;
      next.push_back(act[a]);
      next_kappa.push_back(kappa[a]);
    }
    if (dropped < 0) {
      for (const auto& [se, code] : enter) {
        if (se != s_min) continue;
        next.push_back({std::abs(code) - 1, code > 0 ? 1 : -1, 0.0});
        next_kappa.push_back(0.0);
        break;
      }
    }
    // Keep the set ordered by row (the order SolveActiveSet and the certificates expect).
    std::vector<size_t> order(next.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      return next[x].q != next[y].q ? next[x].q < next[y].q : next[x].side < next[y].side;
    });
    act.clear();
    cur.kappa.clear();
    for (size_t i : order) {
      act.push_back(next[i]);
      cur.kappa.push_back(next_kappa[i]);
    }
  }
  return false;
}

// Active-set passes from the coarse start before falling back to the interior-point method. On
// the benchmark mixture (n = 5e3 .. 1e6, beta 0.05 .. 0.5, seeds 1 to 3) the passes that end
// certified need 1 to 11; a failed pass costs one exact solve, the fallback about 20.
constexpr int kCoarsePasses = 12;

// Continuation towards beta_min: active-set iterations tried on each step of the walk before the
// exact path, and up to which beta (beta_min times one plus this) the path starts at beta_min
// itself when it can (measured, docs/theory.md section 20).
constexpr int kWalkPasses = 40;
constexpr double kPathFromBetaMin = 0.6;

// A starting active set from a coarser data set: consecutive distinct values are merged in
// blocks of kBlock onto the block's middle value (a value of the data, carrying the block's
// count; the end values stay on their own), the coarse program is solved (recursively, so each
// level is kBlock times smaller), and its optimal units are moved onto the rows of the same
// kinks here. Empty when the data are small, when beta is close to the coarse beta_min, or when
// the coarse fit is not certified.
std::vector<ActiveRow> CoarseActiveSet(const Sample1D& data, const Problem& p,
                                       const ScoreMatching1DOptions& options) {
  constexpr int kBlock = 8, kMinDistinct = 4000;
  const int m = p.m;
  if (!options.coarse_start || m < kMinDistinct) return {};
  Sample1D coarse;
  std::vector<int> full_index;
  auto add = [&](int first, int last) {  // values first..last merged onto the middle one
    const int mid = (first + last) / 2;
    int count = 0;
    for (int j = first; j <= last; ++j) count += data.counts[j];
    coarse.values.push_back(data.values[mid]);
    coarse.counts.push_back(count);
    full_index.push_back(mid);
  };
  add(0, 0);
  for (int first = 1; first < m - 1; first += kBlock) add(first, std::min(first + kBlock, m - 1) - 1);
  add(m - 1, m - 1);
  coarse.n = data.n;
  double sum = 0.0, ss = 0.0;
  for (int j = 0; j < coarse.distinct(); ++j) sum += coarse.counts[j] * coarse.values[j];
  coarse.mean = sum / coarse.n;
  for (int j = 0; j < coarse.distinct(); ++j) {
    ss += coarse.counts[j] * (coarse.values[j] - coarse.mean) * (coarse.values[j] - coarse.mean);
  }
  coarse.variance = ss / coarse.n;
  const Thresholds1D th = ScoreMatching1DThresholds(coarse, options.activation, options.skip);
  if (!(options.beta > 4.0 * th.beta_min && options.beta < th.beta_max)) return {};
  std::vector<std::pair<Column, double>> columns;
  const ScoreMatching1DResult fit = Fit(coarse, options, &columns);
  if (fit.summary.status != SolveStatus::kOptimal) return {};
  // Free rows by value: the row whose lower (upper) bound activates a column of a given kind.
  std::vector<int> first_row(m + 1, 0);
  for (int r : p.free_rows) ++first_row[p.rows[r].j + 1];
  for (int j = 0; j < m; ++j) first_row[j + 1] += first_row[j];
  std::vector<ActiveRow> act;
  for (const auto& [c, y] : columns) {
    if (y == 0.0) continue;
    const int j = full_index[c.j];
    for (int q = first_row[j]; q < first_row[j + 1]; ++q) {
      const Row& r = p.rows[p.free_rows[q]];
      if (r.col_lower.kind == c.kind && y > 0.0) act.push_back({q, -1, 0.0});
      if (r.col_upper.kind == c.kind && y < 0.0) act.push_back({q, 1, 0.0});
    }
  }
  std::sort(act.begin(), act.end(), [](const ActiveRow& a, const ActiveRow& b) { return a.q < b.q; });
  return act;
}

// Follows the exact path from beta_from, where `act` is an optimal active set, to beta_to, and
// confirms the set reached there by the exact certificate. On success `out` holds the certified
// answer at beta_to; `iterations` counts every solve.
bool PathTo(const Problem& p, SlopeDualOperator& op, const ScoreMatching1DOptions& options,
            double beta_from, std::vector<ActiveRow> act, double beta_to,
            std::unique_ptr<DualSolve>& out, int& iterations) {
  int solves = 0;
  op.set_refine(true);
  const bool followed = FollowPath(p, op, beta_from, beta_to, act, solves, 4 * p.m + 100);
  iterations += solves;
  if (!followed) {
    op.set_refine(false);
    return false;
  }
  auto at = std::make_unique<DualSolve>(p, op, options, beta_to);
  const bool certified = at->ActiveSetIterations(act, 1);
  op.set_refine(false);
  if (!certified) {
    iterations += at->iterations();
    return false;
  }
  out = std::move(at);  // its solve is counted with it
  return true;
}

// When every free row's box closes at beta_min (absolute values without the skip term on
// distinct data), the dual point there is fixed by the rows alone: the rows are solved as
// equalities, and each row whose multiplier is not zero is the start of the path on the side
// its multiplier's sign gives. Two end rows on those sides would hold M at both ends of its
// interval, which is one point only at beta_min itself: the one kept is the one whose
// multiplier, carrying the whole of M's, keeps its sign. False if the boxes do not all close.
bool ActiveSetAtBetaMin(const Problem& p, SlopeDualOperator& op, double beta_min,
                        std::vector<ActiveRow>& act, int& iterations) {
  const int rows = op.num_rows();
  bool all_closed = rows > 0;
  for (int q = 0; q < rows && all_closed; ++q) {
    const Row& r = p.rows[p.free_rows[q]];
    all_closed = (2.0 * beta_min + r.upper0 - r.lower0) <= 1e-12 * beta_min;
  }
  if (!all_closed) return false;
  std::vector<ActiveRow> closed;
  for (int q = 0; q < rows; ++q) {
    const Row& r = p.rows[p.free_rows[q]];
    closed.push_back({q, 0, 0.5 * (r.lower0 + r.upper0)});
  }
  const ActiveSetSolution sol = SolveActiveSet(p, op, closed);
  ++iterations;
  if (!sol.solved) return false;
  act.clear();
  std::vector<ActiveRow> ends;  // rows at the end values: each of them fixes M alone
  for (int q = 0; q < rows; ++q) {
    if (sol.kappa[q] == 0.0) continue;
    const int j = p.rows[p.free_rows[q]].j;
    (j == 0 || j == p.m - 1 ? ends : act).push_back({q, sol.kappa[q] > 0.0 ? 1 : -1, 0.0});
  }
  std::optional<ActiveRow> keep;
  if (ends.size() == 1) keep = ends[0];
  for (size_t e = 0; e < ends.size() && ends.size() > 1 && !keep; ++e) {
    std::vector<ActiveRow> trial = act;
    trial.push_back(ends[e]);
    for (ActiveRow& r : trial) {
      const Row& row = p.rows[p.free_rows[r.q]];
      r.target = r.side > 0 ? beta_min + row.upper0 : -beta_min + row.lower0;
    }
    const ActiveSetSolution t = SolveActiveSet(p, op, trial);
    ++iterations;
    if (t.solved && t.signs_ok) keep = ends[e];
  }
  if (keep) act.push_back(*keep);
  std::sort(act.begin(), act.end(), [](const ActiveRow& a, const ActiveRow& b) { return a.q < b.q; });
  return true;
}

ScoreMatching1DResult Fit(const Sample1D& data, const ScoreMatching1DOptions& options,
                          std::vector<std::pair<Column, double>>* columns) {
  const auto start = std::chrono::steady_clock::now();
  const double beta = options.beta;
  if (!std::isfinite(beta) || beta <= 0.0) {
    std::ostringstream msg;
    msg << "beta must be a positive number, got " << beta;
    throw Error(msg.str());
  }
  ScoreMatching1DResult result;
  result.thresholds = ScoreMatching1DThresholds(data, options.activation, options.skip);
  const double beta_min = result.thresholds.beta_min, beta_max = result.thresholds.beta_max;
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  // At beta_min itself the optimum can still be attained; only rounding separates the two.
  if (beta < beta_min * (1.0 - 1e-12)) {
    std::ostringstream msg;
    msg.precision(10);
    msg << "beta = " << beta << " is below beta_min = " << beta_min
        << ": the score-matching objective is unbounded below";
    result.summary.status = SolveStatus::kUnbounded;
    result.summary.message = msg.str();
    result.summary.objective = -std::numeric_limits<double>::infinity();
    result.summary.seconds = elapsed();
    return result;
  }
  const Problem p = BuildProblem(data, options.activation, options.skip);
  SlopeDualOperator op(p);
  // The zero network's dual point (it satisfies the skip equality exactly): the interior-point
  // method starts there.
  Eigen::VectorXd sigma0 = Eigen::VectorXd::Zero(p.m - 1);
  if (p.skip) {
    double cumulative = 0.0;
    for (int i = 0; i + 1 < p.m; ++i) {
      cumulative += -p.k[i] * p.t[i] / (p.variance * p.n);
      sigma0[i] = cumulative;
    }
  }
  auto solve = std::make_unique<DualSolve>(p, op, options, beta);
  int iterations = 0;
  // Large data: active-set passes from the coarse optimum first (exact, and certified when they
  // converge); the interior-point method, from scratch, only if they do not.
  const bool closed_form = beta >= beta_max || op.num_rows() == 0;
  bool from_coarse = false;
  if (!closed_form) {
    const std::vector<ActiveRow> coarse = CoarseActiveSet(data, p, options);
    if (!coarse.empty()) {
      from_coarse = solve->ActiveSetIterations(coarse, kCoarsePasses, /*sparse=*/true);
      if (!from_coarse) {
        iterations += solve->iterations();
        solve = std::make_unique<DualSolve>(p, op, options, beta);
      }
    }
  }
  if (closed_form) {
    // Closed form: the zero network (with the skip term, the empirical Gaussian score) is
    // optimal; its own dual point certifies it. With no free row (two distinct values and the
    // skip term) sigma is fixed by the equality.
    solve->ZeroNetwork(sigma0, true);
  } else if (!from_coarse && !solve->InteriorPoint(sigma0)) {
    // What the interior-point method could not certify (close to beta_min its Newton systems
    // lose the digits the thin dual boxes need) is found by continuation in beta, each stage
    // exact. Up to 1.6 beta_min, when the boxes all close there, the exact path from beta_min
    // itself (few breakpoints so close to it). Otherwise: an anchor, an exact active set at a
    // larger beta (the interior-point method at beta_min + 4^k (beta - beta_min), at least
    // 2 beta_min, or the empty set at beta_max); then a walk down to beta, halving the distance
    // to beta_min, each step started from the previous exact active set by a few active-set
    // iterations and, when they do not settle, by the exact path of the whole step.
    iterations += solve->iterations();
    std::vector<ActiveRow> act;
    std::unique_ptr<DualSolve> done;
    if (beta - beta_min <= kPathFromBetaMin * beta_min &&
        ActiveSetAtBetaMin(p, op, beta_min, act, iterations) &&
        PathTo(p, op, options, beta_min, act, beta, done, iterations)) {
      solve = std::move(done);  // its solve is counted below
    } else {
      double anchor = beta_min + std::max(beta - beta_min, 0.25 * beta_min);
      for (;;) {
        anchor = beta_min + 4.0 * (anchor - beta_min);
        if (anchor >= beta_max) {
          anchor = beta_max;
          act.clear();
          break;
        }
        DualSolve at(p, op, options, anchor);
        const bool ok = at.InteriorPoint(sigma0);
        iterations += at.iterations();
        if (ok && at.best().polished) {
          act = at.best().active;
          break;
        }
      }
      double current = anchor, fraction = 0.5;  // next = beta_min + fraction * (current - beta_min)
      while (current > beta) {
        const double next = std::max(beta, beta_min + fraction * (current - beta_min));
        auto step = std::make_unique<DualSolve>(p, op, options, next);
        bool ok = step->ActiveSetIterations(act, kWalkPasses);
        iterations += step->iterations();
        if (!ok && PathTo(p, op, options, current, act, next, step, iterations)) {
          ok = true;
          iterations += step->iterations();
        }
        if (ok) {
          act = step->best().active;
          current = next;
          if (current == beta) solve = std::move(step);
          fraction = std::max(0.5, 1.0 - 2.0 * (1.0 - fraction));  // a longer step again
        } else {
          fraction = 1.0 - 0.5 * (1.0 - fraction);  // a shorter step
          if (fraction > 0.999) break;
        }
      }
      iterations -= solve->iterations();  // counted below
    }
  }
  iterations += solve->iterations();
  const Candidate& best = solve->best();

  const double scale = std::max(1.0, std::abs(best.primal.objective));
  SolveSummary& s = result.summary;
  s.objective = best.primal.objective;
  s.dual_objective = best.dual;
  s.duality_gap = best.gap;
  s.relative_gap = best.gap / scale;
  const Eigen::VectorXd f_dual = ScoreFromSlopes(p, best.sigma);
  const double stationarity = (best.primal.score - f_dual).lpNorm<Eigen::Infinity>() /
                              std::max(1.0, f_dual.lpNorm<Eigen::Infinity>());
  s.kkt_residual = std::max(stationarity, best.infeasibility / scale);
  s.iterations = iterations;
  s.polished = best.polished;
  const bool certified = solve->Certified();
  s.status = certified ? SolveStatus::kOptimal : SolveStatus::kIterationLimit;
  {
    std::ostringstream msg;
    msg.precision(3);
    msg << (certified ? "optimal" : "stopped before the tolerance") << ": relative duality gap "
        << s.relative_gap << " after " << iterations << " iterations"
        << (best.polished ? " (active set solved exactly)" : "");
    s.message = msg.str();
  }

  // Reconstruct the network in the data's own coordinates. One-sided kinks are realised by a
  // shift far below the spacing of the data (docs/theory.md, "derivative at a kink").
  Network1D& net = result.network;
  net.activation = options.activation;
  for (const auto& [c, y] : best.primal.coefficients) {
    if (y == 0.0) continue;
    const double tj = data.values[c.j];
    double gap_right = c.j + 1 < p.m ? data.values[c.j + 1] - tj : 1.0;
    double gap_left = c.j > 0 ? tj - data.values[c.j - 1] : 1.0;
    const double ulp = std::nextafter(std::abs(tj), INFINITY) - std::abs(tj);
    auto shift = [&](double gap) { return std::max(gap * 1e-12, 16.0 * ulp); };
    double kink = tj, orientation = 1.0;
    switch (c.kind) {
      case ColumnKind::kRightClosed: case ColumnKind::kAbsPlus: break;
      case ColumnKind::kRightShifted: case ColumnKind::kAbsMinus: kink = tj + shift(gap_right); break;
      case ColumnKind::kLeftClosed: orientation = -1.0; break;
      case ColumnKind::kLeftShifted: orientation = -1.0; kink = tj - shift(gap_left); break;
    }
    const double scale_y = std::sqrt(std::abs(y));
    Neuron1D u;
    u.w = orientation * scale_y;
    u.b = -u.w * kink;
    u.a = (y > 0.0 ? 1.0 : -1.0) * scale_y;
    net.neurons.push_back(u);
  }
  net.skip = best.primal.skip;
  net.output_bias = best.primal.output_bias - best.primal.skip * p.center;
  result.active_neurons = static_cast<int>(net.neurons.size());
  result.score_on_data.assign(best.primal.score.data(), best.primal.score.data() + p.m);
  s.seconds = elapsed();
  if (columns != nullptr) *columns = best.primal.coefficients;
  return result;
}

}  // namespace

ScoreMatching1DResult FitScoreMatching1D(const Sample1D& data, const ScoreMatching1DOptions& options) {
  return Fit(data, options, nullptr);
}

namespace internal {

NewtonFormsComparison CompareNewtonForms(const Sample1D& data, Activation activation, bool skip,
                                         double spread, std::uint64_t seed) {
  const Problem p = BuildProblem(data, activation, skip);
  SlopeDualOperator op(p);
  NewtonFormsComparison out;
  out.rows = op.num_rows();
  std::mt19937_64 bits(seed);
  auto uniform = [&]() { return OpenUniform(bits); };
  Eigen::VectorXd d(out.rows), row_rhs(out.rows), rhs(op.num_variables());
  for (int q = 0; q < out.rows; ++q) {
    d[q] = std::exp(uniform() * std::log(spread));
    row_rhs[q] = uniform() - 0.5;
  }
  for (int i = 0; i < rhs.size(); ++i) rhs[i] = uniform() - 0.5;
  auto residual = [&](const Eigen::VectorXd& dx, const Eigen::VectorXd& w, const Eigen::VectorXd& dnu) {
    Eigen::VectorXd hx, ctw, etnu, cdx;
    op.ApplyHessian(dx, hx);
    op.ApplyRowsTransposed(w, ctw);
    op.ApplyEqualitiesTransposed(dnu, etnu);
    op.ApplyRows(dx, cdx);
    const double first = (rhs - hx - ctw - etnu).lpNorm<Eigen::Infinity>() /
                         (rhs.lpNorm<Eigen::Infinity>() + hx.lpNorm<Eigen::Infinity>() + ctw.lpNorm<Eigen::Infinity>());
    double rows = 0.0;
    for (int q = 0; q < out.rows; ++q) {
      const double scaled = w[q] / d[q];
      rows = std::max(rows, std::abs(row_rhs[q] - cdx[q] + scaled) /
                                (std::abs(row_rhs[q]) + std::abs(cdx[q]) + std::abs(scaled)));
    }
    double equality = 0.0;
    if (skip) {
      for (int i = 0; i < dx.size(); ++i) equality += p.h[i] * dx[i];
      equality = std::abs(equality) / dx.lpNorm<Eigen::Infinity>();
    }
    return std::max({first, rows, equality});
  };
  Eigen::VectorXd dx_chain, w_chain, nu_chain, dx_embedded, w_embedded, nu_embedded;
  if (!op.FactorizeChainNewton(d)) return out;
  Eigen::VectorXd cdx;
  op.SolveChainNewton(rhs, row_rhs, dx_chain, w_chain, nu_chain, cdx);
  if (!op.FactorizeEmbeddedNewton(d)) return out;
  op.SolveEmbeddedNewton(rhs, row_rhs, dx_embedded, w_embedded, nu_embedded, cdx);
  out.chain_residual = residual(dx_chain, w_chain, nu_chain);
  out.embedded_residual = residual(dx_embedded, w_embedded, nu_embedded);
  out.dx_difference = (dx_chain - dx_embedded).lpNorm<Eigen::Infinity>() / dx_embedded.lpNorm<Eigen::Infinity>();
  out.w_difference = (w_chain - w_embedded).lpNorm<Eigen::Infinity>() / w_embedded.lpNorm<Eigen::Infinity>();
  return out;
}

EqualitySolvesComparison CompareEqualitySolves(const Sample1D& data, Activation activation, bool skip,
                                               int count, double g_last, std::uint64_t seed) {
  const Problem p = BuildProblem(data, activation, skip);
  SlopeDualOperator op(p);
  std::mt19937_64 bits(seed);
  auto uniform = [&]() { return OpenUniform(bits); };
  // One free row per value, at `count` distinct values.
  std::vector<int> by_value(p.m, -1);
  for (int q = 0; q < op.num_rows(); ++q) {
    const int j = p.rows[p.free_rows[q]].j;
    if (by_value[j] < 0 || uniform() < 0.5) by_value[j] = q;
  }
  std::vector<int> candidates;
  for (int q : by_value) {
    if (q >= 0) candidates.push_back(q);
  }
  std::vector<int> active;
  std::vector<double> targets;
  while (static_cast<int>(active.size()) < count && !candidates.empty()) {
    const size_t pick = static_cast<size_t>(uniform() * static_cast<double>(candidates.size()));
    active.push_back(candidates[pick]);
    candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(pick));
    targets.push_back(2.0 * uniform() - 1.0);
  }
  std::sort(active.begin(), active.end());
  EqualitySolvesComparison out;
  Eigen::VectorXd sigma_schur, sigma_embedded;
  std::vector<double> kappa_schur, kappa_embedded;
  double nu_schur = 0.0, nu_embedded = 0.0;
  const double last = skip ? 1.0 : g_last;
  out.schur_used = op.SolveEqualityQpBySchur(active, targets, last, sigma_schur, kappa_schur, nu_schur);
  if (!out.schur_used) return out;
  if (!op.SolveEqualityQpByEmbedding(active, targets, last, sigma_embedded, kappa_embedded, nu_embedded)) return out;
  out.sigma_difference =
      (sigma_schur - sigma_embedded).lpNorm<Eigen::Infinity>() / sigma_embedded.lpNorm<Eigen::Infinity>();
  double scale = std::abs(nu_embedded), worst = std::abs(nu_schur - nu_embedded);
  for (size_t a = 0; a < active.size(); ++a) {
    scale = std::max(scale, std::abs(kappa_embedded[a]));
    worst = std::max(worst, std::abs(kappa_schur[a] - kappa_embedded[a]));
  }
  out.multiplier_difference = worst / scale;
  return out;
}

}  // namespace internal

}  // namespace convexscore
