#include "convexscore/solvers/cone_group_lasso.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Eigenvalues>

#include "convexscore/solvers/planar_atoms.h"

namespace convexscore {
namespace {

struct Block {
  int k = 0;
  int s = 0;  // 0: z_{k,+} (enters with +1), 1: z_{k,-} (enters with -1)
  double sign() const { return s == 0 ? 1.0 : -1.0; }
};

Eigen::MatrixXd Augmented(const Eigen::MatrixXd& x) {
  Eigen::MatrixXd xt(x.rows(), x.cols() + 1);
  xt << x, Eigen::VectorXd::Ones(x.rows());
  return xt;
}

// S_k: the gate on the data term. ReLU: D_k; abs: 2 D_k - I.
Eigen::VectorXd GateOf(const PatternSet& patterns, int k, Activation gate) {
  Eigen::VectorXd mask = patterns.Mask(k);
  return gate == Activation::kRelu ? mask : (2.0 * mask.array() - 1.0).matrix();
}

// The cone rows of pattern k are (2 D_k - I) X~.
Eigen::VectorXd ConeSignOf(const PatternSet& patterns, int k) {
  return (2.0 * patterns.Mask(k).array() - 1.0).matrix();
}

// The ratio test of an active-set method: moves the entries idx of mu towards `target` (some of
// whose entries are <= 0) until the first one reaches zero, and takes that entry, and any other
// no longer positive, out of `member`. The blocking entry leaves explicitly: left to the sign
// test, rounding could keep it at a tiny positive value and the caller would repeat ever shorter
// steps. Returns its position in idx.
int StepToFirstZero(const std::vector<int>& idx, const Eigen::VectorXd& target, Eigen::VectorXd& mu,
                    std::vector<char>& member) {
  double alpha = 1.0;
  int leaving = -1;
  for (std::size_t j = 0; j < idx.size(); ++j) {
    if (target[j] > 0) continue;
    const double denominator = mu[idx[j]] - target[j];
    const double step = denominator > 0 ? mu[idx[j]] / denominator : 0.0;
    if (leaving < 0 || step < alpha) {
      alpha = step;
      leaving = static_cast<int>(j);
    }
  }
  for (std::size_t j = 0; j < idx.size(); ++j) {
    mu[idx[j]] += alpha * (target[j] - mu[idx[j]]);
    if (mu[idx[j]] <= 0 || static_cast<int>(j) == leaving) {
      mu[idx[j]] = 0;
      member[idx[j]] = 0;
    }
  }
  return leaving;
}

// Lawson-Hanson non-negative least squares: min ||C mu - t|| over mu >= 0, C small in rows.
Eigen::VectorXd NonNegativeLeastSquares(const Eigen::MatrixXd& c, const Eigen::VectorXd& t) {
  const int p = static_cast<int>(c.cols());
  Eigen::VectorXd mu = Eigen::VectorXd::Zero(p);
  std::vector<char> passive(p, 0);
  const double cmax = std::max(1.0, c.cwiseAbs().maxCoeff());
  const double tol = 1e-14 * cmax * std::max(1.0, t.norm());
  Eigen::VectorXd resid = t;
  // Columns whose entry came out non-positive right after they joined: in exact arithmetic a
  // column with a positive gradient enters with a positive coefficient, so this happens only at
  // the optimum up to rounding (or on a rank-deficient passive set). Retrying the same column
  // would repeat the same step forever; it is skipped until the passive set next changes.
  std::vector<char> rejected(p, 0);
  for (int outer = 0; outer < 3 * p + 10; ++outer) {
    // A residual at the rounding level of t - C mu (about eps (||t|| + max|C| sum mu)): t is
    // in the cone of the columns (psi = 0 in the pricing). Its gradient is then rounding noise,
    // and chasing it cost up to 3p iterations of O(p) each.
    if (resid.norm() <= 1e-14 * (t.norm() + cmax * mu.sum())) break;
    const Eigen::VectorXd w = c.transpose() * resid;
    int best = -1;
    for (int i = 0; i < p; ++i)
      if (!passive[i] && !rejected[i] && w[i] > tol && (best < 0 || w[i] > w[best])) best = i;
    if (best < 0) break;
    passive[best] = 1;
    bool first = true;
    for (int inner = 0; inner < 3 * p + 10; ++inner) {
      std::vector<int> idx;
      int entering = -1;
      for (int i = 0; i < p; ++i) {
        if (!passive[i]) continue;
        if (i == best) entering = static_cast<int>(idx.size());
        idx.push_back(i);
      }
      Eigen::MatrixXd cp(c.rows(), idx.size());
      for (std::size_t j = 0; j < idx.size(); ++j) cp.col(j) = c.col(idx[j]);
      const Eigen::VectorXd s = cp.colPivHouseholderQr().solve(t);
      if (first && s[entering] <= 0) {
        passive[best] = 0;
        rejected[best] = 1;
        break;
      }
      first = false;
      std::fill(rejected.begin(), rejected.end(), 0);
      if ((s.array() > 0).all()) {
        for (std::size_t j = 0; j < idx.size(); ++j) mu[idx[j]] = s[j];
        break;
      }
      StepToFirstZero(idx, s, mu, passive);
      if (std::none_of(passive.begin(), passive.end(), [](char b) { return b != 0; })) break;
    }
    resid = t - c * mu;
  }
  return mu;
}

double Scale(const Eigen::MatrixXd& x) { return 1.0 + x.cwiseAbs().maxCoeff(); }

// The Euclidean projection of z onto the cone {z : (2 D_k - I) X~ z >= 0} (Moreau: z minus its
// projection onto the polar cone, found by non-negative least squares), finished on the rows it
// makes tight by the orthogonal projection onto their null space, so that those rows hold to
// rounding relative to the result. A result negligible against z becomes exactly zero.
Eigen::VectorXd ProjectOntoCone(const Eigen::MatrixXd& xt, const Eigen::VectorXd& sign,
                                const Eigen::VectorXd& z) {
  const int n = static_cast<int>(xt.rows()), q = static_cast<int>(xt.cols());
  const Eigen::VectorXd rows = sign.cwiseProduct(xt * z);
  if ((rows.array() >= 0).all()) return z;
  const Eigen::MatrixXd a = (xt.array().colwise() * sign.array()).matrix().transpose();  // q x n
  const Eigen::VectorXd mu = NonNegativeLeastSquares(a, -z);
  std::vector<int> support;
  for (int i = 0; i < n; ++i)
    if (mu[i] > 0) support.push_back(i);
  Eigen::VectorXd out = z + a * mu;
  if (!support.empty()) {
    Eigen::MatrixXd tight(support.size(), q);
    for (std::size_t j = 0; j < support.size(); ++j) tight.row(j) = a.col(support[j]).transpose();
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(tight, Eigen::ComputeFullV);
    const Eigen::VectorXd sv = svd.singularValues();
    int rank = 0;
    for (int j = 0; j < sv.size(); ++j)
      if (sv[j] > 1e-10 * sv[0]) ++rank;
    const Eigen::MatrixXd basis = svd.matrixV().rightCols(q - rank);
    const Eigen::VectorXd exact = basis * (basis.transpose() * out);
    if ((sign.cwiseProduct(xt * exact).array() >= -1e-13 * exact.norm() * Scale(xt)).all())
      out = exact;
  }
  if (out.norm() <= 1e-9 * z.norm()) out.setZero();
  return out;
}

}  // namespace

namespace {

// The equality-constrained least squares on a support: min ||h_w - B_S z|| subject to
// e_S . z = h_b, by its KKT system (a complete orthogonal decomposition, so a rank-deficient
// support gives the minimum-norm solution). Returns (z, nu), nu the equality's multiplier.
Eigen::VectorXd SupportLeastSquares(const Eigen::MatrixXd& b, const Eigen::VectorXd& e,
                                    const std::vector<int>& support, const Eigen::VectorXd& hw,
                                    double hb) {
  const int p = static_cast<int>(support.size());
  Eigen::MatrixXd bs(b.rows(), p);
  Eigen::VectorXd es(p);
  for (int j = 0; j < p; ++j) {
    bs.col(j) = b.col(support[j]);
    es[j] = e[support[j]];
  }
  Eigen::MatrixXd kkt = Eigen::MatrixXd::Zero(p + 1, p + 1);
  kkt.topLeftCorner(p, p) = bs.transpose() * bs;
  kkt.topRightCorner(p, 1) = es;
  kkt.bottomLeftCorner(1, p) = es.transpose();
  Eigen::VectorXd rhs(p + 1);
  rhs << bs.transpose() * hw, hb;
  return kkt.completeOrthogonalDecomposition().solve(rhs);
}

// One attempt at psi with the bias row weighted by `weight_factor`: a heavy weight finds the
// support, an exact solve on that support removes the weight's error, and a final adjustment
// makes the bias row exact, so the value returned is attained by a feasible mu.
double PatternDualNormWeighted(const Eigen::MatrixXd& x, const Eigen::VectorXd& sign,
                               const Eigen::VectorXd& h, double weight_factor,
                               double* bias_residual, Eigen::VectorXd* multipliers) {
  const int n = static_cast<int>(x.rows()), d = static_cast<int>(x.cols());
  const double weight = weight_factor * Scale(x);
  Eigen::MatrixXd c(d + 1, n);
  c.topRows(d) = (x.array().colwise() * sign.array()).matrix().transpose();
  c.row(d) = weight * sign.transpose();
  Eigen::VectorXd t(d + 1);
  t << h.head(d), weight * h[d];
  Eigen::VectorXd mu = NonNegativeLeastSquares(c, t);
  std::vector<int> support;
  for (int i = 0; i < n; ++i)
    if (mu[i] > 0) support.push_back(i);
  if (!support.empty()) {
    const int p = static_cast<int>(support.size());
    const Eigen::VectorXd exact = SupportLeastSquares(c.topRows(d), sign, support, h.head(d), h[d]);
    if ((exact.head(p).array() >= 0).all() && exact.allFinite()) {
      for (int j = 0; j < p; ++j) mu[support[j]] = exact[j];
    }
  }
  // Make the bias row exact, so that the returned psi is attained by a feasible mu (a valid
  // upper bound): either raise the multiplier of the shortest row of the needed sign, or shrink
  // the multipliers of the other sign; keep whichever gives the smaller psi.
  const double gap = h[d] - sign.dot(mu);
  auto psi_of = [&](const Eigen::VectorXd& m) { return (h.head(d) - c.topRows(d) * m).norm(); };
  if (gap != 0) {
    Eigen::VectorXd best = mu;
    double best_psi = std::numeric_limits<double>::infinity();
    int fix = -1;
    for (int i = 0; i < n; ++i) {
      if (gap * sign[i] > 0 && (fix < 0 || x.row(i).norm() < x.row(fix).norm())) fix = i;
    }
    if (fix >= 0) {
      Eigen::VectorXd raised = mu;
      raised[fix] += std::abs(gap);
      best_psi = psi_of(raised);
      best = raised;
    }
    double other = 0.0;
    for (int i = 0; i < n; ++i)
      if (gap * sign[i] < 0) other += mu[i];
    if (other > 0) {  // when other < |gap| this leaves the residual |gap| - other
      Eigen::VectorXd shrunk = mu;
      for (int i = 0; i < n; ++i)
        if (gap * sign[i] < 0) shrunk[i] *= std::max(0.0, 1.0 - std::abs(gap) / other);
      if (fix < 0 || psi_of(shrunk) < best_psi) best = shrunk;
    }
    mu = best;
  }
  const Eigen::VectorXd residual_w = h.head(d) - c.topRows(d) * mu;
  *bias_residual = std::abs(h[d] - sign.dot(mu));
  *multipliers = mu;
  return residual_w.norm();
}

// Primal active-set iterations on min ||h_w - B mu|| over mu >= 0 with e^T mu = h_b (B: the
// cone rows' weight parts as columns, e: their signs, so e^T mu is the bias row), started from
// a feasible mu: on the current support, the equality-constrained least-squares (KKT) solution;
// a step towards it until an entry reaches zero, or, when it is positive, the entry of most
// negative gradient B^T (B mu - h_w) + nu e joins. The weighted attempts above can stop on a
// wrong support when points cluster (the bias weight then swamps the spread of x), and were
// seen to overestimate psi tenfold (0.147 for 0.041); from their point this reaches the
// minimum. Every iterate stays feasible and the best value is kept, so the result is still
// attained by a feasible mu. An empty support is left alone (with h_b = 0 it would need two
// entries of opposite sign to move).
Eigen::VectorXd ActiveSetDualNormPoint(const Eigen::MatrixXd& b, const Eigen::VectorXd& e,
                                       const Eigen::VectorXd& hw, double hb, Eigen::VectorXd mu) {
  const int n = static_cast<int>(mu.size());
  std::vector<char> in(n, 0);
  for (int i = 0; i < n; ++i) in[i] = mu[i] > 0;
  if (std::none_of(in.begin(), in.end(), [](char v) { return v != 0; })) return mu;
  const double tol = 1e-13 * (1.0 + b.cwiseAbs().maxCoeff()) * (1.0 + hw.norm() + std::abs(hb));
  const auto value = [&](const Eigen::VectorXd& m) { return (hw - b * m).norm(); };
  Eigen::VectorXd best = mu;
  double best_value = value(mu);
  int rejected = -1;  // an entry that left at once after joining: a degenerate vertex
  for (int iteration = 0; iteration < 4 * n + 20; ++iteration) {
    std::vector<int> idx;
    for (int i = 0; i < n; ++i)
      if (in[i]) idx.push_back(i);
    const int p = static_cast<int>(idx.size());
    const Eigen::VectorXd solution = SupportLeastSquares(b, e, idx, hw, hb);
    if (!solution.allFinite()) break;
    const Eigen::VectorXd z = solution.head(p);
    if ((z.array() > 0).all()) {
      for (int j = 0; j < p; ++j) mu[idx[j]] = z[j];
      const double v = value(mu);
      if (v < best_value) {
        best_value = v;
        best = mu;
      }
      const Eigen::VectorXd gradient = b.transpose() * (b * mu - hw) + solution[p] * e;
      int entering = -1;
      for (int i = 0; i < n; ++i)
        if (!in[i] && i != rejected && gradient[i] < -tol &&
            (entering < 0 || gradient[i] < gradient[entering]))
          entering = i;
      if (entering < 0) break;
      in[entering] = 1;
      rejected = entering;
      continue;
    }
    if (idx[StepToFirstZero(idx, z, mu, in)] != rejected) rejected = -1;
    if (std::none_of(in.begin(), in.end(), [](char v) { return v != 0; })) break;
  }
  return best;
}

}  // namespace

double PatternDualNorm(const Eigen::MatrixXd& x, const PatternSet& patterns, int k,
                       const Eigen::VectorXd& h, double* bias_residual,
                       Eigen::VectorXd* multipliers) {
  const Eigen::VectorXd sign = ConeSignOf(patterns, k);
  // Every attempt returns a value attained by a feasible mu (an upper bound on psi), so the
  // smaller one is still valid; two weights find the exact support more often than one.
  double best = std::numeric_limits<double>::infinity(), best_residual = 0.0;
  Eigen::VectorXd mu, best_mu;
  for (double weight : {1e3, 1e5}) {
    double residual = 0.0;
    const double psi = PatternDualNormWeighted(x, sign, h, weight, &residual, &mu);
    if (residual < best_residual || (residual == best_residual && psi < best) ||
        !std::isfinite(best)) {
      best = psi;
      best_residual = residual;
      best_mu = mu;
    }
  }
  // Finish at the exact minimum when the weighted attempts found a feasible point.
  const int d = static_cast<int>(x.cols());
  const auto rounding = [&](const Eigen::VectorXd& m) {
    return 1e-14 * (std::abs(h[d]) + m.cwiseAbs().sum());
  };
  if (best_residual <= rounding(best_mu)) {
    const Eigen::MatrixXd b = (x.array().colwise() * sign.array()).matrix().transpose();
    const Eigen::VectorXd refined = ActiveSetDualNormPoint(b, sign, h.head(d), h[d], best_mu);
    const double psi = (h.head(d) - b * refined).norm();
    const double residual = std::abs(h[d] - sign.dot(refined));
    if (psi < best && residual <= std::max(best_residual, rounding(refined))) {
      best = psi;
      best_residual = residual;
      best_mu = refined;
    }
  }
  if (bias_residual) *bias_residual = best_residual;
  if (multipliers) *multipliers = std::move(best_mu);
  return best;
}

namespace {

// t_k = g_k + X~^T S_k lambda for every pattern, reading the pattern bits directly (ReLU: the sum
// of lambda_i x~_i over the active points; abs: twice that minus the sum over all points).
Eigen::MatrixXd ReducedGradients(const ConeGroupLassoProblem& problem, const Eigen::VectorXd& lambda) {
  const PatternSet& patterns = *problem.patterns;
  const int n = static_cast<int>(problem.x.rows()), d = static_cast<int>(problem.x.cols());
  const int num_patterns = patterns.size();
  Eigen::MatrixXd weighted(d + 1, n);  // column i: lambda_i x~_i
  weighted.topRows(d) = (problem.x.array().colwise() * lambda.array()).matrix().transpose();
  weighted.row(d) = lambda.transpose();
  const Eigen::VectorXd all = weighted.rowwise().sum();
  Eigen::MatrixXd out(d + 1, num_patterns);
  for (int k = 0; k < num_patterns; ++k) {
    Eigen::VectorXd t = Eigen::VectorXd::Zero(d + 1);
    const std::uint64_t* bits = patterns.Bits(k);
    for (int w = 0; w < patterns.words(); ++w) {
      for (std::uint64_t word = bits[w]; word != 0; word &= word - 1)
        t += weighted.col(64 * w + std::countr_zero(word));
    }
    out.col(k) = problem.gate == Activation::kRelu ? t : Eigen::VectorXd(2.0 * t - all);
  }
  if (problem.linear.size() > 0) out += problem.linear;
  return out;
}

// A cheap upper bound on psi(h) for pattern k (a screening test before the exact pricing): the
// multiplier mu = |h_b| on one point whose cone row has the sign of h_b meets the bias row
// exactly, so psi(h) <= min over such points i of ||h_w - h_b x_i|| (and <= ||h_w|| when
// h_b = 0). Infinity when no point has that sign.
double PatternDualNormBound(const Eigen::MatrixXd& x, const PatternSet& patterns, int k,
                            const Eigen::VectorXd& h) {
  const int n = static_cast<int>(x.rows()), d = static_cast<int>(x.cols());
  const double c = h[d];
  if (c == 0.0) return h.head(d).norm();
  double best = std::numeric_limits<double>::infinity();
  const std::uint64_t* bits = patterns.Bits(k);
  for (int i = 0; i < n; ++i) {
    const bool active = (bits[i >> 6] >> (i & 63)) & 1u;
    if (active != (c > 0)) continue;
    double sq = 0.0;
    for (int j = 0; j < d; ++j) {
      const double r = h[j] - c * x(i, j);
      sq += r * r;
    }
    best = std::min(best, sq);
  }
  return std::sqrt(best);
}

// Whether the planar atoms (solvers/planar_atoms.h) represent every block: the plane, no
// linear term, and every pattern of the points (exact enumeration).
bool PlanarApplicable(const ConeGroupLassoProblem& problem) {
  return problem.x.cols() == 2 && problem.linear.size() == 0 &&
         problem.patterns->method == PatternMethod::kExact;
}

// EvaluateConeGroupLasso with the planar atoms of the problem when PlanarApplicable (null
// otherwise): their sweep gives the exact largest psi over every cell in O(n^2).
ConeGroupLassoCertificate EvaluateWith(const ConeGroupLassoProblem& problem,
                                       const Eigen::MatrixXd& positive,
                                       const Eigen::MatrixXd& negative, const PlanarAtoms* atoms) {
  const PatternSet& patterns = *problem.patterns;
  const int n = static_cast<int>(problem.x.rows()), d = static_cast<int>(problem.x.cols());
  const int num_patterns = patterns.size();
  const Eigen::MatrixXd xt = Augmented(problem.x);
  const bool has_linear = problem.linear.size() > 0;
  ConeGroupLassoCertificate cert;
  Eigen::VectorXd fitted = Eigen::VectorXd::Zero(n);
  double linear_term = 0.0, penalty = 0.0;
  for (int k = 0; k < num_patterns; ++k) {
    const Eigen::VectorXd v = positive.col(k) - negative.col(k);
    for (const Eigen::MatrixXd* z : {&positive, &negative}) {
      const Eigen::VectorXd zk = z->col(k);
      if (zk.isZero(0.0)) continue;
      penalty += problem.beta * zk.head(d).norm();
      const Eigen::VectorXd rows = ConeSignOf(patterns, k).cwiseProduct(xt * zk);
      for (int i = 0; i < n; ++i) {
        const double violation = -rows[i] / (xt.row(i).norm() * zk.norm());
        cert.primal_infeasibility = std::max(cert.primal_infeasibility, violation);
      }
    }
    if (v.isZero(0.0)) continue;
    fitted += GateOf(patterns, k, problem.gate).cwiseProduct(xt * v);
    if (has_linear) linear_term += problem.linear.col(k).dot(v);
  }
  const Eigen::VectorXd r = fitted - problem.target;
  Eigen::VectorXd lambda = r / n;
  cert.primal_objective = r.squaredNorm() / (2.0 * n) + linear_term + penalty;
  // Without a linear term (DSM) the constraints psi <= beta are homogeneous in lambda, so the
  // dual point is centred when a pattern gates every point alike (the free constant's
  // constraint sum lambda = 0) and then scaled into the feasible set: a valid certificate at
  // every point, not only at the optimum.
  bool uniform_pattern = false;
  for (int k = 0; k < num_patterns && !has_linear; ++k) {
    const int active = patterns.ActiveCount(k);
    uniform_pattern = uniform_pattern || active == n ||
                      (active == 0 && problem.gate == Activation::kAbs);
  }
  if (uniform_pattern) lambda.array() -= lambda.mean();
  // The largest psi: exact prices in decreasing order of the screening bound, stopping when the
  // bound falls below the largest exact value found (the bound is attained by a feasible
  // multiplier with an exact bias row, so the blocks skipped add no bias residual either).
  if (atoms != nullptr) {
    cert.worst_psi = PlanarWorstDualNorm(*atoms, lambda);
  } else {
  const Eigen::MatrixXd t = ReducedGradients(problem, lambda);
  std::vector<std::pair<double, int>> bounds;  // (bound, 2 k + s)
  bounds.reserve(2 * static_cast<std::size_t>(num_patterns));
  for (int k = 0; k < num_patterns; ++k) {
    for (int s = 0; s < 2; ++s) {
      const Eigen::VectorXd h = s == 0 ? Eigen::VectorXd(t.col(k)) : Eigen::VectorXd(-t.col(k));
      bounds.push_back({PatternDualNormBound(problem.x, patterns, k, h), 2 * k + s});
    }
  }
  std::sort(bounds.begin(), bounds.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  for (const auto& [bound, index] : bounds) {
    if (bound <= cert.worst_psi) break;
    const int k = index / 2;
    const Eigen::VectorXd h = index % 2 == 0 ? Eigen::VectorXd(t.col(k)) : Eigen::VectorXd(-t.col(k));
    double bias_residual = 0.0;
    const double psi = std::min(bound, PatternDualNorm(problem.x, patterns, k, h, &bias_residual));
    cert.worst_psi = std::max(cert.worst_psi, psi);
    if (psi < bound) cert.bias_residual = std::max(cert.bias_residual, bias_residual);
  }
  }
  if (!has_linear) {
    const double theta = BestDualMultiple(lambda, problem.target, problem.beta, cert.worst_psi);
    cert.dual_scale = theta;
    lambda *= theta;
    cert.worst_psi *= theta;
    cert.bias_residual *= theta;
  }
  cert.dual_objective = -0.5 * n * lambda.squaredNorm() - lambda.dot(problem.target);
  cert.gap = cert.primal_objective - cert.dual_objective;
  cert.dual_infeasibility = std::max(0.0, cert.worst_psi - problem.beta) / problem.beta;
  return cert;
}

}  // namespace

double BestDualMultiple(const Eigen::VectorXd& lambda, const Eigen::VectorXd& y, double beta,
                        double worst_psi) {
  const double n = static_cast<double>(lambda.size());
  const double ll = lambda.squaredNorm(), ly = lambda.dot(y);
  const double limit = worst_psi > 0 ? beta / worst_psi : std::numeric_limits<double>::infinity();
  const double theta = ll > 0 ? std::clamp(-ly / (n * ll), 0.0, limit) : 0.0;
  return std::isfinite(theta) ? theta : 0.0;
}

ConeGroupLassoCertificate EvaluateConeGroupLasso(const ConeGroupLassoProblem& problem,
                                                 const Eigen::MatrixXd& positive,
                                                 const Eigen::MatrixXd& negative) {
  if (!PlanarApplicable(problem)) return EvaluateWith(problem, positive, negative, nullptr);
  const PlanarAtoms atoms(problem.x, problem.gate);
  return EvaluateWith(problem, positive, negative, &atoms);
}

namespace {

// The working-set problem: blocks, their gates and cone signs, and the accelerated
// augmented-Lagrangian iteration on them.
class WorkingSetSolver {
 public:
  WorkingSetSolver(const ConeGroupLassoProblem& problem, std::vector<Block> blocks)
      : problem_(problem), blocks_(std::move(blocks)), xt_(Augmented(problem.x)) {
    n_ = static_cast<int>(problem.x.rows());
    d_ = static_cast<int>(problem.x.cols());
    const int m = static_cast<int>(blocks_.size());
    gate_.resize(n_, m);
    cone_.resize(n_, m);
    linear_ = Eigen::MatrixXd::Zero(d_ + 1, m);
    for (int b = 0; b < m; ++b) {
      const Block& blk = blocks_[b];
      gate_.col(b) = blk.sign() * GateOf(*problem.patterns, blk.k, problem.gate);
      cone_.col(b) = ConeSignOf(*problem.patterns, blk.k);
      if (problem.linear.size() > 0) linear_.col(b) = blk.sign() * problem.linear.col(blk.k);
    }
    // ||M_B||^2 = lambda_max((X~ X~^T) o (G G^T)) = lambda_max(M_B^T M_B): the smaller of the
    // two Gram matrices (n x n, or (d+1) m x (d+1) m with M_B formed explicitly), since the
    // n x n eigenvalue problem alone cost about a second per round at n = 1000. The cone rows of
    // one block have norm ||X~||.
    const int q = d_ + 1;
    Eigen::MatrixXd gram;
    if (static_cast<long>(q) * m < n_) {
      Eigen::MatrixXd design(n_, static_cast<long>(q) * m);
      for (int b = 0; b < m; ++b)
        design.middleCols(static_cast<long>(q) * b, q) = xt_.array().colwise() * gate_.col(b).array();
      gram = design.transpose() * design;
    } else {
      gram = (xt_ * xt_.transpose()).cwiseProduct(gate_ * gate_.transpose());
    }
    data_lipschitz_ = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(gram, Eigen::EigenvaluesOnly)
                          .eigenvalues()
                          .maxCoeff() /
                      n_;
    cone_lipschitz_ = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(
                          xt_.transpose() * xt_, Eigen::EigenvaluesOnly)
                          .eigenvalues()
                          .maxCoeff();
    multipliers_ = Eigen::MatrixXd::Zero(n_, m);
    rho_ = std::max(data_lipschitz_, 1e-12) / cone_lipschitz_;
  }

