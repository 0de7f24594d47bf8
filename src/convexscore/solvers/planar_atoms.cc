#include "convexscore/solvers/planar_atoms.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <span>

#include <Eigen/Eigenvalues>

#include "convexscore/solvers/cone_group_lasso.h"

namespace convexscore {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

double Wrap(double angle) {
  angle = std::fmod(angle, kTwoPi);
  return angle < 0 ? angle + kTwoPi : angle;
}

double Cross(const Eigen::Vector2d& a, const Eigen::Vector2d& b) { return a[0] * b[1] - a[1] * b[0]; }

}  // namespace

PlanarAtoms::PlanarAtoms(const Eigen::Ref<const Eigen::MatrixXd>& x, Activation gate)
    : n_(static_cast<int>(x.rows())), x_(x), gate_(gate) {
  if (x.cols() != 2) throw Error("planar atoms: the data must have two columns");
  if (!x.allFinite()) throw Error("planar atoms: non-finite data");
  const std::size_t nn = static_cast<std::size_t>(n_) * n_;
  enter_position_.assign(nn, -1);
  leave_position_.assign(nn, -1);
  initially_in_.assign(nn, 0);
  offset_.assign(n_ + 1, 0);
  struct Event {
    double angle;
    int point;
    bool enter;
  };
  std::vector<Event> events;
  std::vector<double> starts, widths;
  std::vector<Eigen::Vector2d> start_rays, end_rays;
  for (int i = 0; i < n_; ++i) {
    events.clear();
    for (int j = 0; j < n_; ++j) {
      const double dx = x(j, 0) - x(i, 0), dy = x(j, 1) - x(i, 1);
      if (dx == 0.0 && dy == 0.0) continue;
      const double alpha = std::atan2(dy, dx);
      // u(theta) . (x_j - x_i) > 0 for theta in (alpha - pi/2, alpha + pi/2).
      events.push_back({Wrap(alpha - 0.5 * std::numbers::pi), j, true});
      events.push_back({Wrap(alpha + 0.5 * std::numbers::pi), j, false});
    }
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      return a.angle < b.angle || (a.angle == b.angle && a.point < b.point);
    });
    const int count = static_cast<int>(events.size());
    offset_[i + 1] = offset_[i] + count;
    for (int p = 0; p < count; ++p) {
      const Event& e = events[p];
      (e.enter ? enter_position_ : leave_position_)[static_cast<std::size_t>(i) * n_ + e.point] = p;
      event_point_.push_back(e.point);
      event_enter_.push_back(e.enter);
      pivot_.push_back(i);
      const double next = p + 1 < count ? events[p + 1].angle : events[0].angle + kTwoPi;
      starts.push_back(e.angle);
      widths.push_back(next - e.angle);
      start_rays.emplace_back(std::cos(e.angle), std::sin(e.angle));
      end_rays.emplace_back(std::cos(next), std::sin(next));
    }
    // Just before the first event, j is in S when its last event of the cycle is an entry.
    for (int j = 0; j < n_; ++j) {
      const std::size_t ij = static_cast<std::size_t>(i) * n_ + j;
      if (enter_position_[ij] >= 0) initially_in_[ij] = enter_position_[ij] > leave_position_[ij];
    }
  }
  const int total = static_cast<int>(pivot_.size());
  start_angle_ = starts;
  width_ = widths;
  start_ray_.resize(2, total);
  end_ray_.resize(2, total);
  for (int a = 0; a < total; ++a) {
    start_ray_.col(a) = start_rays[a];
    end_ray_.col(a) = end_rays[a];
  }
}

Eigen::VectorXd PlanarAtoms::Apply(const Eigen::Matrix2Xd& w) const {
  Eigen::VectorXd f = Eigen::VectorXd::Zero(n_);
  std::vector<Eigen::Vector2d> prefix;
  for (int i = 0; i < n_; ++i) {
    const int begin = offset_[i], count = offset_[i + 1] - begin;
    if (count == 0) continue;
    prefix.assign(count + 1, Eigen::Vector2d::Zero());
    for (int p = 0; p < count; ++p) prefix[p + 1] = prefix[p] + w.col(begin + p);
    const Eigen::Vector2d total = prefix[count];
    const Eigen::Vector2d xi = x_.row(i).transpose();
    for (int j = 0; j < n_; ++j) {
      const std::size_t ij = static_cast<std::size_t>(i) * n_ + j;
      const int enter = enter_position_[ij];
      if (enter < 0) continue;
      const int leave = leave_position_[ij];
      // j is in S on the arcs enter, ..., leave - 1 (cyclically).
      const Eigen::Vector2d in = enter < leave ? Eigen::Vector2d(prefix[leave] - prefix[enter])
                                               : Eigen::Vector2d(total - prefix[enter] + prefix[leave]);
      const Eigen::Vector2d coefficient =
          gate_ == Activation::kRelu ? in : Eigen::Vector2d(2.0 * in - total);
      f[j] += coefficient.dot(x_.row(j).transpose() - xi);
    }
  }
  return f;
}

