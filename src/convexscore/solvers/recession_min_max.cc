#include "convexscore/solvers/recession_min_max.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

namespace convexscore {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A block (k, s) priced at some lambda: its price psi (an upper bound attained by a feasible
// multiplier mu, widened by what the bias row's rounding residual could cost), and the unit z
// (in the cone, ||W z|| = 1) that attains -<h, z> = psi when mu is exact.
struct Price {
  double psi = 0.0;
  bool has_unit = false;
  Eigen::VectorXd z;
  Eigen::VectorXd mu;
};

struct Context {
  const ConeGroupLassoProblem* problem = nullptr;
  int n = 0, d = 0, num_patterns = 0;
  Eigen::MatrixXd xt;       // [X, 1]
  double max_row_norm = 0;  // max_i ||x_i||
  Eigen::MatrixXd q;        // n x (n-1): orthonormal basis of the centred vectors
};

Context MakeContext(const ConeGroupLassoProblem& problem) {
  Context c;
  c.problem = &problem;
  c.n = static_cast<int>(problem.x.rows());
  c.d = static_cast<int>(problem.x.cols());
  c.num_patterns = problem.patterns->size();
  c.xt.resize(c.n, c.d + 1);
  c.xt << problem.x, Eigen::VectorXd::Ones(c.n);
  c.max_row_norm = problem.x.rowwise().norm().maxCoeff();
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(Eigen::MatrixXd::Ones(c.n, 1));
  const Eigen::MatrixXd full = qr.householderQ() * Eigen::MatrixXd::Identity(c.n, c.n);
  c.q = full.rightCols(c.n - 1);
  return c;
}

Eigen::VectorXd Gate(const Context& c, int k) {
  const Eigen::VectorXd mask = c.problem->patterns->Mask(k);
  return c.problem->gate == Activation::kRelu ? mask : Eigen::VectorXd(2.0 * mask.array() - 1.0);
}

// h_{k,s}(lambda) = s (g_k + X~^T S_k lambda).
Eigen::VectorXd ReducedGradient(const Context& c, int k, int s, const Eigen::VectorXd& lambda) {
  Eigen::VectorXd h = c.xt.transpose() * Gate(c, k).cwiseProduct(lambda);
  if (c.problem->linear.size() > 0) h += c.problem->linear.col(k);
  return s == 0 ? h : Eigen::VectorXd(-h);
}

// The data values of a unit of block (k, s): s S_k X~ z.
Eigen::VectorXd UnitValues(const Context& c, int k, int s, const Eigen::VectorXd& z) {
  const Eigen::VectorXd v = Gate(c, k).cwiseProduct(c.xt * z);
  return s == 0 ? v : Eigen::VectorXd(-v);
}

double LinearTerm(const Context& c, int k, int s, const Eigen::VectorXd& z) {
  if (c.problem->linear.size() == 0) return 0.0;
  const double v = -c.problem->linear.col(k).dot(z);
  return s == 0 ? v : -v;
}

Price PriceBlock(const Context& c, int k, const Eigen::VectorXd& h) {
  const PatternSet& patterns = *c.problem->patterns;
  const int n = c.n, d = c.d;
  Price out;
  double bias_residual = 0.0;
  out.psi = PatternDualNorm(c.problem->x, patterns, k, h, &bias_residual, &out.mu);
  // A bias-row residual e is removed by changing one multiplier by e, which moves the weight
  // part by at most e max ||x_i||: the price stays an upper bound.
  out.psi += bias_residual * c.max_row_norm;
  if (!(out.psi > 0) || out.mu.size() != n) return out;
  const Eigen::VectorXd sign = 2.0 * patterns.Mask(k).array() - 1.0;
  Eigen::VectorXd r = h.head(d);
  for (int i = 0; i < n; ++i)
    if (out.mu[i] > 0) r -= out.mu[i] * sign[i] * c.problem->x.row(i).transpose();
  const double rn = r.norm();
  if (!(rn > 0)) return out;
  const Eigen::VectorXd w = -r / rn;
  const Eigen::VectorXd proj = c.problem->x * w;
  double lo = -kInf, hi = kInf, support_sum = 0.0;
  int support = 0;
  for (int i = 0; i < n; ++i) {
    if (sign[i] > 0) lo = std::max(lo, -proj[i]);
    else hi = std::min(hi, -proj[i]);
    if (out.mu[i] > 0) {
      support_sum += -proj[i];
      ++support;
    }
  }
  const double slack = 1e-12 * (1.0 + c.max_row_norm);
  if (lo > hi + slack) return out;
  double b;
  const double hb = h[d];
  if (std::abs(hb) > 1e-12 * (1.0 + h.norm())) {
    b = hb > 0 ? lo : hi;
  } else if (support > 0) {
    b = support_sum / support;
  } else {
    b = std::isfinite(lo) ? lo : hi;
  }
  if (!std::isfinite(b)) return out;
  b = std::clamp(b, lo, std::max(lo, hi));
  out.z.resize(d + 1);
  out.z << w, b;
  out.has_unit = true;
  return out;
}

// A unit of some block kept by the cutting-plane model: the minorant
// Phi(lambda) >= cost - <values, lambda>.
struct Atom {
  int k = 0, s = 0;
  Eigen::VectorXd z;
  double cost = 0.0;         // -<g, z> with the block's sign
  Eigen::VectorXd values;    // s S_k X~ z (size n)
};

// min f^T v subject to G v >= c by a primal-dual interior-point method (Mehrotra's
// predictor-corrector); theta >= 0 receives the multipliers (G^T theta = f).
struct LpResult {
  Eigen::VectorXd v, theta;
  bool converged = false;
};

LpResult SolveInequalityLp(const Eigen::MatrixXd& g, const Eigen::VectorXd& c,
                           const Eigen::VectorXd& f) {
  const int m = static_cast<int>(g.rows()), p = static_cast<int>(g.cols());
  LpResult out;
  out.v = Eigen::VectorXd::Zero(p);
  Eigen::VectorXd s = (g * out.v - c).cwiseMax(1.0);
  out.theta = Eigen::VectorXd::Ones(m);
  const double scale_c = 1.0 + c.cwiseAbs().maxCoeff();
  const double scale_d = 1.0 + f.cwiseAbs().maxCoeff() + g.cwiseAbs().maxCoeff();
  // Past the rounding level the iterates degrade (complementarity collapses while the dual
  // residual grows again), so the best iterate by its largest scaled residual is returned.
  double best_merit = kInf;
  LpResult best = out;  // the start, should every iterate's merit be undefined
  for (int iter = 0; iter < 200; ++iter) {
    const Eigen::VectorXd rp = g * out.v - s - c;
    const Eigen::VectorXd rd = g.transpose() * out.theta - f;
    const double mu = s.dot(out.theta) / m;
    const double merit = std::max({rp.cwiseAbs().maxCoeff() / scale_c,
                                   rd.cwiseAbs().maxCoeff() / scale_d, mu / scale_c});
    if (merit < best_merit && out.v.allFinite() && out.theta.allFinite()) {
      best_merit = merit;
      best = out;
    }
    if (merit <= 1e-13) {
      best.converged = true;
      break;
    }
    const Eigen::VectorXd dscale = out.theta.cwiseQuotient(s);
    Eigen::MatrixXd normal = g.transpose() * dscale.asDiagonal() * g;
    normal.diagonal().array() += 1e-14 * (1.0 + normal.diagonal().maxCoeff());
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(normal);
    auto direction = [&](const Eigen::VectorXd& rc, Eigen::VectorXd& dv, Eigen::VectorXd& ds,
                         Eigen::VectorXd& dt) {
      dv = ldlt.solve(rd + g.transpose() * (rc - out.theta.cwiseProduct(rp)).cwiseQuotient(s));
      ds = g * dv + rp;
      dt = (rc - out.theta.cwiseProduct(ds)).cwiseQuotient(s);
    };
    auto max_step = [](const Eigen::VectorXd& x, const Eigen::VectorXd& dx) {
      double a = 1.0;
      for (Eigen::Index i = 0; i < x.size(); ++i)
        if (dx[i] < 0) a = std::min(a, -x[i] / dx[i]);
      return a;
    };
    Eigen::VectorXd dv, ds, dt;
    direction(-s.cwiseProduct(out.theta), dv, ds, dt);
    const double ap = max_step(s, ds), ad = max_step(out.theta, dt);
    const double mu_aff = (s + ap * ds).dot(out.theta + ad * dt) / m;
    const double sigma = std::pow(std::clamp(mu_aff / mu, 0.0, 1.0), 3);
    const Eigen::VectorXd rc = -s.cwiseProduct(out.theta) - ds.cwiseProduct(dt) +
                               Eigen::VectorXd::Constant(m, sigma * mu);
    direction(rc, dv, ds, dt);
    // One step length for both sides: with separate ones a long primal step drove the
    // complementarity to 1e-27 while a short dual step left the dual residual at 1e-4.
    const double step = std::min({1.0, 0.995 * max_step(s, ds), 0.995 * max_step(out.theta, dt)});
    if (!dv.allFinite() || !ds.allFinite() || !dt.allFinite()) break;  // keep the best iterate
    out.v += step * dv;
    s += step * ds;
    out.theta += step * dt;
  }
  return best;
}

// The recession direction of a combination of atoms, made exact.
RecessionDirection CombineAtoms(const Context& c, const ConeGroupLassoProblem& problem,
                                const std::vector<Atom>& atoms, const Eigen::VectorXd& weights) {
  Eigen::MatrixXd positive = Eigen::MatrixXd::Zero(c.d + 1, c.num_patterns);
  Eigen::MatrixXd negative = positive;
  for (std::size_t j = 0; j < atoms.size() && j < static_cast<std::size_t>(weights.size()); ++j) {
    if (!(weights[j] > 0)) continue;
    (atoms[j].s == 0 ? positive : negative).col(atoms[j].k) += weights[j] * atoms[j].z;
  }
  return RepairRecessionDirection(problem, positive, negative);
}


// The price of block b near lambda with the support of its multiplier fixed: the multipliers
// solve min ||h_w - B mu|| subject to e . mu = h_b (B columns sign_i x_i, e the signs over the
// support), so the residual r = L h is linear in h, and psi_b(lambda) = ||L (h0 + H lambda)||
// with H = s X~^T S_k: an affine map F lambda + a whose norm is smooth where it is nonzero.
struct ActiveBlock {
  int k = 0, s = 0;
  Eigen::MatrixXd f;  // d x n
  Eigen::VectorXd a;  // d
};

ActiveBlock Linearise(const Context& c, int k, int s, const Eigen::VectorXd& mu) {
  const PatternSet& patterns = *c.problem->patterns;
  const int n = c.n, d = c.d, q = d + 1;
  std::vector<int> support;
  for (int i = 0; i < n; ++i)
    if (mu[i] > 0) support.push_back(i);
  const int ps = static_cast<int>(support.size());
  // L (d x q): r = L h.
  Eigen::MatrixXd l = Eigen::MatrixXd::Zero(d, q);
  l.leftCols(d).setIdentity();
  if (ps > 0) {
    Eigen::MatrixXd b(d, ps);
    Eigen::VectorXd e(ps);
    for (int j = 0; j < ps; ++j) {
      e[j] = patterns.Active(k, support[j]) ? 1.0 : -1.0;
      b.col(j) = e[j] * c.problem->x.row(support[j]).transpose();
    }
    Eigen::MatrixXd kkt = Eigen::MatrixXd::Zero(ps + 1, ps + 1);
    kkt.topLeftCorner(ps, ps) = b.transpose() * b;
    kkt.topRightCorner(ps, 1) = e;
    kkt.bottomLeftCorner(1, ps) = e.transpose();
    Eigen::MatrixXd rhs = Eigen::MatrixXd::Zero(ps + 1, q);  // columns: h = unit vectors
    rhs.topLeftCorner(ps, d) = b.transpose();
    rhs(ps, d) = 1.0;
    const Eigen::MatrixXd sol = kkt.completeOrthogonalDecomposition().solve(rhs);
    l -= b * sol.topRows(ps);
  }
  ActiveBlock out;
  out.k = k;
  out.s = s;
  const double sign = s == 0 ? 1.0 : -1.0;
  const Eigen::MatrixXd hmap = sign * (c.xt.array().colwise() * Gate(c, k).array()).matrix().transpose();
  out.f = l * hmap;
  Eigen::VectorXd h0 = Eigen::VectorXd::Zero(q);
  if (c.problem->linear.size() > 0) h0 = sign * c.problem->linear.col(k);
  out.a = l * h0;
  return out;
}

// A recession direction from units whose minorants are (nearly) tight at lambda: the
// non-negative weights that make the combination constant on the data, sum to one (Lawson-
// Hanson on the centred values with a heavy row for the sum), then made exact. If every
// unit's minorant equals t at lambda, the combination's ratio is t.
RecessionDirection TightCombination(const Context& c, const ConeGroupLassoProblem& problem,
                                    const std::vector<Atom>& units, const std::vector<int>& use) {
  const int m = static_cast<int>(use.size());
  if (m == 0) return RecessionDirection{};
  Eigen::MatrixXd matrix(c.n, m);
  Eigen::VectorXd target = Eigen::VectorXd::Zero(c.n);
  double scale = 0.0;
  for (int j = 0; j < m; ++j) {
    matrix.col(j).head(c.n - 1) = c.q.transpose() * units[use[j]].values;
    scale = std::max(scale, matrix.col(j).head(c.n - 1).cwiseAbs().maxCoeff());
  }
  const double weight = 1e3 * (1.0 + scale);
  matrix.row(c.n - 1).setConstant(weight);
  target[c.n - 1] = weight;
  const Eigen::VectorXd theta = NonNegativeLeastSquaresSolve(matrix, target);
  Eigen::VectorXd weights = Eigen::VectorXd::Zero(units.size());
  for (int j = 0; j < m; ++j) weights[use[j]] = theta[j];
  return CombineAtoms(c, problem, units, weights);
}

void KeepLower(const RecessionDirection& direction, RecessionMinMaxResult& out) {
  if (direction.valid && direction.ratio > out.lower) {
    out.lower = direction.ratio;
    out.direction = direction;
  }
}

// Every block's price at lambda.
std::vector<Price> PriceAll(const Context& c, const Eigen::VectorXd& lambda) {
  std::vector<Price> prices(2 * static_cast<std::size_t>(c.num_patterns));
  for (int k = 0; k < c.num_patterns; ++k)
    for (int s = 0; s < 2; ++s) prices[2 * k + s] = PriceBlock(c, k, ReducedGradient(c, k, s, lambda));
  return prices;
}

double LargestPrice(const std::vector<Price>& prices) {
  double phi = 0.0;
  for (const Price& pr : prices) phi = std::max(phi, pr.psi);
  return phi;
}

// Newton's method on the optimality conditions of min over centred lambda = Q y of the largest
// price over the blocks of `set` (block b = 2 k + s), all assumed active:
//   psi_b(lambda) = t (every b),  Q^T sum_b theta_b grad psi_b = 0,  sum_b theta_b = 1.
// Each evaluation prices the blocks exactly and linearises them with their current supports
// (Linearise), which gives the gradients and the Hessians of the prices. Least-squares steps
// (the conditions need not fix lambda), halved until the residual decreases. True when the
// residual vanishes.
bool NewtonMinMax(const Context& c, const std::vector<int>& set, Eigen::VectorXd& y, double& t,
                  Eigen::VectorXd& theta, int max_steps, int* steps) {
  const int nb = static_cast<int>(set.size()), m = c.n - 1;
  const int unknowns = m + 1 + nb, equations = nb + m + 1;
  auto residual = [&](const Eigen::VectorXd& yy, double tt, const Eigen::VectorXd& th,
                      Eigen::MatrixXd* jac) {
    const Eigen::VectorXd failed = Eigen::VectorXd::Constant(equations, kInf);
    Eigen::VectorXd r = Eigen::VectorXd::Zero(equations);
    if (jac) jac->setZero(equations, unknowns);
    const Eigen::VectorXd lambda = c.q * yy;
    Eigen::VectorXd grad_sum = Eigen::VectorXd::Zero(c.n);
    Eigen::MatrixXd hess = Eigen::MatrixXd::Zero(c.n, c.n);
    for (int b = 0; b < nb; ++b) {
      const int k = set[b] / 2, s = set[b] % 2;
      const Price price = PriceBlock(c, k, ReducedGradient(c, k, s, lambda));
      if (price.mu.size() != c.n) return failed;
      const ActiveBlock lin = Linearise(c, k, s, price.mu);
      const Eigen::VectorXd v = lin.a + lin.f * lambda;
      const double norm = v.norm();
      if (!(norm > 0)) return failed;
      const Eigen::VectorXd u = v / norm;
      const Eigen::VectorXd grad = lin.f.transpose() * u;  // d psi_b / d lambda
      r[b] = price.psi - tt;
      grad_sum += th[b] * grad;
      if (jac) {
        jac->row(b).head(m) = (c.q.transpose() * grad).transpose();
        (*jac)(b, m) = -1.0;
        jac->block(nb, m + 1 + b, m, 1) = c.q.transpose() * grad;
        const Eigen::MatrixXd proj =
            Eigen::MatrixXd::Identity(v.size(), v.size()) - u * u.transpose();
        hess += th[b] / norm * lin.f.transpose() * proj * lin.f;
      }
    }
    r.segment(nb, m) = c.q.transpose() * grad_sum;
    r[nb + m] = th.sum() - 1.0;
    if (jac) {
      jac->block(nb, 0, m, m) = c.q.transpose() * hess * c.q;
      jac->row(nb + m).tail(nb).setOnes();
    }
    return r;
  };
  Eigen::MatrixXd jac;
  Eigen::VectorXd r = residual(y, t, theta, &jac);
  for (int step = 0; step < max_steps; ++step) {
    if (!r.allFinite()) return false;
    if (r.cwiseAbs().maxCoeff() <= 1e-14 * (1.0 + std::abs(t))) break;
    const Eigen::VectorXd delta = jac.completeOrthogonalDecomposition().solve(-r);
    double alpha = 1.0;
    bool moved = false;
    for (int half = 0; half < 30; ++half, alpha *= 0.5) {
      const Eigen::VectorXd y2 = y + alpha * delta.head(m);
      const double t2 = t + alpha * delta[m];
      const Eigen::VectorXd th2 = theta + alpha * delta.tail(nb);
      Eigen::MatrixXd jac2;
      const Eigen::VectorXd r2 = residual(y2, t2, th2, &jac2);
      if (r2.allFinite() && r2.norm() < r.norm()) {
        y = y2;
        t = t2;
        theta = th2;
        r = r2;
        jac = jac2;
        moved = true;
        break;
      }
    }
    ++*steps;
    if (!moved) break;
  }
  return r.allFinite() && r.cwiseAbs().maxCoeff() <= 1e-11 * (1.0 + std::abs(t));
}

// The active-set polish. The blocks that carry the master's multipliers start the set; Newton
// solves their min-max; the result is certified independently: Phi at the new lambda (every
// block priced) above, the units of the set weighted by the multipliers, made exact, below.
// Then the most violated block joins and a block whose multiplier turns negative leaves, a
// few times.
void Polish(const Context& c, const ConeGroupLassoProblem& problem,
            const RecessionMinMaxOptions& options, const Eigen::VectorXd& lambda0,
            std::vector<Atom>& atoms, const Eigen::VectorXd& weights, RecessionMinMaxResult& out) {
  std::vector<double> block_weight(2 * static_cast<std::size_t>(c.num_patterns), 0.0);
  double total = 0.0;
  for (std::size_t j = 0; j < atoms.size() && j < static_cast<std::size_t>(weights.size()); ++j) {
    if (!(weights[j] > 0)) continue;
    block_weight[2 * atoms[j].k + atoms[j].s] += weights[j];
    total += weights[j];
  }
  std::vector<int> set;
  for (int b = 0; b < 2 * c.num_patterns; ++b)
    if (block_weight[b] > 1e-4 * total) set.push_back(b);
  Eigen::VectorXd y = c.q.transpose() * lambda0;
  double t = LargestPrice(PriceAll(c, lambda0));
  for (int round = 0; round < 10 && !set.empty(); ++round) {
    Eigen::VectorXd theta(set.size());
    for (std::size_t j = 0; j < set.size(); ++j) theta[j] = block_weight[set[j]];
    if (theta.sum() > 0) theta /= theta.sum();
    else theta.setConstant(1.0 / theta.size());
    Eigen::VectorXd y_new = y;
    double t_new = t;
    const bool converged =
        NewtonMinMax(c, set, y_new, t_new, theta, options.newton_iterations, &out.newton_steps);
    // Certificates at the Newton point, whatever happened.
    const Eigen::VectorXd lambda = c.q * y_new;
    const std::vector<Price> prices = PriceAll(c, lambda);
    const double phi = LargestPrice(prices);
    if (phi < out.upper) {
      out.upper = phi;
      out.lambda = lambda;
    }
    std::vector<Atom> units;
    Eigen::VectorXd unit_weights(set.size());
    for (std::size_t j = 0; j < set.size(); ++j) {
      const int b = set[j];
      const Price& pr = prices[b];
      Eigen::VectorXd z = pr.has_unit ? pr.z : Eigen::VectorXd(Eigen::VectorXd::Zero(c.d + 1));
      units.push_back(Atom{b / 2, b % 2, z, LinearTerm(c, b / 2, b % 2, z),
                           UnitValues(c, b / 2, b % 2, z)});
      unit_weights[j] = pr.has_unit ? std::max(theta[j], 0.0) : 0.0;
    }
    KeepLower(CombineAtoms(c, problem, units, unit_weights), out);
    std::vector<int> all(units.size());
    for (std::size_t j = 0; j < units.size(); ++j) all[j] = static_cast<int>(j);
    KeepLower(TightCombination(c, problem, units, all), out);
    for (Atom& unit : units)
      if (unit.z.head(c.d).norm() > 0) atoms.push_back(std::move(unit));
    if (out.upper - out.lower <= options.tolerance * out.upper) return;
    // Not converged: the set holds a block that is not active at the min-max; the smallest
    // multiplier leaves. Converged: a negative multiplier leaves, the most violated block joins.
    bool changed = false;
    int worst = -1;
    for (int j = 0; j < theta.size(); ++j)
      if ((!converged || theta[j] < -1e-12) && (worst < 0 || theta[j] < theta[worst])) worst = j;
    if (!converged) {
      if (worst < 0 || set.size() <= 1) return;
      set.erase(set.begin() + worst);
      continue;
    }
    for (std::size_t j = 0; j < set.size(); ++j) block_weight[set[j]] = std::max(theta[j], 0.0);
    if (worst >= 0) {
      set.erase(set.begin() + worst);
      changed = true;
    }
    int violated = -1;
    for (int b = 0; b < 2 * c.num_patterns; ++b) {
      if (prices[b].has_unit && prices[b].psi > t_new * (1.0 + 0.1 * options.tolerance) &&
          std::find(set.begin(), set.end(), b) == set.end() &&
          (violated < 0 || prices[b].psi > prices[violated].psi))
        violated = b;
    }
    if (violated >= 0) {
      set.push_back(violated);
      block_weight[violated] = 0.0;
      changed = true;
    }
    y = y_new;
    t = t_new;
    if (!changed) return;
  }
}

}  // namespace

double RecessionMinMaxObjective(const ConeGroupLassoProblem& problem,
                                const Eigen::VectorXd& lambda) {
  const Context c = MakeContext(problem);
  double phi = 0.0;
  for (int k = 0; k < c.num_patterns; ++k)
    for (int s = 0; s < 2; ++s)
      phi = std::max(phi, PriceBlock(c, k, ReducedGradient(c, k, s, lambda)).psi);
  return phi;
}

RecessionMinMaxResult SolveRecessionMinMax(const ConeGroupLassoProblem& input,
                                           const RecessionMinMaxOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (input.patterns == nullptr || input.x.rows() < 2 ||
      (input.linear.size() > 0 && (input.linear.rows() != input.x.cols() + 1 ||
                                   input.linear.cols() != input.patterns->size())) ||
      input.patterns->points() != input.x.rows()) {
    throw Error("recession min-max: inconsistent problem shapes");
  }
  ConeGroupLassoProblem problem = input;
  problem.beta = 1.0;  // not used; RepairRecessionDirection validates it
  if (problem.target.size() != problem.x.rows()) problem.target = Eigen::VectorXd::Zero(problem.x.rows());
  const Context c = MakeContext(problem);
  const int n = c.n, p = n;  // master variables: y (n - 1, lambda = Q y) and t
  RecessionMinMaxResult out;
  out.lambda = Eigen::VectorXd::Zero(n);
  out.upper = kInf;
  std::vector<Atom> atoms;
  Eigen::VectorXd last_weights;  // the master's multipliers of the atoms
  Eigen::VectorXd lambda = Eigen::VectorXd::Zero(n);
  double model = 0.0;  // the master's value at lambda (t >= 0 is in the master)
  const double box = 1e4 * (1.0 + c.max_row_norm);
  auto finish = [&](const std::string& message) {
    out.message = message;
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  };
  for (int iter = 0; iter < options.max_iterations; ++iter) {
    out.iterations = iter + 1;
    // Price every block at lambda: an exact upper bound and the new cuts.
    std::vector<std::pair<double, Atom>> candidates;
    double phi = 0.0;
    for (int k = 0; k < c.num_patterns; ++k) {
      for (int s = 0; s < 2; ++s) {
        const Eigen::VectorXd h = ReducedGradient(c, k, s, lambda);
        Price price = PriceBlock(c, k, h);
        phi = std::max(phi, price.psi);
        if (!price.has_unit) continue;
        Atom atom{k, s, price.z, LinearTerm(c, k, s, price.z), UnitValues(c, k, s, price.z)};
        const double cut = atom.cost - atom.values.dot(lambda);
        if (cut > model + 1e-13 * (1.0 + std::abs(model))) candidates.push_back({cut, std::move(atom)});
      }
    }
    if (phi < out.upper) {
      out.upper = phi;
      out.lambda = lambda;
    }
    if (out.upper - out.lower <= options.tolerance * out.upper) break;
    std::sort(candidates.begin(), candidates.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    int added = 0;
    for (auto& [cut, atom] : candidates) {
      if (added >= options.cuts_per_round) break;
      atoms.push_back(std::move(atom));
      ++added;
    }
    if (added == 0) {
      // The model is exact at lambda; only the lower end is missing.
      if (last_weights.size() > 0) Polish(c, problem, options, lambda, atoms, last_weights, out);
      break;
    }
    // The master: min t over (y, t) with t + <Q^T a_j, y> >= cost_j, t >= 0, |y_i| <= box.
    const int m = static_cast<int>(atoms.size()) + 1 + 2 * (n - 1);
    Eigen::MatrixXd g = Eigen::MatrixXd::Zero(m, p);
    Eigen::VectorXd rhs = Eigen::VectorXd::Zero(m);
    for (std::size_t j = 0; j < atoms.size(); ++j) {
      g.row(j).head(n - 1) = (c.q.transpose() * atoms[j].values).transpose();
      g(j, n - 1) = 1.0;
      rhs[j] = atoms[j].cost;
    }
    int row = static_cast<int>(atoms.size());
    g(row++, n - 1) = 1.0;
    for (int i = 0; i < n - 1; ++i) {
      g(row, i) = 1.0;
      rhs[row++] = -box;
      g(row, i) = -1.0;
      rhs[row++] = -box;
    }
    Eigen::VectorXd f = Eigen::VectorXd::Zero(p);
    f[n - 1] = 1.0;
    const LpResult lp = SolveInequalityLp(g, rhs, f);
    if (!lp.v.allFinite()) return finish("the cutting-plane master failed");
    lambda = c.q * lp.v.head(n - 1);
    // The model's value at lambda from the cuts themselves: the interior-point t sits above
    // the largest cut by the LP's tolerance, and once the prices are exact a t inflated by
    // 6e-9 rejected every new cut and ended the rounds early (mix2d_n9 abs, coordinate 1).
    std::vector<double> cuts(atoms.size());  // each cut's value at lambda
    for (std::size_t j = 0; j < atoms.size(); ++j) cuts[j] = atoms[j].cost - atoms[j].values.dot(lambda);
    model = std::max(0.0, *std::max_element(cuts.begin(), cuts.end()));
    const Eigen::VectorXd weights = lp.theta.head(atoms.size());
    last_weights = weights;
    KeepLower(CombineAtoms(c, problem, atoms, weights), out);
    std::vector<int> tight;
    for (std::size_t j = 0; j < atoms.size(); ++j)
      if (model - cuts[j] <= 1e-7 * (1.0 + model)) tight.push_back(static_cast<int>(j));
    KeepLower(TightCombination(c, problem, atoms, tight), out);
    if (out.upper - out.lower <= options.tolerance * out.upper) break;
    if (out.upper - out.lower <= 1e-4 * out.upper) {
      Polish(c, problem, options, lambda, atoms, weights, out);
      if (out.upper - out.lower <= options.tolerance * out.upper) break;
    }
  }
  // Both ends are certified; a lower end above the upper one differs from it by rounding only.
  out.lower = std::min(out.lower, out.upper);
  out.certified = out.upper - out.lower <= options.tolerance * out.upper;
  std::ostringstream msg;
  msg.precision(12);
  msg << (out.certified ? "certified" : "not certified") << ": beta_min in [" << out.lower << ", "
      << out.upper << "] after " << out.iterations << " cutting-plane rounds";
  return finish(msg.str());
}

}  // namespace convexscore
