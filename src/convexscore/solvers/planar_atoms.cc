#include "convexscore/solvers/planar_atoms.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

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

// The restricted program on a few atom blocks (and the linear block), with the data products
// precomputed: columns 2b, 2b + 1 of `features` are the centred features of block b (sign
// included), the last two the centred data (the linear block).
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
    gram_ = features_.transpose() * features_ / n;
    linear_ = features_.transpose() * centred_y_ / n;
  }

  // Block coordinate descent from v, each block minimised exactly (BlockMinimum), until the
  // restricted relative gap is <= tolerance or max_sweeps sweeps were made. Returns the sweeps.
  int Run(Eigen::VectorXd& v, double beta, double tolerance, int max_sweeps) const {
    const int m = static_cast<int>(blocks_.size());
    Eigen::VectorXd gv = gram_ * v;  // kept up to date block by block
    int sweep = 0;
    for (; sweep < max_sweeps; ++sweep) {
      if (sweep % 10 == 0 && Gap(v, beta) <= tolerance) break;
      for (int b = 0; b <= m; ++b) {
        const Eigen::Vector2d old = v.segment<2>(2 * b);
        const Eigen::Matrix2d h = gram_.block<2, 2>(2 * b, 2 * b);
        // The block's linear coefficient with the other blocks held fixed.
        const Eigen::Vector2d c = linear_.segment<2>(2 * b) - gv.segment<2>(2 * b) + h * old;
        const Eigen::Vector2d w = BlockMinimum(h, c, beta, b < m ? blocks_[b].first : -1);
        const Eigen::Vector2d delta = w - old;
        if (delta.isZero(0.0)) continue;
        v.segment<2>(2 * b) = w;
        gv.noalias() += gram_.middleCols<2>(2 * b) * delta;
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

  // The relative gap of the restricted program at v (dual point: the scaled residual).
  double Gap(const Eigen::VectorXd& v, double beta) const {
    const int n = static_cast<int>(features_.rows()), m = static_cast<int>(blocks_.size());
    const Eigen::VectorXd r = features_ * v - centred_y_;
    double penalty = 0.0;
    for (int b = 0; b <= m; ++b) penalty += v.segment<2>(2 * b).norm();
    const double primal = r.squaredNorm() / (2.0 * n) + beta * penalty;
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
  Eigen::MatrixXd features_, gram_;
  Eigen::VectorXd centred_y_, linear_;
};

}  // namespace

void SolvePlanarAtoms(const PlanarAtoms& atoms, const Eigen::VectorXd& y, double beta,
                      double tolerance, int max_steps, PlanarAtomPoint& point) {
  const int m = atoms.size();
  if (point.positive.cols() != m) {
    point.positive = Eigen::Matrix2Xd::Zero(2, m);
    point.negative = Eigen::Matrix2Xd::Zero(2, m);
    point.linear.setZero();
  }
  const int batch = std::max(10, atoms.points() / 10);
  for (int round = 0; round < 1000 && point.iterations < max_steps; ++round) {
    // The blocks in play: those already in the working set (kept, so that a block the
    // restricted solve zeroes is not priced back in round after round) and the most violated
    // ones at the current point.
    const Eigen::Matrix2Xd g = Evaluate(atoms, y, beta, point);
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
    std::vector<std::pair<double, std::pair<int, int>>> violated;
    for (int a = 0; a < m; ++a) {
      if (atoms.Degenerate(a)) continue;
      for (int sign : {1, -1}) {
        if (in_set[2 * a + (sign > 0 ? 0 : 1)]) continue;
        const double value = atoms.ArcMax(a, -sign * Eigen::Vector2d(g.col(a)));
        if (value > beta * (1.0 + 1e-12)) violated.push_back({value, {a, sign}});
      }
    }
    std::vector<std::pair<int, int>>& blocks = point.working;
    const double gap = (point.primal - point.dual) / std::max(1.0, std::abs(point.primal));
    if (gap <= tolerance) return;
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
    // The restricted program only as accurately as the outer gap warrants.
    point.iterations += program.Run(v, beta, std::max(0.1 * tolerance, 0.01 * gap),
                                    std::min(500, max_steps - point.iterations));
    for (int b = 0; b < nb; ++b)
      (blocks[b].second > 0 ? point.positive : point.negative).col(blocks[b].first) = v.segment<2>(2 * b);
    point.linear = v.tail<2>();
  }
  Evaluate(atoms, y, beta, point);
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