Eigen::Matrix2Xd PlanarAtoms::ApplyTranspose(const Eigen::VectorXd& r) const {
  Eigen::Matrix2Xd g(2, size());
  for (int i = 0; i < n_; ++i) {
    const int begin = offset_[i], count = offset_[i + 1] - begin;
    const Eigen::Vector2d xi = x_.row(i).transpose();
    Eigen::Vector2d in = Eigen::Vector2d::Zero(), all = Eigen::Vector2d::Zero();
    for (int j = 0; j < n_; ++j) {
      const std::size_t ij = static_cast<std::size_t>(i) * n_ + j;
      if (enter_position_[ij] < 0) continue;
      const Eigen::Vector2d term = r[j] * (x_.row(j).transpose() - xi);
      all += term;
      if (initially_in_[ij]) in += term;
    }
    for (int p = 0; p < count; ++p) {
      const int j = event_point_[begin + p];
      const Eigen::Vector2d term = r[j] * (x_.row(j).transpose() - xi);
      in += event_enter_[begin + p] ? term : Eigen::Vector2d(-term);
      g.col(begin + p) = gate_ == Activation::kRelu ? in : Eigen::Vector2d(2.0 * in - all);
    }
  }
  return g;
}

double PlanarAtoms::ArcMax(int a, const Eigen::Vector2d& v) const {
  const double norm = v.norm();
  if (norm == 0.0) return 0.0;
  if (Wrap(std::atan2(v[1], v[0]) - start_angle_[a]) <= width_[a]) return norm;
  return std::max(start_ray_.col(a).dot(v), end_ray_.col(a).dot(v));
}

Eigen::Vector2d PlanarAtoms::ProjectOntoSector(int a, const Eigen::Vector2d& w) const {
  if (Degenerate(a)) return Eigen::Vector2d::Zero();
  const Eigen::Vector2d s = start_ray_.col(a), e = end_ray_.col(a);
  const bool inside = width_[a] < std::numbers::pi
                          ? Cross(s, w) >= 0 && Cross(w, e) >= 0
                          : Cross(s, w) >= 0;
  if (inside) return w;
  const double ts = std::max(0.0, s.dot(w)), te = std::max(0.0, e.dot(w));
  return ts >= te ? Eigen::Vector2d(ts * s) : Eigen::Vector2d(te * e);
}

Eigen::MatrixXd PlanarAtoms::Features(int a) const {
  const int i = pivot_[a], p = a - offset_[i];
  Eigen::MatrixXd f(n_, 2);
  for (int j = 0; j < n_; ++j) {
    const std::size_t ij = static_cast<std::size_t>(i) * n_ + j;
    const int enter = enter_position_[ij], leave = leave_position_[ij];
    double gate = 0.0;
    if (enter >= 0) {
      const bool in = enter < leave ? (p >= enter && p < leave) : (p >= enter || p < leave);
      gate = in ? 1.0 : (gate_ == Activation::kRelu ? 0.0 : -1.0);
    }
    f.row(j) = gate * (x_.row(j) - x_.row(i));
  }
  return f;
}

std::vector<std::uint64_t> PlanarAtoms::PatternBits(int a) const {
  const int i = pivot_[a], p = a - offset_[i];
  std::vector<std::uint64_t> bits((n_ + 63) / 64, 0);
  for (int j = 0; j < n_; ++j) {
    const std::size_t ij = static_cast<std::size_t>(i) * n_ + j;
    const int enter = enter_position_[ij], leave = leave_position_[ij];
    const bool in = enter < 0 ||  // the pivot and its duplicates lie on the line
                    (enter < leave ? (p >= enter && p < leave) : (p >= enter || p < leave));
    if (in) bits[j >> 6] |= std::uint64_t{1} << (j & 63);
  }
  return bits;
}

namespace {

// PlanarWorstDualNorm with g = F^T lambda already computed.
double WorstDualNorm(const PlanarAtoms& atoms, const Eigen::VectorXd& lambda,
                     const Eigen::Matrix2Xd& g) {
  double worst = (atoms.x().transpose() * lambda).norm();
  for (int a = 0; a < atoms.size(); ++a) {
    if (atoms.Degenerate(a)) continue;
    const Eigen::Vector2d v = g.col(a);
    worst = std::max({worst, atoms.ArcMax(a, v), atoms.ArcMax(a, -v)});
  }
  return worst;
}

}  // namespace

double PlanarWorstDualNorm(const PlanarAtoms& atoms, const Eigen::VectorXd& lambda) {
  return WorstDualNorm(atoms, lambda, atoms.ApplyTranspose(lambda));
}