  const std::vector<Block>& blocks() const { return blocks_; }

  Eigen::VectorXd Fitted(const Eigen::MatrixXd& z) const {
    return (gate_.array() * (xt_ * z).array()).rowwise().sum().matrix();
  }

  // Runs the augmented Lagrangian from z until the proximal-gradient residual and the cone
  // violation are below `tolerance` (relative), or the step budget is spent. Returns the steps.
  int Run(Eigen::MatrixXd& z, double tolerance, int max_steps, bool* diverged) {
    const int m = static_cast<int>(blocks_.size());
    int steps = 0;
    double last_violation = std::numeric_limits<double>::infinity();
    *diverged = false;
    while (steps < max_steps) {
      const double lipschitz = data_lipschitz_ + rho_ * cone_lipschitz_;
      Eigen::MatrixXd y = z, z_prev = z;
      double momentum = 1.0;
      double residual = std::numeric_limits<double>::infinity();
      const double scale = 1.0 + z.cwiseAbs().maxCoeff();
      int inner = 0;
      for (; inner < 20000 && steps < max_steps; ++inner, ++steps) {
        const Eigen::MatrixXd grad = Gradient(y);
        Eigen::MatrixXd next = y - grad / lipschitz;
        for (int b = 0; b < m; ++b) {
          const double nw = next.col(b).head(d_).norm();
          const double shrink = nw > 0 ? std::max(0.0, 1.0 - problem_.beta / (lipschitz * nw)) : 0.0;
          next.col(b).head(d_) *= shrink;
        }
        residual = lipschitz * (next - y).cwiseAbs().maxCoeff() /
                   std::max(1.0, grad.cwiseAbs().maxCoeff());
        // Gradient restart: drop the momentum when it points uphill.
        const double uphill = ((y - next).array() * (next - z_prev).array()).sum();
        const double next_momentum =
            uphill > 0 ? 1.0 : 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * momentum * momentum));
        const double extrapolation = uphill > 0 ? 0.0 : (momentum - 1.0) / next_momentum;
        y = next + extrapolation * (next - z_prev);
        z_prev = next;
        momentum = next_momentum;
        if (residual <= tolerance) break;
        if (!next.allFinite() || next.cwiseAbs().maxCoeff() > 1e12 * scale) {
          *diverged = true;
          z = next;
          return steps;
        }
      }
      z = z_prev;
      const Eigen::MatrixXd rows = cone_.array() * (xt_ * z).array();
      multipliers_ = (multipliers_ - rho_ * rows).cwiseMax(0.0);
      // Relative to the largest block: a tiny block's own scale would make its rounding-level
      // violation look large however large rho grows.
      const double zscale = std::max(z.colwise().norm().maxCoeff(), 1e-300);
      const double violation =
          std::max(0.0, (-rows).maxCoeff()) / (zscale * std::sqrt(cone_lipschitz_));
      if (violation <= tolerance && residual <= tolerance) break;
      if (violation > 0.25 * last_violation) rho_ *= 5.0;
      last_violation = violation;
    }
    return steps;
  }

