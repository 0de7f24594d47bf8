#include "convexscore/solvers/interior_point_qp.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace convexscore {
namespace {

// Largest alpha keeping v + alpha dv >= 0 (infinite when nothing blocks).
double MaxStep(const Eigen::VectorXd& v, const Eigen::VectorXd& dv) {
  double alpha = std::numeric_limits<double>::infinity();
  for (Eigen::Index i = 0; i < v.size(); ++i) {
    if (dv[i] < 0.0) alpha = std::min(alpha, -v[i] / dv[i]);
  }
  return alpha;
}

constexpr int kStallIterations = 8;

struct Direction {
  Eigen::VectorXd dx, dnu, dsl, dsu, dzl, dzu;
};

}  // namespace

InteriorPointState SolveBoundedQp(QpOperator& op, const Eigen::VectorXd& lower,
                                  const Eigen::VectorXd& upper, const Eigen::VectorXd& x0,
                                  const InteriorPointOptions& options) {
  const int rows = op.num_rows();
  InteriorPointState s;
  s.x = x0;
  Eigen::VectorXd v(rows), hx(op.num_variables()), ctw(op.num_variables());
  op.ApplyRows(s.x, v);
  const Eigen::VectorXd width = upper - lower;
  // Start strictly inside each box in the slack space (the rows themselves may be violated;
  // the primal residuals close that gap as the iteration proceeds).
  s.slack_lower.resize(rows);
  s.slack_upper.resize(rows);
  for (int r = 0; r < rows; ++r) {
    const double floor = 0.25 * width[r];
    s.slack_lower[r] = std::max(v[r] - lower[r], floor);
    s.slack_upper[r] = std::max(upper[r] - v[r], floor);
  }
  const double width_scale = rows > 0 ? width.cwiseAbs().mean() : 1.0;
  s.dual_lower = Eigen::VectorXd::Constant(rows, 1.0);
  s.dual_upper = Eigen::VectorXd::Constant(rows, 1.0);
  s.dual_equality = Eigen::VectorXd::Zero(op.num_equalities());
  Eigen::VectorXd etnu;

  Eigen::VectorXd rd, rpl(rows), rpu(rows), d(rows), t(rows), w(rows), cdx(rows);
  auto residuals = [&]() {
    op.ApplyRows(s.x, v);
    op.ApplyHessian(s.x, hx);
    op.ApplyRowsTransposed(s.dual_upper - s.dual_lower, ctw);
    op.ApplyEqualitiesTransposed(s.dual_equality, etnu);
    rd = hx + ctw + etnu;
    rpl = v - s.slack_lower - lower;
    rpu = v + s.slack_upper - upper;
  };
  // Solves the linearised KKT system for complementarity targets rcl, rcu. Eliminating the
  // slack and multiplier steps leaves H dx + C^T w = -rd with w = dz_u - dz_l = d .* (C dx) - t;
  // the augmented solve returns w itself. Each row's multiplier step on its far side (the
  // larger slack) then follows from the linearised complementarity without cancellation, the
  // near side's is that one minus or plus w, and the near slack's step follows from its
  // complementarity (where C dx + r would subtract nearly equal numbers).
  auto direction = [&](const Eigen::VectorXd& rcl, const Eigen::VectorXd& rcu, Direction& dir) {
    t = (rcl - s.dual_lower.cwiseProduct(rpl)).cwiseQuotient(s.slack_lower) -
        (rcu + s.dual_upper.cwiseProduct(rpu)).cwiseQuotient(s.slack_upper);
    op.SolveNewton(-rd, t.cwiseQuotient(d), dir.dx, w, dir.dnu, cdx);
    dir.dsl.resize(rows);
    dir.dsu.resize(rows);
    dir.dzl.resize(rows);
    dir.dzu.resize(rows);
    for (int r = 0; r < rows; ++r) {
      if (s.slack_lower[r] <= s.slack_upper[r]) {
        dir.dsu[r] = -rpu[r] - cdx[r];
        dir.dzu[r] = (rcu[r] - s.dual_upper[r] * dir.dsu[r]) / s.slack_upper[r];
        dir.dzl[r] = dir.dzu[r] - w[r];
        dir.dsl[r] = (rcl[r] - s.slack_lower[r] * dir.dzl[r]) / s.dual_lower[r];
      } else {
        dir.dsl[r] = cdx[r] + rpl[r];
        dir.dzl[r] = (rcl[r] - s.dual_lower[r] * dir.dsl[r]) / s.slack_lower[r];
        dir.dzu[r] = dir.dzl[r] + w[r];
        dir.dsu[r] = (rcu[r] - s.slack_upper[r] * dir.dzu[r]) / s.dual_upper[r];
      }
    }
  };

  Direction aff, cor;
  // The last digits of a solve are lost to the conditioning of the Newton systems; keep the
  // best iterate seen and stop once the iteration has clearly stalled or degraded.
  InteriorPointState best;
  double best_merit = std::numeric_limits<double>::infinity();
  int since_best = 0;
  const bool boosting = options.dual_boost > 1.0;
  int short_steps = 0;  // consecutive short steps while the rows are violated
  int boosts = 0;
  int stuck = 0;        // iterations since the last progress, at any accuracy
  for (s.iterations = 0; s.iterations < options.max_iterations; ++s.iterations) {
    residuals();
    const double mu = rows > 0 ? (s.slack_lower.dot(s.dual_lower) + s.slack_upper.dot(s.dual_upper)) / (2.0 * rows) : 0.0;
    s.mean_complementarity = mu;
    s.primal_residual = std::max(rpl.lpNorm<Eigen::Infinity>(), rpu.lpNorm<Eigen::Infinity>()) /
                        std::max(1.0, width_scale);
    s.dual_residual = rd.lpNorm<Eigen::Infinity>() /
                      std::max(1.0, std::max(hx.lpNorm<Eigen::Infinity>(), ctw.lpNorm<Eigen::Infinity>()));
    if (mu <= options.complementarity_tolerance * width_scale &&
        s.primal_residual <= options.residual_tolerance &&
        s.dual_residual <= options.residual_tolerance) {
      s.converged = true;
      return s;
    }
    if (options.on_iterate && options.on_iterate(s)) {
      s.converged = true;
      return s;
    }
    const double merit = std::max({mu / std::max(width_scale, 1e-300), s.primal_residual, s.dual_residual});
    if (!std::isfinite(merit)) break;
    // A stall: no iterate 10% better than the best for kStallIterations (tiny gains while the
    // steps have shrunk to nothing do not count as progress).
    const bool progress = merit < 0.9 * best_merit;
    if (merit < best_merit) {
      best_merit = merit;
      best = s;
    }
    stuck = progress ? 0 : stuck + 1;
    if (progress) {
      since_best = 0;
    } else if (best_merit < 1e-6 && (merit > 100.0 * best_merit || ++since_best > kStallIterations)) {
      break;
    } else if (boosting && stuck > 2 * kStallIterations) {
      break;
    }
    d = s.dual_lower.cwiseQuotient(s.slack_lower) + s.dual_upper.cwiseQuotient(s.slack_upper);
    if (!op.FactorizeNewton(d)) break;
    // Predictor: pure Newton step towards complementarity zero.
    const Eigen::VectorXd zero_l = -s.slack_lower.cwiseProduct(s.dual_lower);
    const Eigen::VectorXd zero_u = -s.slack_upper.cwiseProduct(s.dual_upper);
    direction(zero_l, zero_u, aff);
    const double ap = std::min({1.0, MaxStep(s.slack_lower, aff.dsl), MaxStep(s.slack_upper, aff.dsu)});
    const double ad = std::min({1.0, MaxStep(s.dual_lower, aff.dzl), MaxStep(s.dual_upper, aff.dzu)});
    const double mu_aff =
        ((s.slack_lower + ap * aff.dsl).dot(s.dual_lower + ad * aff.dzl) +
         (s.slack_upper + ap * aff.dsu).dot(s.dual_upper + ad * aff.dzu)) / (2.0 * rows);
    const double centering = std::pow(std::max(mu_aff, 0.0) / mu, 3);
    // Corrector: aim at centering * mu and cancel the second-order term of the predictor.
    const Eigen::VectorXd rcl = Eigen::VectorXd::Constant(rows, centering * mu) + zero_l -
                                aff.dsl.cwiseProduct(aff.dzl);
    const Eigen::VectorXd rcu = Eigen::VectorXd::Constant(rows, centering * mu) + zero_u -
                                aff.dsu.cwiseProduct(aff.dzu);
    direction(rcl, rcu, cor);
    const double step_p = std::min(1.0, options.step_fraction *
        std::min(MaxStep(s.slack_lower, cor.dsl), MaxStep(s.slack_upper, cor.dsu)));
    const double step_d = std::min(1.0, options.step_fraction *
        std::min(MaxStep(s.dual_lower, cor.dzl), MaxStep(s.dual_upper, cor.dzu)));
    // One step length for both: the Hessian couples x to the duals through the dual residual.
    const double step = std::min(step_p, step_d);
    s.x += step * cor.dx;
    s.dual_equality += step * cor.dnu;
    s.slack_lower += step * cor.dsl;
    s.slack_upper += step * cor.dsu;
    s.dual_lower += step * cor.dzl;
    s.dual_upper += step * cor.dzu;
    short_steps = step < 0.3 && s.primal_residual > 1e-6 ? short_steps + 1 : 0;
    if (boosting && short_steps >= 2 && boosts < options.max_dual_boosts) {
      ++boosts;
      s.dual_lower *= options.dual_boost;
      s.dual_upper *= options.dual_boost;
      short_steps = 0;
      stuck = 0;  // a boost sets the dual residual back; count from here
    }
  }
  if (best_merit == std::numeric_limits<double>::infinity()) return s;
  best.iterations = s.iterations;
  return best;
}

}  // namespace convexscore