namespace {

// The centred residual of a point (the free constant at its optimum) and that constant.
Eigen::VectorXd CentredResidual(const PlanarAtoms& atoms, const Eigen::VectorXd& y,
                                const Eigen::Matrix2Xd& positive, const Eigen::Matrix2Xd& negative,
                                const Eigen::Vector2d& linear, double* constant) {
  Eigen::VectorXd fitted = atoms.Apply(positive - negative) + atoms.x() * linear;
  const double c = (y - fitted).mean();
  if (constant) *constant = c;
  return fitted.array() + c - y.array();
}

double Penalty(const Eigen::Matrix2Xd& positive, const Eigen::Matrix2Xd& negative,
               const Eigen::Vector2d& linear) {
  return positive.colwise().norm().sum() + negative.colwise().norm().sum() + linear.norm();
}

// Primal and dual values at a point: the dual point is theta r / n, theta the best multiple
// that keeps the worst dual norm within beta (BestDualMultiple, as for the pattern program).
// Returns F^T r / n for every atom, which the pricing reuses.
Eigen::Matrix2Xd Evaluate(const PlanarAtoms& atoms, const Eigen::VectorXd& y, double beta,
                          PlanarAtomPoint& p) {
  const int n = atoms.points();
  const Eigen::VectorXd r = CentredResidual(atoms, y, p.positive, p.negative, p.linear, &p.constant);
  p.primal = r.squaredNorm() / (2.0 * n) + beta * Penalty(p.positive, p.negative, p.linear);
  const Eigen::VectorXd lambda = r / n;
  Eigen::Matrix2Xd g = atoms.ApplyTranspose(lambda);
  const Eigen::VectorXd dual_point =
      BestDualMultiple(lambda, y, beta, WorstDualNorm(atoms, lambda, g)) * lambda;
  p.dual = -0.5 * n * dual_point.squaredNorm() - dual_point.dot(y);
  return g;
}

// The restricted program on a few atom blocks (and the linear block): block coordinate descent
// (Descend), then a primal barrier method (Run) when descent has not reached the target
// (docs/theory.md, "Planar atoms"). Descent alone stalled at small noise levels: the atoms that
// separate the copies of one point have nearly parallel features, and tens of thousands of
// sweeps left relative gaps near 1e-4. Newton's method on the barrier problem does not care
// about that conditioning.
//
// For each block, beta ||w|| is replaced by its barrier smoothing h(w) = min_t beta t -
// mu log(t^2 - ||w||^2), whose minimiser is t = (mu + q) / beta, q = sqrt(mu^2 + beta^2 ||w||^2),
// and the sector by -mu log(a . w) for its two inward edge normals a. At a centred point the
// scaled residual r / n is dual feasible for the restricted program (each price is below
// beta ||w|| / t <= beta) and the gap is at most 3 mu per atom block and mu for the linear one,
// so decreasing mu drives the restricted gap to zero; the gap is measured exactly at the end of
// each stage.
class RestrictedProgram {
 public:
  RestrictedProgram(const PlanarAtoms& atoms, const Eigen::VectorXd& y,
                    const std::vector<std::pair<int, int>>& blocks)
      : atoms_(atoms), blocks_(blocks) {
    const int n = atoms.points(), m = static_cast<int>(blocks.size());
    features_.resize(n, 2 * m + 2);
    for (int b = 0; b < m; ++b) features_.middleCols(2 * b, 2) = blocks[b].second * atoms.Features(blocks[b].first);
    features_.rightCols(2) = atoms.x();
    features_.rowwise() -= features_.colwise().mean();
    centred_y_ = y.array() - y.mean();
    normals_.resize(2, 2 * m);
    half_plane_.assign(m, 0);
    middle_.resize(2, m);
    for (int b = 0; b < m; ++b) {
      const int a = blocks[b].first;
      const Eigen::Vector2d s = atoms.EdgeRay(a, 0), e = atoms.EdgeRay(a, 1);
      // Cross(s, w) >= 0 and Cross(w, e) >= 0; an arc of width pi is the half-plane of s.
      normals_.col(2 * b) = Eigen::Vector2d(-s[1], s[0]);
      normals_.col(2 * b + 1) = Eigen::Vector2d(e[1], -e[0]);
      half_plane_[b] = Cross(s, e) <= 1e-12;
      middle_.col(b) = half_plane_[b] ? Eigen::Vector2d(normals_.col(2 * b)) : Eigen::Vector2d((s + e).normalized());
    }
    // Each block's own 2 x 2 Gram block (descent, O(n) each); the whole Gram matrix (2 p^2 n)
    // only when the Newton systems are solved directly (p <= n), since with a few hundred blocks
    // forming it every round cost more than the Newton steps.
    diagonal_.resize(m + 1);
    for (int b = 0; b <= m; ++b) diagonal_[b] = features_.middleCols<2>(2 * b).transpose() * features_.middleCols<2>(2 * b) / n;
    if (features_.cols() <= n) gram_ = features_.transpose() * features_ / n;
  }

  // Minimises the restricted program from v (any point of the closed sectors) until its exact
  // relative gap is <= tolerance or max_steps Newton steps were taken; returns the steps.
  // Block coordinate descent from v, each block minimised exactly (BlockMinimum), until the
  // restricted relative gap is <= tolerance or max_sweeps sweeps were made. Returns the sweeps.
  // Cheap per sweep and enough while the blocks in play are well separated (large sigma).
  int Descend(Eigen::VectorXd& v, double beta, double tolerance, int max_sweeps) const {
    const int m = static_cast<int>(blocks_.size());
    const int n = static_cast<int>(features_.rows());
    Eigen::VectorXd r = features_ * v - centred_y_;  // kept up to date block by block
    int sweep = 0;
    for (; sweep < max_sweeps; ++sweep) {
      if (sweep % 10 == 0 && Gap(v, beta) <= tolerance) break;
      for (int b = 0; b <= m; ++b) {
        const Eigen::Vector2d old = v.segment<2>(2 * b);
        const Eigen::Matrix2d& h = diagonal_[b];
        // The block's linear coefficient with the other blocks held fixed.
        const Eigen::Vector2d c = h * old - features_.middleCols<2>(2 * b).transpose() * r / n;
        const Eigen::Vector2d w = BlockMinimum(h, c, beta, b < m ? blocks_[b].first : -1);
        const Eigen::Vector2d delta = w - old;
        if (delta.isZero(0.0)) continue;
        v.segment<2>(2 * b) = w;
        r.noalias() += features_.middleCols<2>(2 * b) * delta;
      }
    }
    return sweep;
  }