 private:
  Eigen::MatrixXd Gradient(const Eigen::MatrixXd& z) const {
    const Eigen::MatrixXd products = xt_ * z;
    const Eigen::VectorXd r =
        (gate_.array() * products.array()).rowwise().sum().matrix() - problem_.target;
    const Eigen::MatrixXd al =
        (multipliers_.array() - rho_ * (cone_.array() * products.array())).cwiseMax(0.0);
    return xt_.transpose() *
               ((gate_.array().colwise() * (r.array() / n_)) - cone_.array() * al.array())
                   .matrix() +
           linear_;
  }

  const ConeGroupLassoProblem& problem_;
  std::vector<Block> blocks_;
  Eigen::MatrixXd xt_, gate_, cone_, linear_, multipliers_;
  int n_ = 0, d_ = 0;
  double data_lipschitz_ = 0.0, cone_lipschitz_ = 1.0, rho_ = 1.0;
};

// The polish: blocks with a nonzero weight part keep their tight cone rows as equalities
// (z_b = N_b xi_b, N_b a basis of the null space of those rows); the full pattern's pure-bias
// directions become one free constant; Newton's method solves the remaining smooth problem.
class Polisher {
 public:
  Polisher(const ConeGroupLassoProblem& problem, const std::vector<Block>& blocks)
      : problem_(problem), blocks_(blocks), xt_(Augmented(problem.x)) {
    n_ = static_cast<int>(problem.x.rows());
    d_ = static_cast<int>(problem.x.cols());
  }