  // argmin over w in the sector of `atom` (the plane when atom < 0) of
  // (1/2) w^T h w - c^T w + beta ||w||: zero when no direction of the sector descends; else the
  // unconstrained minimiser when it lies in the sector; else the better of the two edge rays.
  Eigen::Vector2d BlockMinimum(const Eigen::Matrix2d& h, const Eigen::Vector2d& c, double beta,
                               int atom) const {
    const double reach = atom < 0 ? c.norm() : atoms_.ArcMax(atom, c);
    if (reach <= beta) return Eigen::Vector2d::Zero();
    auto value = [&](const Eigen::Vector2d& w) { return 0.5 * w.dot(h * w) - c.dot(w) + beta * w.norm(); };
    // Stationarity (h + beta / t I) w = c with t = ||w||: with h = Q diag(mu) Q^T the norm of
    // w(t) = Q diag(1 / (mu + beta / t)) Q^T c equals t where sum c~_i^2 / (mu_i t + beta)^2 = 1,
    // a decreasing function of t (bisection).
    const Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> eig(h);
    const Eigen::Vector2d mu = eig.eigenvalues().cwiseMax(0.0);
    const Eigen::Vector2d ct = eig.eigenvectors().transpose() * c;
    auto excess = [&](double t) {
      return ct.cwiseQuotient(mu * t + Eigen::Vector2d::Constant(beta)).squaredNorm() - 1.0;
    };
    Eigen::Vector2d best = Eigen::Vector2d::Zero();
    double best_value = 0.0;
    if (c.norm() > beta) {
      double lo = 0.0, hi = 1.0;
      for (int k = 0; k < 200 && excess(hi) > 0; ++k) hi *= 2.0;
      if (excess(hi) <= 0) {
        for (int k = 0; k < 100; ++k) {
          const double mid = 0.5 * (lo + hi);
          (excess(mid) > 0 ? lo : hi) = mid;
        }
        const double t = 0.5 * (lo + hi);
        const Eigen::Vector2d w =
            t * (eig.eigenvectors() * ct.cwiseQuotient(mu * t + Eigen::Vector2d::Constant(beta)));
        const bool inside = atom < 0 || (atoms_.ProjectOntoSector(atom, w) - w).norm() <= 1e-14 * w.norm();
        if (inside) return w;
      }
    }
    for (int edge = 0; edge < 2 && atom >= 0; ++edge) {
      const Eigen::Vector2d u = atoms_.EdgeRay(atom, edge);
      const double curvature = u.dot(h * u);
      if (!(curvature > 0)) continue;
      const Eigen::Vector2d w = std::max(0.0, (c.dot(u) - beta) / curvature) * u;
      const double val = value(w);
      if (val < best_value) {
        best_value = val;
        best = w;
      }
    }
    return best;
  }

  // Sets *stalled when a Newton direction no longer descends (rounding at tiny mu).
  int Run(Eigen::VectorXd& v, double beta, double tolerance, int max_steps, bool* stalled) const {
    *stalled = false;
    const int m = static_cast<int>(blocks_.size());
    const double barrier_degree = 3.0 * m + 1.0;
    double gap = Gap(v, beta);
    if (gap <= tolerance) return 0;
    const double scale = std::max(1.0, std::abs(Primal(v, beta)));
    double mu = std::max(gap * scale / barrier_degree, 1e-300);
    const Eigen::VectorXd start = v;
    const double start_gap = gap;
    // Strictly inside every sector, at about the size a zero block has on the central path.
    for (int b = 0; b < m; ++b) v.segment<2>(2 * b) += (mu / beta) * middle_.col(b);
    int steps = 0, idle = 0;
    while (steps < max_steps) {
      const double previous = gap;
      steps += Centre(v, beta, mu, max_steps - steps, stalled);
      gap = Gap(v, beta);
      if (gap <= tolerance || *stalled) break;
      // Rounding stops the progress long before mu reaches zero: two stages without halving
      // the gap end the solve.
      idle = gap > 0.5 * previous ? idle + 1 : 0;
      if (idle >= 2) {
        *stalled = true;
        break;
      }
      // Next stage: aim at a fiftieth of the measured gap, at least a tenfold decrease.
      mu = std::min(mu / 10.0, 0.1 * gap * scale / barrier_degree);
      if (!(mu > 1e-300)) break;
    }
    // A run that stalls early can end worse than it began (the start's push into the sectors
    // is then not undone); the point it was given is kept instead.
    if (!(gap <= start_gap)) v = start;
    return steps;
  }

 private:
  // Damped Newton steps on the barrier problem at mu until the Newton decrement is small.
  int Centre(Eigen::VectorXd& v, double beta, double mu, int max_steps, bool* stalled) const {
    const int n = static_cast<int>(features_.rows()), m = static_cast<int>(blocks_.size());
    int steps = 0, unresolvable = 0;
    double value = Barrier(v, features_ * v - centred_y_, beta, mu);
    while (steps < max_steps) {
      ++steps;
      const Eigen::VectorXd r = features_ * v - centred_y_;
      Eigen::VectorXd grad = features_.transpose() * r / n;
      std::vector<Eigen::Matrix2d> hess(m + 1), factor(m + 1);
      for (int b = 0; b <= m; ++b) {
        Eigen::Vector2d g;
        BlockDerivatives(b, v.segment<2>(2 * b), beta, mu, g, hess[b], factor[b]);
        grad.segment<2>(2 * b) += g;
      }
      const Eigen::VectorXd dx = Solve(hess, factor, -grad);
      const double decrement = -grad.dot(dx);
      if (!(decrement > 1e-3 * mu)) break;
      // Stay strictly inside the sectors, then backtrack on the barrier value.
      double step = 1.0;
      for (int b = 0; b < m; ++b) {
        for (int k = 0; k < (half_plane_[b] ? 1 : 2); ++k) {
          const double slope = normals_.col(2 * b + k).dot(dx.segment<2>(2 * b));
          if (slope < 0) step = std::min(step, -0.99 * normals_.col(2 * b + k).dot(v.segment<2>(2 * b)) / slope);
        }
      }
      const Eigen::VectorXd fdx = features_ * dx;
      // A decrease below the rounding of the barrier's value cannot be tested; the Newton step
      // (kept inside the sectors) is taken as it is then, a few times: from there exact Newton
      // steps converge quadratically, so a decrement still above 1e-3 mu after ten of them is
      // rounding in the direction (once, on the 80-point spiral at sigma 0.03, 4400 steps).
      const bool resolvable = decrement > 1e-14 * std::max(1.0, std::abs(value));
      if (!resolvable && ++unresolvable > 10) {
        *stalled = true;
        break;
      }
      bool moved = false;
      for (int k = 0; k < 60; ++k, step *= 0.5) {
        const Eigen::VectorXd trial = v + step * dx;
        const double trial_value = Barrier(trial, r + step * fdx, beta, mu);
        if (trial_value <= value - 0.25 * step * decrement ||
            (!resolvable && trial_value < std::numeric_limits<double>::infinity())) {
          v = trial;
          value = trial_value;
          moved = true;
          break;
        }
      }
      if (!moved) {
        *stalled = true;
        break;
      }
    }
    return steps;
  }

  // Gradient, Hessian and a factor of the inverse Hessian of block b's barrier terms at w (the
  // factor from the pieces: FactorOfInverseOfNormPlusEdges).
  void BlockDerivatives(int b, const Eigen::Vector2d& w, double beta, double mu, Eigen::Vector2d& g,
                        Eigen::Matrix2d& h, Eigen::Matrix2d& factor) const {
    const double s = w.norm(), q = std::hypot(mu, beta * s), t = (mu + q) / beta;
    g = (beta / t) * w;
    // Eigenvalues beta / t across w and (beta / t)(mu / q) along it (no cancellation).
    const double across = beta / t, along = across * (mu / q);
    const Eigen::Vector2d radial = s > 0 ? Eigen::Vector2d(w / s) : Eigen::Vector2d(1.0, 0.0);
    const Eigen::Vector2d turned(radial[1], -radial[0]);
    h = across * turned * turned.transpose() + along * radial * radial.transpose();
    // The sector's edges: none for the linear block, one for a half-plane, else two.
    const int edges = b == static_cast<int>(blocks_.size()) ? 0 : (half_plane_[b] ? 1 : 2);
    Eigen::Vector2d normals[2];
    double weights[2];
    for (int k = 0; k < edges; ++k) {
      normals[k] = normals_.col(2 * b + k);
      const double c = normals[k].dot(w);
      weights[k] = mu / (c * c);
      g -= (mu / c) * normals[k];
      h += weights[k] * normals[k] * normals[k].transpose();
    }
    factor = FactorOfInverseOfNormPlusEdges(radial, along, across, std::span(normals, edges),
                                            std::span(weights, edges));
  }

  // The barrier objective at v with residual r = F v - y (+infinity outside the open sectors).
  double Barrier(const Eigen::VectorXd& v, const Eigen::VectorXd& r, double beta, double mu) const {
    const int n = static_cast<int>(features_.rows()), m = static_cast<int>(blocks_.size());
    double value = r.squaredNorm() / (2.0 * n);
    for (int b = 0; b <= m; ++b) {
      const Eigen::Vector2d w = v.segment<2>(2 * b);
      const double q = std::hypot(mu, beta * w.norm()), t = (mu + q) / beta;
      value += beta * t - mu * std::log(2.0 * mu * t / beta);
      if (b == m) continue;
      for (int k = 0; k < (half_plane_[b] ? 1 : 2); ++k) {
        const double c = normals_.col(2 * b + k).dot(w);
        if (!(c > 0)) return std::numeric_limits<double>::infinity();
        value -= mu * std::log(c);
      }
    }
    return value;
  }