  // Returns false when the structure could not be solved; z is then unchanged. An active-set
  // loop: rows the Newton point violates join the tight set, tight rows whose multiplier is
  // negative leave it, and blocks that shrink to zero leave the active set.
  bool Polish(Eigen::MatrixXd& z, double tight_tolerance) const {
    const int m = static_cast<int>(blocks_.size());
    double zscale = 1e-300;
    for (int b = 0; b < m; ++b) zscale = std::max(zscale, z.col(b).head(d_).norm());
    std::vector<int> active;
    std::vector<std::vector<int>> tight(m);
    Eigen::VectorXd free_gate = Eigen::VectorXd::Zero(n_);  // the pure-bias columns
    double free_value = 0.0;
    bool has_free = false;
    for (int b = 0; b < m; ++b) {
      const Eigen::VectorXd zb = z.col(b);
      const double nw = zb.head(d_).norm();
      const Block& blk = blocks_[b];
      // Raising the bias of a full-pattern block keeps it in its cone, so the constant is free
      // whenever the full pattern is in the working set (its pure-bias parts start it).
      const bool full = problem_.patterns->ActiveCount(blk.k) == n_;
      if (full && !has_free) {
        has_free = true;
        free_gate = GateOf(*problem_.patterns, blk.k, problem_.gate);
      }
      if (nw <= 1e-9 * zscale) {
        if (full) free_value += blk.sign() * zb[d_];
        continue;
      }
      active.push_back(b);
    }
    const Eigen::MatrixXd products = xt_ * z;
    for (int b : active) {
      const Eigen::VectorXd sign = ConeSignOf(*problem_.patterns, blocks_[b].k);
      for (int i = 0; i < n_; ++i) {
        if (sign[i] * products(i, b) <= tight_tolerance * xt_.row(i).norm() * z.col(b).norm())
          tight[b].push_back(i);
      }
    }
    Eigen::MatrixXd start = z;
    for (int attempt = 0; attempt < 20 * m + 100; ++attempt) {
      Eigen::MatrixXd candidate = start;
      // The constant held by full-pattern blocks outside the active set.
      free_value = 0.0;
      for (int b = 0; b < m; ++b) {
        if (problem_.patterns->ActiveCount(blocks_[b].k) == n_ &&
            std::find(active.begin(), active.end(), b) == active.end())
          free_value += blocks_[b].sign() * start(d_, b);
      }
      std::vector<int> vanished;
      std::pair<int, int> blocking;
      if (!SolveStructure(active, tight, has_free, free_gate, free_value, candidate, &vanished,
                          &blocking)) {
        if (blocking.first >= 0) {
          tight[blocking.first].push_back(blocking.second);
          start = candidate;
          continue;
        }
        if (vanished.empty()) return false;
        std::vector<int> kept;
        for (std::size_t a = 0; a < active.size(); ++a) {
          if (std::find(vanished.begin(), vanished.end(), static_cast<int>(a)) != vanished.end())
            tight[active[a]].clear();
          else
            kept.push_back(active[a]);
        }
        active = kept;
        start = candidate;
        continue;
      }
      start = candidate;
      // Rows that the Newton point violates join the tight set; then solve again.
      bool changed = false;
      const Eigen::MatrixXd cand_products = xt_ * candidate;
      for (int b : active) {
        const Eigen::VectorXd sign = ConeSignOf(*problem_.patterns, blocks_[b].k);
        for (int i = 0; i < n_; ++i) {
          if (sign[i] * cand_products(i, b) < -1e-12 * xt_.row(i).norm() * candidate.col(b).norm() &&
              std::find(tight[b].begin(), tight[b].end(), i) == tight[b].end()) {
            tight[b].push_back(i);
            changed = true;
          }
        }
      }
      if (changed) continue;
      // Multipliers of the tight rows: the block's gradient must be A_T^T mu with mu >= 0;
      // the most negative multiplier's row leaves the tight set.
      Eigen::VectorXd fitted = Eigen::VectorXd::Zero(n_);
      for (int b : active) {
        const Block& blk = blocks_[b];
        fitted += blk.sign() * GateOf(*problem_.patterns, blk.k, problem_.gate)
                                   .cwiseProduct(cand_products.col(b));
      }
      if (has_free) {
        for (int b = 0; b < m; ++b)
          if (problem_.patterns->ActiveCount(blocks_[b].k) == n_ && !std::count(active.begin(), active.end(), b))
            fitted += blocks_[b].sign() * candidate(d_, b) * free_gate;
      }
      const Eigen::VectorXd lambda = (fitted - problem_.target) / n_;
      for (int b : active) {
        if (tight[b].empty()) continue;
        const Block& blk = blocks_[b];
        Eigen::VectorXd grad =
            blk.sign() * xt_.transpose() *
            GateOf(*problem_.patterns, blk.k, problem_.gate).cwiseProduct(lambda);
        if (problem_.linear.size() > 0) grad += blk.sign() * problem_.linear.col(blk.k);
        const Eigen::VectorXd u = candidate.col(b).head(d_);
        grad.head(d_) += problem_.beta * u / u.norm();
        const Eigen::VectorXd sign = ConeSignOf(*problem_.patterns, blk.k);
        Eigen::MatrixXd at(d_ + 1, tight[b].size());
        for (std::size_t j = 0; j < tight[b].size(); ++j)
          at.col(j) = sign[tight[b][j]] * xt_.row(tight[b][j]).transpose();
        const Eigen::VectorXd mu = at.completeOrthogonalDecomposition().solve(grad);
        const double tol = 1e-9 * (grad.norm() + problem_.beta);
        int worst = -1;
        for (int j = 0; j < mu.size(); ++j)
          if (mu[j] < -tol && (worst < 0 || mu[j] < mu[worst])) worst = j;
        if (worst >= 0) {
          // Only when no non-negative combination explains the gradient.
          const Eigen::VectorXd nn = NonNegativeLeastSquares(at, grad);
          if ((at * nn - grad).norm() > tol) {
            tight[b].erase(tight[b].begin() + worst);
            changed = true;
          }
        }
      }
      if (changed) continue;
      z = candidate;
      return true;
    }
    return false;
  }