  // Solves (F^T F / n + blockdiag(hess)) dx = rhs: directly when the blocks are few, else by the
  // Woodbury identity through the n x n matrix n I + F B^-1 F^T = n I + G G^T, G = F C with
  // B^-1 = C C^T block by block (a symmetric rank update, half the work of a general product),
  // with refinement steps.
  Eigen::VectorXd Solve(const std::vector<Eigen::Matrix2d>& hess,
                        const std::vector<Eigen::Matrix2d>& factor,
                        const Eigen::VectorXd& rhs) const {
    const int n = static_cast<int>(features_.rows()), p = static_cast<int>(rhs.size());
    const int nb = p / 2;
    if (p <= n) {
      Eigen::MatrixXd h = gram_;
      for (int b = 0; b < nb; ++b) h.block<2, 2>(2 * b, 2 * b) += hess[b];
      return h.llt().solve(rhs);
    }
    Eigen::MatrixXd scaled(n, p);  // G = F C
    for (int b = 0; b < nb; ++b) scaled.middleCols<2>(2 * b).noalias() = features_.middleCols<2>(2 * b) * factor[b];
    Eigen::MatrixXd k = Eigen::MatrixXd::Identity(n, n) * n;
    k.selfadjointView<Eigen::Lower>().rankUpdate(scaled);
    const Eigen::LLT<Eigen::MatrixXd, Eigen::Lower> llt(k);
    // B^-1 u - C G^T K^-1 G C^T u.
    auto apply_inverse = [&](const Eigen::VectorXd& u) {
      Eigen::VectorXd half(p);
      for (int b = 0; b < nb; ++b) half.segment<2>(2 * b) = factor[b].transpose() * u.segment<2>(2 * b);
      half.noalias() -= scaled.transpose() * llt.solve(scaled * half);
      Eigen::VectorXd out(p);
      for (int b = 0; b < nb; ++b) out.segment<2>(2 * b) = factor[b] * half.segment<2>(2 * b);
      return out;
    };
    // The identity subtracts nearly equal terms along the radial directions of large blocks
    // (B^-1 grows like 1 / mu there), so refine while the residual shrinks.
    auto residual_of = [&](const Eigen::VectorXd& dx) {
      Eigen::VectorXd residual = rhs - features_.transpose() * (features_ * dx) / n;
      for (int b = 0; b < nb; ++b) residual.segment<2>(2 * b) -= hess[b] * dx.segment<2>(2 * b);
      return residual;
    };
    Eigen::VectorXd dx = apply_inverse(rhs);
    Eigen::VectorXd residual = residual_of(dx);
    for (int k = 0; k < 5 && residual.norm() > 1e-12 * rhs.norm(); ++k) {
      const Eigen::VectorXd better = dx + apply_inverse(residual);
      const Eigen::VectorXd better_residual = residual_of(better);
      if (!(better_residual.norm() < residual.norm())) break;
      dx = better;
      residual = better_residual;
    }
    return dx;
  }

  double Primal(const Eigen::VectorXd& v, double beta) const {
    const int n = static_cast<int>(features_.rows()), m = static_cast<int>(blocks_.size());
    double penalty = 0.0;
    for (int b = 0; b <= m; ++b) penalty += v.segment<2>(2 * b).norm();
    return (features_ * v - centred_y_).squaredNorm() / (2.0 * n) + beta * penalty;
  }

 public:
  // The relative gap of the restricted program at v (dual point: the scaled residual).
  double Gap(const Eigen::VectorXd& v, double beta) const {
    const int n = static_cast<int>(features_.rows()), m = static_cast<int>(blocks_.size());
    const Eigen::VectorXd r = features_ * v - centred_y_;
    const double primal = Primal(v, beta);
    const Eigen::VectorXd g = features_.transpose() * r / n;
    double worst = g.tail<2>().norm();
    for (int b = 0; b < m; ++b)
      worst = std::max(worst, atoms_.ArcMax(blocks_[b].first, -g.segment<2>(2 * b)));
    const Eigen::VectorXd lambda = BestDualMultiple(r / n, centred_y_, beta, worst) * r / n;
    const double dual = -0.5 * n * lambda.squaredNorm() - lambda.dot(centred_y_);
    return (primal - dual) / std::max(1.0, std::abs(primal));
  }

 private:
  const PlanarAtoms& atoms_;
  const std::vector<std::pair<int, int>>& blocks_;
  Eigen::MatrixXd features_, gram_;  // gram_ only when p <= n (Solve)
  std::vector<Eigen::Matrix2d> diagonal_;
  Eigen::VectorXd centred_y_;
  Eigen::Matrix2Xd normals_, middle_;
  std::vector<char> half_plane_;
};

// The barrier leaves every block of the working set nonzero; those whose price (g = F^T r / n at
// the point) is clearly below beta are zero at the optimum and only slow the polish and inflate
// the neuron count. The dual point moves with the residual, so a pruning is judged by the primal
// value alone: it may cost no more than the gap (the polish then re-solves on the remaining
// blocks). The tightest price margin that passes is kept.
void PruneInactive(const PlanarAtoms& atoms, const Eigen::VectorXd& y, double beta,
                   const Eigen::Matrix2Xd& g, PlanarAtomPoint& point) {
  const PlanarAtomPoint before = point;
  for (double margin : {1e-3, 1e-2, 1e-1, 0.5}) {
    bool changed = false;
    for (const auto& [a, sign] : point.working) {
      auto w = (sign > 0 ? point.positive : point.negative).col(a);
      if (w.isZero(0.0) ||
          atoms.ArcMax(a, -sign * Eigen::Vector2d(g.col(a))) >= (1.0 - margin) * beta)
        continue;
      w.setZero();
      changed = true;
    }
    if (!changed) return;
    Evaluate(atoms, y, beta, point);
    if (point.primal - before.primal <= before.primal - before.dual) return;
    point = before;
  }
}

}  // namespace

// For 2 x 2 matrices the adjugate is linear, adj(a a^T) = a' a'^T with a' = (a_1, -a_0), and
// det(A + B) = det A + det B + tr(adj(A) B); with A the norm's part and B the edge terms every
// term of both sums is a non-negative multiple of a positive semi-definite matrix or number.
// The factor is the pivoted LDL^T of M = adj / det: with the larger diagonal entry adj_ii as
// pivot, d_1 = adj_ii / det and d_2 = det(M) / d_1 = 1 / adj_ii (det(adj) = det for 2 x 2), so
// no entry is a difference either.
Eigen::Matrix2d FactorOfInverseOfNormPlusEdges(const Eigen::Vector2d& radial, double along,
                                               double across,
                                               std::span<const Eigen::Vector2d> normals,
                                               std::span<const double> weights) {
  const Eigen::Vector2d turned(radial[1], -radial[0]);
  const Eigen::Matrix2d adjugate_of_norm =
      along * turned * turned.transpose() + across * radial * radial.transpose();
  Eigen::Matrix2d adjugate = adjugate_of_norm;
  double determinant = along * across;
  for (std::size_t k = 0; k < normals.size(); ++k) {
    const Eigen::Vector2d& a = normals[k];
    const Eigen::Vector2d a_turned(a[1], -a[0]);
    adjugate += weights[k] * a_turned * a_turned.transpose();
    determinant += weights[k] * a.dot(adjugate_of_norm * a);
  }
  if (normals.size() == 2) {
    // The normals of a narrow sector are nearly opposite: their cross product is small against
    // its two products, so it is formed with fused multiply-adds (Kahan's 2 x 2 determinant).
    const Eigen::Vector2d &a = normals[0], &b = normals[1];
    const double product = a[1] * b[0];
    const double cross = std::fma(a[0], b[1], -product) + std::fma(-a[1], b[0], product);
    determinant += weights[0] * weights[1] * cross * cross;
  }
  const int i = adjugate(0, 0) >= adjugate(1, 1) ? 0 : 1, j = 1 - i;
  const double pivot = adjugate(i, i);
  Eigen::Matrix2d factor;
  factor(i, 0) = std::sqrt(pivot / determinant);
  factor(j, 0) = adjugate(j, i) / pivot * factor(i, 0);
  factor(i, 1) = 0.0;
  factor(j, 1) = std::sqrt(1.0 / pivot);
  return factor;
}