 private:
  bool SolveStructure(const std::vector<int>& active, const std::vector<std::vector<int>>& tight,
                      bool has_free, const Eigen::VectorXd& free_gate, double free_value,
                      Eigen::MatrixXd& z, std::vector<int>* vanished,
                      std::pair<int, int>* blocking) const {
    *blocking = {-1, -1};
    // Columns of the reduced design: each active block's basis mapped through S_k X~.
    std::vector<Eigen::MatrixXd> bases;
    std::vector<int> offsets;
    int dim = 0;
    for (int b : active) {
      Eigen::MatrixXd rows(tight[b].size(), d_ + 1);
      for (std::size_t j = 0; j < tight[b].size(); ++j) rows.row(j) = xt_.row(tight[b][j]);
      Eigen::MatrixXd basis;
      if (rows.rows() == 0) {
        basis = Eigen::MatrixXd::Identity(d_ + 1, d_ + 1);
      } else {
        Eigen::JacobiSVD<Eigen::MatrixXd> svd(rows, Eigen::ComputeFullV);
        const Eigen::VectorXd sv = svd.singularValues();
        int rank = 0;
        for (int j = 0; j < sv.size(); ++j)
          if (sv[j] > 1e-10 * sv[0]) ++rank;
        basis = svd.matrixV().rightCols(d_ + 1 - rank);
      }
      bases.push_back(basis);
      offsets.push_back(dim);
      dim += static_cast<int>(basis.cols());
    }
    const int free_index = dim;
    if (has_free) ++dim;
    if (dim == 0) return false;
    Eigen::MatrixXd design(n_, dim);
    Eigen::VectorXd lin = Eigen::VectorXd::Zero(dim);
    Eigen::VectorXd xi(dim);
    for (std::size_t a = 0; a < active.size(); ++a) {
      const Block& blk = blocks_[active[a]];
      const Eigen::VectorXd gate = blk.sign() * GateOf(*problem_.patterns, blk.k, problem_.gate);
      const Eigen::MatrixXd& basis = bases[a];
      design.middleCols(offsets[a], basis.cols()) =
          (xt_ * basis).array().colwise() * gate.array();
      if (problem_.linear.size() > 0)
        lin.segment(offsets[a], basis.cols()) =
            blk.sign() * basis.transpose() * problem_.linear.col(blk.k);
      xi.segment(offsets[a], basis.cols()) = basis.transpose() * z.col(active[a]);
    }
    if (has_free) {
      design.col(free_index) = free_gate;
      xi[free_index] = free_value;
    }
    auto objective = [&](const Eigen::VectorXd& v) {
      double value = (design * v - problem_.target).squaredNorm() / (2.0 * n_) + lin.dot(v);
      for (std::size_t a = 0; a < active.size(); ++a)
        value += problem_.beta *
                 (bases[a].topRows(d_) * v.segment(offsets[a], bases[a].cols())).norm();
      return value;
    };
    const Eigen::MatrixXd data_hessian = design.transpose() * design / n_;
    // The cone rows of each block in its reduced coordinates; steps stop at the first row that
    // would turn negative (the ratio test of an active-set method), so every point stays feasible.
    std::vector<Eigen::MatrixXd> cone_rows(active.size());
    for (std::size_t a = 0; a < active.size(); ++a) {
      const Eigen::VectorXd sign = ConeSignOf(*problem_.patterns, blocks_[active[a]].k);
      cone_rows[a] = (xt_ * bases[a]).array().colwise() * sign.array();
      for (int i : tight[active[a]]) cone_rows[a].row(i).setZero();
    }
    auto step_limit = [&](const Eigen::VectorXd& v, const Eigen::VectorXd& dv,
                          std::pair<int, int>* row) {
      double limit = std::numeric_limits<double>::infinity();
      for (std::size_t a = 0; a < active.size(); ++a) {
        const int cols = static_cast<int>(bases[a].cols());
        const Eigen::VectorXd r = cone_rows[a] * v.segment(offsets[a], cols);
        const Eigen::VectorXd dr = cone_rows[a] * dv.segment(offsets[a], cols);
        for (int i = 0; i < n_; ++i) {
          if (dr[i] < 0) {
            const double t = std::max(r[i], 0.0) / -dr[i];
            if (t < limit) {
              limit = t;
              *row = {static_cast<int>(a), i};
            }
          }
        }
      }
      return limit;
    };
    // Write back: blocks outside the active set (and those listed as vanished) become zero;
    // the free constant goes to the full pattern's block of the matching sign.
    auto write_back = [&](const std::vector<int>& dropped) {
      z.setZero();
      for (std::size_t a = 0; a < active.size(); ++a) {
        if (std::find(dropped.begin(), dropped.end(), static_cast<int>(a)) != dropped.end()) continue;
        z.col(active[a]) = bases[a] * xi.segment(offsets[a], bases[a].cols());
      }
      if (!has_free) return true;
      const double value = xi[free_index];
      for (std::size_t b = 0; b < blocks_.size(); ++b) {
        const Block& blk = blocks_[b];
        if (problem_.patterns->ActiveCount(blk.k) != n_) continue;
        if (blk.sign() * value >= 0) {
          z(d_, b) += std::abs(value);
          return true;
        }
      }
      return false;  // the working set lacks the full pattern's block of that sign
    };
    // Blocks the iteration drives towards zero belong outside the active set (the weight norm is
    // not differentiable there): the point is written back without them and the caller solves
    // again on the smaller set.
    auto vanishing = [&](double relative) {
      std::vector<double> norms(active.size());
      double largest = 0.0;
      for (std::size_t a = 0; a < active.size(); ++a) {
        norms[a] = (bases[a].topRows(d_) * xi.segment(offsets[a], bases[a].cols())).norm();
        largest = std::max(largest, norms[a]);
      }
      std::vector<int> out;
      for (std::size_t a = 0; a < active.size(); ++a)
        if (norms[a] <= relative * largest) out.push_back(static_cast<int>(a));
      return out;
    };
    auto ls_blocked = [](double t, double limit) { return limit <= 1.0 && t == limit; };
    double current = objective(xi);
    // Levenberg-regularised Newton: redundant blocks make the Hessian singular along directions
    // on which the objective is linear, so the regularisation grows when steps must be cut.
    double damping = 1e-12;
    for (int iter = 0; iter < 200; ++iter) {
      if (!vanishing(1e-11).empty()) {
        *vanished = vanishing(1e-9);
        write_back(*vanished);
        return false;
      }
      Eigen::VectorXd grad = design.transpose() * (design * xi - problem_.target) / n_ + lin;
      Eigen::MatrixXd hessian = data_hessian;
      for (std::size_t a = 0; a < active.size(); ++a) {
        const int cols = static_cast<int>(bases[a].cols());
        const Eigen::MatrixXd wb = bases[a].topRows(d_);
        const Eigen::VectorXd u = wb * xi.segment(offsets[a], cols);
        const double nu = u.norm();
        grad.segment(offsets[a], cols) += problem_.beta * wb.transpose() * u / nu;
        const Eigen::MatrixXd curvature =
            (Eigen::MatrixXd::Identity(d_, d_) - u * u.transpose() / (nu * nu)) / nu;
        hessian.block(offsets[a], offsets[a], cols, cols) +=
            problem_.beta * wb.transpose() * curvature * wb;
      }
      const double diag = 1.0 + hessian.diagonal().cwiseAbs().maxCoeff();
      hessian.diagonal().array() += damping * diag;
      const Eigen::VectorXd step = -hessian.ldlt().solve(grad);
      const double decrement = -grad.dot(step);
      if (!(decrement >= 0) || !step.allFinite()) {
        damping *= 100.0;
        if (damping > 1.0) return false;
        continue;
      }
      if (decrement <= 1e-28 * (1.0 + std::abs(current))) break;
      std::pair<int, int> row{-1, -1};
      const double limit = step_limit(xi, step, &row);
      double t = std::min(1.0, limit);
      bool moved = false;
      for (int ls = 0; ls < 40; ++ls, t *= 0.5) {
        const Eigen::VectorXd trial = xi + t * step;
        const double value = objective(trial);
        if (value <= current - 1e-4 * t * decrement ||
            (value <= current && t * step.cwiseAbs().maxCoeff() <=
                                     1e-14 * (1.0 + xi.cwiseAbs().maxCoeff()))) {
          xi = trial;
          current = value;
          moved = true;
          break;
        }
      }
      if (moved && ls_blocked(t, limit)) {
        // A cone row became tight: the caller adds it and solves on the smaller face.
        *blocking = {active[row.first], row.second};
        write_back({});
        return false;
      }
      if (!moved) {
        if (damping >= 1e-2) break;
        damping = std::max(damping * 100.0, 1e-10);
        continue;
      }
      damping = t < 0.1 ? damping * 10.0 : std::max(damping * 0.1, 1e-14);
    }
    *vanished = vanishing(1e-9);
    if (!vanished->empty()) {
      write_back(*vanished);
      return false;
    }
    return write_back({});
  }