void SolvePlanarAtoms(const PlanarAtoms& atoms, const Eigen::VectorXd& y, double beta,
                      double tolerance, int max_steps, PlanarAtomPoint& point) {
  const int m = atoms.size();
  if (point.positive.cols() != m) {
    point.positive = Eigen::Matrix2Xd::Zero(2, m);
    point.negative = Eigen::Matrix2Xd::Zero(2, m);
    point.linear.setZero();
  }
  // Small batches keep the working set, and with it the Gram matrix (n p^2) and the Newton
  // systems (n^2 p), small: on the 80-point spiral at sigma 0.03 and 0.05 n/40 atoms per round
  // were about twice as fast as n/10 (docs/benchmarks.md).
  const int batch = std::max(10, atoms.points() / 40);
  bool stalled = false;  // the last restricted solve stopped on rounding
  for (int round = 0; round < 1000 && point.iterations < max_steps; ++round) {
    // The blocks in play: those already in the working set (kept, so that a block the
    // restricted solve zeroes is not priced back in round after round) and the most violated
    // ones at the current point.
    const Eigen::Matrix2Xd g = Evaluate(atoms, y, beta, point);
    // Except, after the first round of a call, zero blocks priced below 0.99 beta: without this
    // the working set only grows (n p^2 for its Gram matrix, n^2 p per Newton step). Zeroing the
    // barrier's leftovers priced below beta / 2 as well was tried: the 20-point spiral at sigma
    // 0.05 then ran past 60 s. Dropping in the first round too (the previous call's set) ended
    // the 80-point spiral at sigma 0.5 at the iteration limit.
    if (round > 0) std::erase_if(point.working, [&](const std::pair<int, int>& block) {
      const auto [a, sign] = block;
      return (sign > 0 ? point.positive : point.negative).col(a).isZero(0.0) &&
             atoms.ArcMax(a, -sign * Eigen::Vector2d(g.col(a))) < 0.99 * beta;
    });
    std::vector<char> in_set(2 * static_cast<std::size_t>(m), 0);
    for (const auto& [a, sign] : point.working) in_set[2 * a + (sign > 0 ? 0 : 1)] = 1;
    for (int a = 0; a < m; ++a) {
      for (int sign : {1, -1}) {
        const bool nonzero = !(sign > 0 ? point.positive : point.negative).col(a).isZero(0.0);
        if (nonzero && !in_set[2 * a + (sign > 0 ? 0 : 1)]) {
          in_set[2 * a + (sign > 0 ? 0 : 1)] = 1;
          point.working.push_back({a, sign});
        }
      }
    }
    // The violated atoms, at most one per pivot and sign (the most violated, the first on ties):
    // the most violated atoms sit on neighbouring arcs of a few pivots, whose features differ by
    // one point, so a batch of them adds little more than one of them would. On the 80-point
    // spiral (spiral:80) at sigma 0.1 this cut one coordinate's fit from 85 s to 7 s.
    std::vector<std::pair<double, std::pair<int, int>>> best(2 * static_cast<std::size_t>(atoms.points()),
                                                             {0.0, {-1, 0}});
    for (int a = 0; a < m; ++a) {
      if (atoms.Degenerate(a)) continue;
      for (int sign : {1, -1}) {
        if (in_set[2 * a + (sign > 0 ? 0 : 1)]) continue;
        const double value = atoms.ArcMax(a, -sign * Eigen::Vector2d(g.col(a)));
        auto& slot = best[2 * atoms.Pivot(a) + (sign > 0 ? 0 : 1)];
        if (value > beta * (1.0 + 1e-12) && (slot.second.first < 0 || slot.first < value))
          slot = {value, {a, sign}};
      }
    }
    std::vector<std::pair<double, std::pair<int, int>>> violated;
    for (const auto& slot : best)
      if (slot.second.first >= 0) violated.push_back(slot);
    std::vector<std::pair<int, int>>& blocks = point.working;
    const double gap = point.relative_gap();
    if (gap <= tolerance || (violated.empty() && stalled)) {
      PruneInactive(atoms, y, beta, g, point);
      return;
    }
    const std::size_t take = std::min<std::size_t>(violated.size(), batch);
    std::partial_sort(violated.begin(), violated.begin() + take, violated.end(),
                      [](const auto& p, const auto& q) { return p.first > q.first; });
    for (std::size_t t = 0; t < take; ++t) blocks.push_back(violated[t].second);
    std::sort(blocks.begin(), blocks.end());
    const RestrictedProgram program(atoms, y, blocks);
    const int nb = static_cast<int>(blocks.size());
    Eigen::VectorXd v(2 * nb + 2);
    for (int b = 0; b < nb; ++b)
      v.segment<2>(2 * b) = (blocks[b].second > 0 ? point.positive : point.negative).col(blocks[b].first);
    v.tail<2>() = point.linear;
    // The restricted program only as accurately as the outer gap warrants: to 3% of it (1e-3
    // before; 3e-2 made sigma 0.03 and 0.01 on the 80-point spiral about 30% faster, 1e-1 no
    // faster than 3e-2). Descent first; the barrier method when descent does not reach it.
    const double target = std::max(0.1 * tolerance, 3e-2 * gap);
    point.iterations += program.Descend(v, beta, target, std::min(200, max_steps - point.iterations));
    stalled = false;
    if (point.iterations < max_steps)  // Run returns at once when descent reached the target
      point.iterations += program.Run(v, beta, target, max_steps - point.iterations, &stalled);
    for (int b = 0; b < nb; ++b)
      (blocks[b].second > 0 ? point.positive : point.negative).col(blocks[b].first) = v.segment<2>(2 * b);
    point.linear = v.tail<2>();
  }
  PruneInactive(atoms, y, beta, Evaluate(atoms, y, beta, point), point);
}

bool PlanarAtomsToPatternBlocks(const PlanarAtoms& atoms, const PatternSet& patterns,
                                const PlanarAtomPoint& point, Eigen::MatrixXd& positive,
                                Eigen::MatrixXd& negative) {
  const int n = atoms.points(), num_patterns = patterns.size();
  positive = Eigen::MatrixXd::Zero(3, num_patterns);
  negative = Eigen::MatrixXd::Zero(3, num_patterns);
  bool complete = true;
  for (int a = 0; a < atoms.size(); ++a) {
    const bool has_pos = !point.positive.col(a).isZero(0.0), has_neg = !point.negative.col(a).isZero(0.0);
    if (!has_pos && !has_neg) continue;
    const int k = patterns.Find(atoms.PatternBits(a).data());
    if (k < 0) {
      complete = false;
      continue;
    }
    const Eigen::Vector2d xi = atoms.x().row(atoms.Pivot(a)).transpose();
    for (int s = 0; s < 2; ++s) {
      const Eigen::Vector2d w = s == 0 ? point.positive.col(a) : point.negative.col(a);
      if (w.isZero(0.0)) continue;
      Eigen::MatrixXd& blocks = s == 0 ? positive : negative;
      blocks.col(k).head<2>() += w;
      blocks(2, k) -= w.dot(xi);
    }
  }
  std::vector<std::uint64_t> all((n + 63) / 64, 0);
  for (int j = 0; j < n; ++j) all[j >> 6] |= std::uint64_t{1} << (j & 63);
  const int full = patterns.Find(all.data());
  if (full < 0) return false;
  // The linear block with enough bias to stay in the full cone, and the rest of the constant on
  // the negative pure-bias block (both in the full cone).
  const double lowest = (atoms.x() * point.linear).minCoeff();
  const double bias = std::max(point.constant, -lowest);
  positive.col(full).head<2>() += point.linear;
  positive(2, full) += bias;
  negative(2, full) += bias - point.constant;
  return complete;
}

}  // namespace convexscore