  const ConeGroupLassoProblem& problem_;
  const std::vector<Block>& blocks_;
  Eigen::MatrixXd xt_;
  int n_ = 0, d_ = 0;
};

void Validate(const ConeGroupLassoProblem& problem) {
  if (problem.patterns == nullptr) throw Error("cone group lasso: no patterns");
  const int n = static_cast<int>(problem.x.rows()), d = static_cast<int>(problem.x.cols());
  if (n < 1 || d < 1) throw Error("cone group lasso: empty data");
  if (problem.patterns->points() != n) throw Error("cone group lasso: patterns of other data");
  if (problem.target.size() != n) throw Error("cone group lasso: target size differs from n");
  if (problem.linear.size() > 0 &&
      (problem.linear.rows() != d + 1 || problem.linear.cols() != problem.patterns->size()))
    throw Error("cone group lasso: the linear term must be (d+1) x K");
  if (!problem.x.allFinite() || !problem.target.allFinite() || !problem.linear.allFinite())
    throw Error("cone group lasso: non-finite input");
  if (!(problem.beta > 0) || !std::isfinite(problem.beta))
    throw Error("cone group lasso: beta must be finite and positive");
}

bool Certified(const ConeGroupLassoCertificate& cert, const ConeGroupLassoOptions& options) {
  const double scale = std::max(1.0, std::abs(cert.primal_objective));
  return std::abs(cert.gap) <= options.gap_tolerance * scale &&
         cert.primal_infeasibility <= options.feasibility_tolerance &&
         cert.dual_infeasibility <= options.feasibility_tolerance &&
         cert.bias_residual <= options.feasibility_tolerance * scale;
}

double Badness(const ConeGroupLassoCertificate& cert) {
  const double scale = std::max(1.0, std::abs(cert.primal_objective));
  return std::max({std::abs(cert.gap) / scale, cert.primal_infeasibility, cert.dual_infeasibility,
                   cert.bias_residual / scale});
}

// Polishes the point (pos, neg) on the structure of `blocks`, keeps whichever of the two the
// certificate prefers, and keeps it as the solve's best point if it is the best so far. Returns
// whether the best point is certified (its status is then set to optimal).
bool PolishAndKeepBest(const ConeGroupLassoProblem& problem, const ConeGroupLassoOptions& options,
                       const std::vector<Block>& blocks, double tight_tolerance,
                       const PlanarAtoms* atoms, Eigen::MatrixXd pos, Eigen::MatrixXd neg,
                       ConeGroupLassoSolution& out, ConeGroupLassoCertificate& best_cert,
                       bool& have_cert) {
  ConeGroupLassoCertificate cert = EvaluateWith(problem, pos, neg, atoms);
  if (options.polish) {
    const int m = static_cast<int>(blocks.size());
    Eigen::MatrixXd z(pos.rows(), m);
    for (int b = 0; b < m; ++b) z.col(b) = (blocks[b].s == 0 ? pos : neg).col(blocks[b].k);
    if (Polisher(problem, blocks).Polish(z, tight_tolerance)) {
      Eigen::MatrixXd ppos = Eigen::MatrixXd::Zero(pos.rows(), pos.cols()), pneg = ppos;
      for (int b = 0; b < m; ++b) (blocks[b].s == 0 ? ppos : pneg).col(blocks[b].k) = z.col(b);
      const ConeGroupLassoCertificate pcert = EvaluateWith(problem, ppos, pneg, atoms);
      if (Badness(pcert) < Badness(cert)) {
        cert = pcert;
        pos = std::move(ppos);
        neg = std::move(pneg);
        out.summary.polished = true;
      }
    }
  }
  if (!have_cert || Badness(cert) <= Badness(best_cert)) {
    best_cert = cert;
    have_cert = true;
    out.positive = std::move(pos);
    out.negative = std::move(neg);
  }
  if (!Certified(best_cert, options)) return false;
  out.summary.status = SolveStatus::kOptimal;
  return true;
}

// sum_k S_k X~ (z_{k,+} - z_{k,-}).
Eigen::VectorXd FittedValues(const ConeGroupLassoProblem& problem, const Eigen::MatrixXd& positive,
                             const Eigen::MatrixXd& negative) {
  const Eigen::MatrixXd xt = Augmented(problem.x);
  Eigen::VectorXd f = Eigen::VectorXd::Zero(problem.x.rows());
  for (int k = 0; k < problem.patterns->size(); ++k) {
    const Eigen::VectorXd v = positive.col(k) - negative.col(k);
    if (!v.isZero(0.0)) f += GateOf(*problem.patterns, k, problem.gate).cwiseProduct(xt * v);
  }
  return f;
}

// The summary of a solution from its certificate.
void Finish(int steps_used, std::chrono::steady_clock::time_point start,
            ConeGroupLassoSolution& out) {
  out.summary.objective = out.certificate.primal_objective;
  out.summary.dual_objective = out.certificate.dual_objective;
  out.summary.duality_gap = out.certificate.gap;
  out.summary.relative_gap =
      out.certificate.gap / std::max(1.0, std::abs(out.certificate.primal_objective));
  out.summary.kkt_residual = Badness(out.certificate);
  out.summary.iterations = steps_used;
  out.summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (out.summary.status != SolveStatus::kUnbounded && out.summary.status != SolveStatus::kOptimal) {
    out.summary.message = "stopped before the certificate met the tolerances";
  }
}


// The planar path (PlanarApplicable): accelerated proximal gradient on the atom program, whose
// iterations cost O(n^2) for all K ~ n^2 patterns at once and need no augmented Lagrangian; the
// atoms are then gathered into pattern blocks, polished on their structure and certified by
// the pattern program's own certificate. The tolerance of the gradient phase tightens each
// round until the certificate holds.
// Returns nothing when an atom's pattern is missing from the patterns (an enumeration that
// merged nearly collinear directions): the general path then solves the problem.
std::optional<ConeGroupLassoSolution> SolvePlanar(const ConeGroupLassoProblem& problem,
                                                  const ConeGroupLassoOptions& options,
                                                  std::chrono::steady_clock::time_point start) {
  const PatternSet& patterns = *problem.patterns;
  const int num_patterns = patterns.size(), n = static_cast<int>(problem.x.rows()), q = 3;
  const PlanarAtoms atoms(problem.x, problem.gate);
  ConeGroupLassoSolution out;
  out.positive = Eigen::MatrixXd::Zero(q, num_patterns);
  out.negative = Eigen::MatrixXd::Zero(q, num_patterns);
  std::vector<char> full_pattern(num_patterns, 0);
  for (int k = 0; k < num_patterns; ++k) full_pattern[k] = patterns.ActiveCount(k) == n;
  PlanarAtomPoint point;
  ConeGroupLassoCertificate best_cert;
  bool have_cert = false;
  std::vector<Block> blocks;
  double tolerance = 1e-6;
  int stalls = 0;  // rounds in a row whose atom solve stopped on rounding above the tolerance
  for (int round = 0; round < options.max_rounds; ++round) {
    out.rounds = round + 1;
    // A growing budget of descent sweeps per round: the polish usually finishes from a rough
    // point.
    const int budget = static_cast<int>(std::min<double>(1000.0 * std::pow(2.0, round), 1e9));
    const int steps_before = point.iterations;
    const int steps_allowed = std::max(1, std::min(budget, options.max_iterations - point.iterations));
    SolvePlanarAtoms(atoms, problem.target, problem.beta, tolerance, steps_allowed, point);
    const bool out_of_budget = point.iterations - steps_before >= steps_allowed;
    Eigen::MatrixXd pos, neg;
    if (!PlanarAtomsToPatternBlocks(atoms, patterns, point, pos, neg)) return std::nullopt;
    // The working set of the polish: the nonzero blocks and the full pattern's two blocks.
    blocks.clear();
    for (int k = 0; k < num_patterns; ++k)
      for (int s = 0; s < 2; ++s)
        if (full_pattern[k] || !(s == 0 ? pos : neg).col(k).isZero(0.0)) blocks.push_back({k, s});
    if (PolishAndKeepBest(problem, options, blocks, 1e-9, &atoms, pos, neg, out, best_cert,
                          have_cert))
      break;
    // A round that ended on its budget above the atom tolerance continues towards the same one
    // (tightening regardless asked for 1e-14 after four budget-limited rounds, which rounding
    // then stalled on); one that reached it, or the second round in a row that stopped on
    // rounding above it, gets a tighter one (keeping it after every stall left the 10-point
    // spiral at sigma 0.5 uncertified; tightening after the first stall made the 80-point one
    // at sigma 0.03 2.5 times slower).
    const bool reached = point.relative_gap() <= tolerance;
    stalls = reached || out_of_budget ? 0 : stalls + 1;
    if (reached || stalls >= 2) tolerance = std::max(tolerance * 1e-2, 1e-15);
    if (point.iterations >= options.max_iterations) break;
  }
  out.certificate = have_cert ? best_cert : EvaluateWith(problem, out.positive, out.negative, &atoms);
  out.fitted = FittedValues(problem, out.positive, out.negative);
  out.working_set = static_cast<int>(blocks.size());
  Finish(point.iterations, start, out);
  return out;
}

}  // namespace

ConeGroupLassoSolution SolveConeGroupLasso(const ConeGroupLassoProblem& problem,
                                           const ConeGroupLassoOptions& options,
                                           const ConeGroupLassoSolution* warm_start) {
  Validate(problem);
  const auto start = std::chrono::steady_clock::now();
  if (PlanarApplicable(problem)) {
    if (auto planar = SolvePlanar(problem, options, start)) return *std::move(planar);
  }
  const PatternSet& patterns = *problem.patterns;
  const int num_patterns = patterns.size();
  const int q = static_cast<int>(problem.x.cols()) + 1;
  const int n = static_cast<int>(problem.x.rows());
  const Eigen::MatrixXd xt = Augmented(problem.x);

  ConeGroupLassoSolution out;
  out.positive = Eigen::MatrixXd::Zero(q, num_patterns);
  out.negative = Eigen::MatrixXd::Zero(q, num_patterns);
  if (warm_start && warm_start->positive.rows() == q && warm_start->positive.cols() == num_patterns) {
    out.positive = warm_start->positive;
    out.negative = warm_start->negative;
  }
  // The working set: every block when there are few, else the nonzero blocks, the full
  // pattern, and the most violated blocks at the starting point.
  std::vector<char> in_set(2 * static_cast<std::size_t>(num_patterns), 0);
  std::vector<Block> blocks;
  auto add = [&](int k, int s) {
    if (!in_set[2 * k + s]) {
      in_set[2 * k + s] = 1;
      blocks.push_back({k, s});
    }
  };
  const bool all_blocks = 2 * num_patterns <= 4 * options.working_set_batch + 200;
  for (int k = 0; k < num_patterns; ++k) {
    const bool full = patterns.ActiveCount(k) == n;
    const bool empty = patterns.ActiveCount(k) == 0;
    if (empty && problem.gate == Activation::kRelu) continue;  // contributes nothing
    for (int s = 0; s < 2; ++s) {
      const bool nonzero = !(s == 0 ? out.positive : out.negative).col(k).isZero(0.0);
      if (all_blocks || full || nonzero) add(k, s);
    }
  }

  auto price = [&](const Eigen::VectorXd& fitted, int limit) {
    const Eigen::VectorXd lambda = (fitted - problem.target) / n;
    std::vector<std::pair<double, Block>> violated;
    const Eigen::MatrixXd t = ReducedGradients(problem, lambda);
    const double threshold = problem.beta * (1.0 + options.feasibility_tolerance);
    for (int k = 0; k < num_patterns; ++k) {
      if (in_set[2 * k] && in_set[2 * k + 1]) continue;
      for (int s = 0; s < 2; ++s) {
        if (in_set[2 * k + s]) continue;
        const Eigen::VectorXd h = s == 0 ? Eigen::VectorXd(t.col(k)) : Eigen::VectorXd(-t.col(k));
        if (PatternDualNormBound(problem.x, patterns, k, h) <= threshold) continue;
        const double psi = PatternDualNorm(problem.x, patterns, k, h);
        if (psi > threshold)
          violated.push_back({psi, Block{k, s}});
      }
    }
    std::sort(violated.begin(), violated.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    int added = 0;
    for (const auto& [psi, blk] : violated) {
      if (added++ >= limit) break;
      add(blk.k, blk.s);
    }
    return added;
  };
  auto fitted_of = [&](const Eigen::MatrixXd& pos, const Eigen::MatrixXd& neg) {
    return FittedValues(problem, pos, neg);
  };
  if (!all_blocks) price(fitted_of(out.positive, out.negative), options.working_set_batch);

  double tolerance = 1e-6;
  int steps_used = 0;
  ConeGroupLassoCertificate best_cert;
  bool have_cert = false;
  for (int round = 0; round < options.max_rounds; ++round) {
    out.rounds = round + 1;
    WorkingSetSolver solver(problem, blocks);
    const int m = static_cast<int>(blocks.size());
    Eigen::MatrixXd z(q, m);
    for (int b = 0; b < m; ++b)
      z.col(b) = (blocks[b].s == 0 ? out.positive : out.negative).col(blocks[b].k);
    bool diverged = false;
    // Without a linear term (DSM: the objective is bounded below) a growing step budget per
    // round: the polish and the pricing after a short run usually finish the solve. With one,
    // the whole budget, so that a divergent run (unboundedness) shows as such.
    const int round_budget =
        problem.linear.size() > 0
            ? options.max_iterations
            : static_cast<int>(std::min<double>(2000.0 * std::pow(2.0, round), 1e9));
    steps_used += solver.Run(z, tolerance,
                             std::max(1, std::min(round_budget, options.max_iterations - steps_used)),
                             &diverged);
    auto scatter = [&](const Eigen::MatrixXd& zz, Eigen::MatrixXd& pos, Eigen::MatrixXd& neg) {
      pos.setZero(q, num_patterns);
      neg.setZero(q, num_patterns);
      for (int b = 0; b < m; ++b)
        (blocks[b].s == 0 ? pos : neg).col(blocks[b].k) = zz.col(b);
    };
    if (diverged) {
      scatter(z, out.positive, out.negative);
      out.summary.status = SolveStatus::kUnbounded;
      out.summary.message =
          "the iterates diverge: the objective appears unbounded below (not certified here)";
      break;
    }
    // The iterate meets the cone rows only to the augmented Lagrangian's tolerance: without a
    // linear term (DSM), project every block onto its cone, so that every point evaluated (and
    // returned) is feasible. With one (score matching) the iterate is kept as it is: a large
    // infeasible iterate is what RepairRecessionDirection turns into a proof of unboundedness,
    // and an infeasible point is never certified (Certified checks the cone violation).
    for (int b = 0; b < m && problem.linear.size() == 0; ++b) {
      if (!z.col(b).isZero(0.0))
        z.col(b) = ProjectOntoCone(xt, ConeSignOf(patterns, blocks[b].k), z.col(b));
    }
    Eigen::MatrixXd pos, neg;
    scatter(z, pos, neg);
    if (PolishAndKeepBest(problem, options, blocks, std::max(10.0 * tolerance, 1e-9), nullptr, pos,
                          neg, out, best_cert, have_cert))
      break;
    const int added = all_blocks ? 0 : price(fitted_of(out.positive, out.negative),
                                             options.working_set_batch);
    if (added == 0) tolerance = std::max(tolerance * 1e-2, 1e-14);
    if (steps_used >= options.max_iterations) break;
  }
  out.certificate = have_cert ? best_cert : EvaluateConeGroupLasso(problem, out.positive, out.negative);
  out.fitted = fitted_of(out.positive, out.negative);
  out.working_set = static_cast<int>(blocks.size());
  Finish(steps_used, start, out);
  return out;
}

}  // namespace convexscore

namespace convexscore {

namespace {

RecessionDirection RepairOnce(const ConeGroupLassoProblem& problem,
                              const Eigen::MatrixXd& positive, const Eigen::MatrixXd& negative) {
  const PatternSet& patterns = *problem.patterns;
  const int n = static_cast<int>(problem.x.rows()), d = static_cast<int>(problem.x.cols());
  const int num_patterns = patterns.size();
  const Eigen::MatrixXd xt = Augmented(problem.x);
  RecessionDirection out;
  out.positive = Eigen::MatrixXd::Zero(d + 1, num_patterns);
  out.negative = out.positive;
  const double zscale = std::max(positive.cwiseAbs().maxCoeff(), negative.cwiseAbs().maxCoeff());
  if (!(zscale > 0) || !std::isfinite(zscale)) return out;
  // Columns of the restricted data map: each kept block's null-space basis through S_k X~,
  // and the constant (the full pattern's pure bias) when the full pattern is present.
  std::vector<std::pair<Block, Eigen::MatrixXd>> kept;
  std::vector<Eigen::MatrixXd> columns;
  int full = -1;
  for (int k = 0; k < num_patterns; ++k)
    if (patterns.ActiveCount(k) == n) full = k;
  int dim = 0;
  Eigen::VectorXd xi0;
  std::vector<double> start;
  for (int k = 0; k < num_patterns; ++k) {
    const Eigen::VectorXd sign = ConeSignOf(patterns, k);
    const Eigen::VectorXd gate = GateOf(patterns, k, problem.gate);
    for (int s = 0; s < 2; ++s) {
      const Eigen::VectorXd z = (s == 0 ? positive : negative).col(k);
      if (z.head(d).norm() <= 1e-6 * zscale) continue;
      const Eigen::VectorXd rows = sign.cwiseProduct(xt * z);
      std::vector<int> tight;
      for (int i = 0; i < n; ++i)
        if (rows[i] <= 1e-6 * xt.row(i).norm() * z.norm()) tight.push_back(i);
      Eigen::MatrixXd basis = Eigen::MatrixXd::Identity(d + 1, d + 1);
      if (!tight.empty()) {
        Eigen::MatrixXd a(tight.size(), d + 1);
        for (std::size_t j = 0; j < tight.size(); ++j) a.row(j) = xt.row(tight[j]);
        Eigen::JacobiSVD<Eigen::MatrixXd> svd(a, Eigen::ComputeFullV);
        int rank = 0;
        for (int j = 0; j < svd.singularValues().size(); ++j)
          if (svd.singularValues()[j] > 1e-10 * svd.singularValues()[0]) ++rank;
        basis = svd.matrixV().rightCols(d + 1 - rank);
      }
      if (basis.cols() == 0) continue;
      const double sgn = s == 0 ? 1.0 : -1.0;
      columns.push_back(sgn * ((xt * basis).array().colwise() * gate.array()).matrix());
      const Eigen::VectorXd coords = basis.transpose() * z;
      for (int j = 0; j < coords.size(); ++j) start.push_back(coords[j]);
      kept.push_back({Block{k, s}, basis});
      dim += static_cast<int>(basis.cols());
    }
  }
  if (kept.empty()) return out;
  const bool with_constant = full >= 0;
  Eigen::MatrixXd design(n, dim + (with_constant ? 1 : 0));
  int offset = 0;
  for (const Eigen::MatrixXd& c : columns) {
    design.middleCols(offset, c.cols()) = c;
    offset += static_cast<int>(c.cols());
  }
  xi0 = Eigen::Map<Eigen::VectorXd>(start.data(), dim);
  Eigen::VectorXd xi(design.cols());
  xi.head(dim) = xi0;
  if (with_constant) {
    design.col(dim) = GateOf(patterns, full, problem.gate);
    xi[dim] = 0.0;
  }
  // The nearest point of the null space: xi - pinv(design) design xi.
  xi -= design.completeOrthogonalDecomposition().solve(design * xi);
  offset = 0;
  double norm = 0.0, linear = 0.0;
  for (const auto& [blk, basis] : kept) {
    const Eigen::VectorXd z = basis * xi.segment(offset, basis.cols());
    offset += static_cast<int>(basis.cols());
    (blk.s == 0 ? out.positive : out.negative).col(blk.k) += z;
  }
  if (with_constant) {
    const double c = xi[dim];
    (c >= 0 ? out.positive : out.negative)(d, full) += std::abs(c);
  }
  Eigen::VectorXd fitted = Eigen::VectorXd::Zero(n);
  for (int k = 0; k < num_patterns; ++k) {
    const Eigen::VectorXd sign = ConeSignOf(patterns, k);
    for (int s = 0; s < 2; ++s) {
      const Eigen::VectorXd z = (s == 0 ? out.positive : out.negative).col(k);
      if (z.isZero(0.0)) continue;
      norm += z.head(d).norm();
      const double sgn = s == 0 ? 1.0 : -1.0;
      if (problem.linear.size() > 0) linear += sgn * problem.linear.col(k).dot(z);
      fitted += sgn * GateOf(patterns, k, problem.gate).cwiseProduct(xt * z);
      const Eigen::VectorXd rows = sign.cwiseProduct(xt * z);
      for (int i = 0; i < n; ++i)
        out.cone_violation =
            std::max(out.cone_violation, -rows[i] / (xt.row(i).norm() * z.norm()));
    }
  }
  if (!(norm > 0)) return out;
  const double xnorm = xt.norm();
  out.positive /= norm;
  out.negative /= norm;
  out.ratio = -linear / norm;
  out.data_residual = fitted.norm() / (norm * xnorm);
  out.valid = out.cone_violation <= 1e-12 && out.data_residual <= 1e-12;
  return out;
}

}  // namespace

RecessionDirection RepairRecessionDirection(const ConeGroupLassoProblem& problem,
                                            const Eigen::MatrixXd& positive,
                                            const Eigen::MatrixXd& negative) {
  Validate(problem);
  // Rows the projection pushes below zero count as tight in the next pass (they are negative),
  // so repeating the repair on its own output closes the structure.
  RecessionDirection direction = RepairOnce(problem, positive, negative);
  for (int pass = 0; pass < 8 && !direction.valid; ++pass) {
    if (direction.positive.isZero(0.0) && direction.negative.isZero(0.0)) break;
    direction = RepairOnce(problem, direction.positive, direction.negative);
  }
  return direction;
}

}  // namespace convexscore

namespace convexscore {

Eigen::VectorXd NonNegativeLeastSquaresSolve(const Eigen::MatrixXd& c, const Eigen::VectorXd& t) {
  return NonNegativeLeastSquares(c, t);
}

}  // namespace convexscore
