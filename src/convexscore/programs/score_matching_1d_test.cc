// Tests of univariate convex score matching (theory.md sections 2 and 6) that need no stored
// reference: certificates on random data, an independent optimality check over the explicit
// kink dictionary, thresholds, closed forms, unboundedness and input validation.
//
// Notation (mean form, theory.md section 1): data x_1..x_n with distinct values v_1 < ... < v_m
// and counts k_1..k_m; f the score; J = (1/n) sum_i [f'(x_i) + f(x_i)^2/2] + weight decay.
//
// Independent optimality certificate used below. Write the convex program with the fitted
// values z = A y + X1 c0 on the data (A: dictionary values, c: mean dictionary derivatives,
// g: mean derivative of the free terms X1, i.e. 0 for the bias and 1 for the skip):
//   min (1/2n)||z||^2 + c^T y + g^T c0 + beta ||y||_1   s.t. z = A y + X1 c0.
// Its Lagrange dual is
//   max -(1/2n)||lambda||^2   s.t. ||c + A^T lambda / n||_inf <= beta,  X1^T lambda / n = -g,
// and at the optimum lambda = z = f on the data. So f = the returned network's score on the data
// is optimal iff (i) mean(f) = 0 and, with skip, mean((x - mean) f) = -1; (ii) every dictionary
// column has |c_k + (1/n) sum_i A_k(x_i) f(x_i)| <= beta; (iii) J = -(1/2) mean(f^2).
// The dictionary (theory.md section 2) holds, for every distinct value t, the ramps (x - t)_+,
// (t - x)_+ (relu) or |x - t| (abs), each with the derivative at x = t taken on either side; a
// kink between two data values or outside the data gives a column whose |c_k + ...| is a convex
// combination of those, so checking these columns suffices. The check is O(n) by prefix sums
// and shares no code with the solver.

#include "convexscore/programs/score_matching_1d.h"
#include "convexscore/programs/score_matching_1d_internal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <numbers>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "convexscore/common.h"
#include "convexscore/data/generators.h"
#include "convexscore/data/sample1d.h"
#include "convexscore/model/network1d.h"

namespace convexscore {
namespace {

// ---------------------------------------------------------------------------------------------
// Portable random data: mt19937_64 is specified bit-exactly by the standard; the distributions
// are not, so uniform and normal variates are built here.

double Uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

double Normal(std::mt19937_64& rng) {  // Box-Muller, one variate per call
  const double u1 = 1.0 - Uniform(rng);  // in (0, 1]
  const double u2 = Uniform(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// Gaussian data (even seeds) or a two-component mixture (odd seeds). With ties: values rounded
// to one decimal, and the smallest and largest values repeated so that both ends are ties.
std::vector<double> RandomData(int n, std::uint64_t seed, bool ties) {
  std::mt19937_64 rng(seed);
  std::vector<double> x(n);
  for (int i = 0; i < n; ++i) {
    if (seed % 2 == 0) {
      x[i] = Normal(rng);
    } else {
      x[i] = Uniform(rng) < 0.4 ? -2.0 + 0.5 * Normal(rng) : 1.5 + 0.7 * Normal(rng);
    }
  }
  if (ties) {
    for (double& v : x) v = std::round(10.0 * v) / 10.0;
    const int i_lo = static_cast<int>(std::min_element(x.begin(), x.end()) - x.begin());
    int i_hi = static_cast<int>(std::max_element(x.begin(), x.end()) - x.begin());
    if (x[i_lo] == x[i_hi]) {  // never all equal
      i_hi = i_lo == 0 ? 1 : 0;
      x[i_hi] = x[i_lo] + 0.3;
    }
    // Overwrite other points (never the original extremes) with copies of the extremes.
    std::vector<int> others;
    for (int i = 0; i < n; ++i) {
      if (i != i_lo && i != i_hi) others.push_back(i);
    }
    if (others.size() >= 1) x[others[0]] = x[i_lo];  // tie at the left end
    if (others.size() >= 2) x[others[1]] = x[i_hi];  // tie at the right end
    if (others.size() >= 6) x[others[2]] = x[i_hi];  // a triple at the right end
  }
  return x;
}

struct Moments {
  double mean = 0.0, var = 0.0, lo = 0.0, hi = 0.0;
};

Moments ComputeMoments(const std::vector<double>& x) {
  Moments m;
  const double n = static_cast<double>(x.size());
  for (double v : x) m.mean += v;
  m.mean /= n;
  for (double v : x) m.var += (v - m.mean) * (v - m.mean);
  m.var /= n;
  m.lo = *std::min_element(x.begin(), x.end());
  m.hi = *std::max_element(x.begin(), x.end());
  return m;
}

// Distinct sorted values with counts, computed here (not by MakeSample1D).
struct Distinct {
  std::vector<double> v;
  std::vector<int> k;
  int n = 0;
};

Distinct MakeDistinct(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  Distinct d;
  d.n = static_cast<int>(x.size());
  for (double xi : x) {
    if (!d.v.empty() && d.v.back() == xi) {
      ++d.k.back();
    } else {
      d.v.push_back(xi);
      d.k.push_back(1);
    }
  }
  return d;
}

// max over the kink dictionary of |c_k + (1/n) sum_i A_k(x_i) f(x_i)|, f given at the distinct
// values; also returns the scale (1/n) sum_i |x_i - mean| |f_i| * 2 that bounds the sums.
struct DictionaryGradient {
  double max_abs = 0.0;
  double scale = 0.0;
};

DictionaryGradient MaxDictionaryGradient(const Distinct& d, const std::vector<double>& f,
                                         Activation activation) {
  const int m = static_cast<int>(d.v.size());
  const double n = d.n;
  double mean = 0.0;
  for (int j = 0; j < m; ++j) mean += d.k[j] * d.v[j];
  mean /= n;
  std::vector<double> u(m);
  for (int j = 0; j < m; ++j) u[j] = d.v[j] - mean;
  // Lower sums over i <= j and upper sums over i >= j.
  std::vector<double> ln(m), lf(m), luf(m), un(m), uf(m), uuf(m);
  double an = 0, af = 0, auf = 0;
  for (int j = 0; j < m; ++j) {
    an += d.k[j];
    af += d.k[j] * f[j];
    auf += d.k[j] * u[j] * f[j];
    ln[j] = an, lf[j] = af, luf[j] = auf;
  }
  an = af = auf = 0;
  for (int j = m - 1; j >= 0; --j) {
    an += d.k[j];
    af += d.k[j] * f[j];
    auf += d.k[j] * u[j] * f[j];
    un[j] = an, uf[j] = af, uuf[j] = auf;
  }
  DictionaryGradient out;
  for (int j = 0; j < m; ++j) {
    out.scale += d.k[j] * std::abs(f[j]) * (d.v.back() - d.v.front()) / n;
    const double right = (uuf[j] - u[j] * uf[j]) / n;  // (1/n) sum_{x_i >= t} (x_i - t) f_i
    const double left = (u[j] * lf[j] - luf[j]) / n;   // (1/n) sum_{x_i <= t} (t - x_i) f_i
    const double n_ge = un[j], n_gt = un[j] - d.k[j], n_le = ln[j], n_lt = ln[j] - d.k[j];
    double g[4];
    int count;
    if (activation == Activation::kRelu) {
      g[0] = right + n_ge / n;   // (x - t)_+, derivative 1 at x = t
      g[1] = right + n_gt / n;   // (x - t)_+, kink just right of t
      g[2] = left - n_le / n;    // (t - x)_+, derivative -1 at x = t
      g[3] = left - n_lt / n;    // (t - x)_+, kink just left of t
      count = 4;
    } else {
      g[0] = right + left + (n_ge - n_lt) / n;  // |x - t|, sign(0) = +1
      g[1] = right + left + (n_gt - n_le) / n;  // |x - t|, sign(0) = -1
      count = 2;
    }
    for (int c = 0; c < count; ++c) out.max_abs = std::max(out.max_abs, std::abs(g[c]));
  }
  return out;
}

std::string Name(Activation a) { return std::string(ActivationName(a)); }

ScoreMatching1DOptions Options(Activation activation, bool skip, double beta) {
  ScoreMatching1DOptions o;
  o.activation = activation;
  o.skip = skip;
  o.beta = beta;
  return o;
}

// Sum of the absolute values of the network's terms at x: the scale of rounding in Score(x).
double TermScale(const Network1D& net, double x) {
  double t = std::abs(net.output_bias) + std::abs(net.skip * x);
  for (const Neuron1D& u : net.neurons) {
    const double z = u.w * x + u.b;
    t += std::abs(u.a) * (net.activation == Activation::kRelu ? std::max(z, 0.0) : std::abs(z));
  }
  return t;
}

// The betas of the certificate sweep: from just above beta_min to above beta_max. The two
// closest to beta_min form their own sweep (near_beta_min): the solver does not yet certify
// them (see the DISABLED_ test below and the note on issue 2), and the rest must not hide that.
std::vector<double> SweepBetas(const Thresholds1D& t, bool near_beta_min) {
  const double lo = t.beta_min, hi = t.beta_max;
  std::vector<double> betas = {0.5 * (lo + hi), std::sqrt(lo * hi), hi * (1 - 1e-3), hi, 1.2 * hi};
  if (near_beta_min) betas = {lo * (1 + 1e-3), 1.5 * lo};
  std::vector<double> out;
  for (double b : betas) {
    if (b >= lo * (1 + 1e-3) * (1 - 1e-15)) out.push_back(b);
  }
  return out;
}

// The O(n) helper above against the dictionary written out column by column, exactly as in
// tests/data/reference/make_sm1d_reference.py (values and derivatives on the raw data), O(n^2).
TEST(SM1DTestHelpers, DictionaryGradientMatchesExplicitDictionary) {
  for (bool ties : {false, true}) {
    for (Activation a : {Activation::kRelu, Activation::kAbs}) {
      const std::vector<double> x = RandomData(40, ties ? 5 : 6, ties);
      const Distinct d = MakeDistinct(x);
      std::mt19937_64 rng(9);
      std::vector<double> f_distinct(d.v.size());
      for (double& v : f_distinct) v = Normal(rng);
      auto f_at = [&](double xi) {
        return f_distinct[std::lower_bound(d.v.begin(), d.v.end(), xi) - d.v.begin()];
      };
      const double n = static_cast<double>(x.size());
      double expected = 0.0;
      for (double t : d.v) {
        // (value(x), derivative(x)) of each column with its kink at t
        std::vector<std::pair<std::function<double(double)>, std::function<double(double)>>> cols;
        if (a == Activation::kRelu) {
          auto right = [t](double xi) { return std::max(0.0, xi - t); };
          auto left = [t](double xi) { return std::max(0.0, t - xi); };
          cols.push_back({right, [t](double xi) { return xi >= t ? 1.0 : 0.0; }});
          cols.push_back({right, [t](double xi) { return xi > t ? 1.0 : 0.0; }});
          cols.push_back({left, [t](double xi) { return xi <= t ? -1.0 : 0.0; }});
          cols.push_back({left, [t](double xi) { return xi < t ? -1.0 : 0.0; }});
        } else {
          auto value = [t](double xi) { return std::abs(xi - t); };
          cols.push_back({value, [t](double xi) { return xi >= t ? 1.0 : -1.0; }});
          cols.push_back({value, [t](double xi) { return xi > t ? 1.0 : -1.0; }});
        }
        for (const auto& [value, derivative] : cols) {
          double g = 0.0;
          for (double xi : x) g += (derivative(xi) + value(xi) * f_at(xi)) / n;
          expected = std::max(expected, std::abs(g));
        }
      }
      EXPECT_NEAR(MaxDictionaryGradient(d, f_distinct, a).max_abs, expected, 1e-12 * (1 + expected))
          << Name(a) << (ties ? " ties" : " distinct");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Certificates on random data.

struct SweepCase {
  int n;
  bool ties;
  Activation activation;
  bool skip;
};

void PrintTo(const SweepCase& c, std::ostream* os) {
  *os << "n" << c.n << (c.ties ? "_ties_" : "_distinct_") << Name(c.activation)
      << (c.skip ? "_skip" : "_noskip");
}

std::vector<SweepCase> SweepCases() {
  std::vector<SweepCase> cases;
  for (int n : {2, 3, 5, 10, 50, 200, 2000}) {
    for (bool ties : {false, true}) {
      if (ties && n < 3) continue;  // two points with a tie are all equal
      for (Activation a : {Activation::kRelu, Activation::kAbs}) {
        for (bool skip : {false, true}) cases.push_back({n, ties, a, skip});
      }
    }
  }
  return cases;
}

// Every solve of the sweep, done once and shared by the tests below (each test checks a
// different property of the same results).
struct SweepSolve {
  double beta;
  ScoreMatching1DResult result;
};

struct SweepData {
  std::vector<double> x;
  Thresholds1D thresholds;
  std::vector<SweepSolve> solves;
};

const SweepData& SolveSweep(const SweepCase& c, bool near_beta_min = false) {
  static std::map<std::tuple<int, bool, int, bool, bool>, SweepData> cache;
  const auto key = std::make_tuple(c.n, c.ties, static_cast<int>(c.activation), c.skip, near_beta_min);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  SweepData sd;
  sd.x = RandomData(c.n, 1000 + 7 * static_cast<std::uint64_t>(c.n) + (c.ties ? 1 : 0), c.ties);
  const Sample1D data = MakeSample1D(sd.x);
  sd.thresholds = ScoreMatching1DThresholds(data, c.activation, c.skip);
  for (double beta : SweepBetas(sd.thresholds, near_beta_min)) {
    sd.solves.push_back({beta, FitScoreMatching1D(data, Options(c.activation, c.skip, beta))});
  }
  return cache.emplace(key, std::move(sd)).first->second;
}

std::string Trace(const SweepData& sd, double beta) {
  return "beta = " + std::to_string(beta) + " (beta_min " + std::to_string(sd.thresholds.beta_min) +
         ", beta_max " + std::to_string(sd.thresholds.beta_max) + ")";
}

class SM1DSweepTest : public ::testing::TestWithParam<SweepCase> {};

// Solver certificates: status, gaps, and the non-convex objective of the reconstructed network
// equal to the convex objective.
void ExpectCertifiedAndAttained(const SweepData& sd) {
  ASSERT_GT(sd.thresholds.beta_min, 0.0);
  ASSERT_GE(sd.thresholds.beta_max, sd.thresholds.beta_min * (1 - 1e-12));
  ASSERT_GE(sd.solves.size(), 1u);
  for (const SweepSolve& s : sd.solves) {
    SCOPED_TRACE(Trace(sd, s.beta));
    const ScoreMatching1DResult& r = s.result;
    EXPECT_EQ(StatusName(r.summary.status), "optimal") << r.summary.message;
    if (r.summary.status != SolveStatus::kOptimal) continue;
    EXPECT_LE(r.summary.relative_gap, 1e-9);
    const double scale = std::max(1.0, std::abs(r.summary.objective));
    EXPECT_GE(r.summary.duality_gap, -1e-12 * scale);
    EXPECT_NEAR(r.summary.objective - r.summary.dual_objective, r.summary.duality_gap,
                1e-12 * scale);
    const double nonconvex = ScoreMatchingObjective(r.network, sd.x, s.beta);
    EXPECT_NEAR(nonconvex, r.summary.objective, 1e-8 * scale);
  }
}

TEST_P(SM1DSweepTest, ReconstructedNetworkAttainsConvexObjective) {
  ExpectCertifiedAndAttained(SolveSweep(GetParam()));
}

// At beta = 1.001 and 1.5 beta_min, where the dual boxes are thin and the optimum has a unit at
// nearly every data value: the interior-point method stalls on the large cases and the exact
// path in beta (docs/theory.md, "The solution path in beta") certifies them.
TEST_P(SM1DSweepTest, NearBetaMinReconstructedNetworkAttainsConvexObjective) {
  ExpectCertifiedAndAttained(SolveSweep(GetParam(), /*near_beta_min=*/true));
}

// Optimality checked independently of the solver, with the dual certificate described at the
// top of this file, evaluated at f = the network's score on the data.
// Tolerances. (i) holds exactly for any y once the free terms are profiled, up to rounding in
// the network's sum of terms and the tiny kink shifts: 1e-9 * (1 + term scale). (ii) and (iii)
// hold exactly at the optimum f*; a solution certified only to a relative gap eps = 1e-9 may
// have f != f*, but J(y) - J* >= (1/2n)||f - f*||^2 (the objective is (1/2n)||z||^2 plus convex
// terms), so rms(f - f*) <= delta = sqrt(2 eps max(1,|J|)), which moves every |c_k + A_k^T f/n|
// by at most range * delta and -(1/2) mean f^2 by at most rms(f) delta + delta^2. A polished
// solution (the active set solved exactly) must meet (ii) and (iii) up to rounding.
TEST_P(SM1DSweepTest, IndependentDualCertificateOverKinkDictionary) {
  const SweepCase& c = GetParam();
  const SweepData& sd = SolveSweep(c);
  const Distinct d = MakeDistinct(sd.x);
  const Moments mom = ComputeMoments(sd.x);
  const double range = mom.hi - mom.lo;
  for (const SweepSolve& s : sd.solves) {
    SCOPED_TRACE(Trace(sd, s.beta));
    const ScoreMatching1DResult& r = s.result;
    // A solve that is not optimal fails ReconstructedNetworkAttainsConvexObjective already.
    if (r.summary.status != SolveStatus::kOptimal) continue;
    std::vector<double> f(d.v.size());
    double mean_f = 0, mean_uf = 0, mean_f2 = 0, terms = 0;
    for (size_t j = 0; j < d.v.size(); ++j) {
      f[j] = r.network.Score(d.v[j]);
      mean_f += d.k[j] * f[j] / d.n;
      mean_uf += d.k[j] * (d.v[j] - mom.mean) * f[j] / d.n;
      mean_f2 += d.k[j] * f[j] * f[j] / d.n;
      terms = std::max(terms, TermScale(r.network, d.v[j]));
    }
    // (i) stationarity in the free terms
    EXPECT_NEAR(mean_f, 0.0, 1e-9 * (1 + terms));
    if (c.skip) {
      EXPECT_NEAR(mean_uf, -1.0, 1e-9 * (1 + range * terms));
    }
    const double J = ScoreMatchingObjective(r.network, sd.x, s.beta);
    const double delta = std::sqrt(2e-9 * std::max(1.0, std::abs(J)));
    const DictionaryGradient g = MaxDictionaryGradient(d, f, c.activation);
    const double rounding = 1e-9 * (1 + g.scale + terms * range);
    // (ii) dual feasibility over the whole dictionary
    EXPECT_LE(g.max_abs, s.beta + range * delta + rounding) << "max |c + A^T f/n| exceeds beta";
    // (iii) zero duality gap between the network's objective and the dual value at f
    EXPECT_NEAR(J, -0.5 * mean_f2,
                1e-9 * std::max(1.0, std::abs(J)) + std::sqrt(mean_f2) * delta + delta * delta +
                    1e-9 * (1 + mean_f2));
    if (r.summary.polished) {
      EXPECT_LE(g.max_abs, s.beta + rounding) << "polished, yet max |c + A^T f/n| exceeds beta";
      EXPECT_NEAR(J, -0.5 * mean_f2, 1e-9 * (1 + mean_f2 + terms * terms)) << "polished";
    }
  }
}

// Kinks only at data points; the piecewise-linear form and score_on_data agree with Score.
TEST_P(SM1DSweepTest, KinksAtDataPointsAndPiecewiseLinearFormAgrees) {
  const SweepData& sd = SolveSweep(GetParam());
  const Distinct d = MakeDistinct(sd.x);
  const Moments mom = ComputeMoments(sd.x);
  const double data_scale = std::max({mom.hi - mom.lo, std::abs(mom.lo), std::abs(mom.hi)});
  for (const SweepSolve& s : sd.solves) {
    SCOPED_TRACE(Trace(sd, s.beta));
    const ScoreMatching1DResult& r = s.result;
    // A solve that is not optimal fails ReconstructedNetworkAttainsConvexObjective already.
    if (r.summary.status != SolveStatus::kOptimal) continue;
    for (double k : r.network.Kinks()) {
      const auto it = std::lower_bound(d.v.begin(), d.v.end(), k);
      double dist = std::numeric_limits<double>::infinity();
      if (it != d.v.end()) dist = std::min(dist, std::abs(*it - k));
      if (it != d.v.begin()) dist = std::min(dist, std::abs(*(it - 1) - k));
      EXPECT_LE(dist, 1e-6 * data_scale) << "kink " << k << " is not at a data value";
    }
    // score_on_data is the convex solution's score; the network realises one-sided kinks by a
    // tiny shift and sums terms in floating point, so they agree up to the size of the terms.
    ASSERT_EQ(r.score_on_data.size(), d.v.size());
    for (size_t j = 0; j < d.v.size(); ++j) {
      EXPECT_NEAR(r.score_on_data[j], r.network.Score(d.v[j]),
                  1e-9 * (1 + TermScale(r.network, d.v[j])))
          << "at x = " << d.v[j];
    }
    const PiecewiseLinear1D pl = ToPiecewiseLinear(r.network);
    ASSERT_EQ(pl.slopes.size(), pl.kinks.size() + 1);
    ASSERT_EQ(pl.intercepts.size(), pl.kinks.size() + 1);
    const double lo = mom.lo - 2 * data_scale, hi = mom.hi + 2 * data_scale;
    std::vector<double> points;
    for (int i = 0; i <= 997; ++i) points.push_back(lo + (hi - lo) * i / 997.0);
    for (size_t j = 0; j < d.v.size(); j += std::max<size_t>(1, d.v.size() / 200)) {
      points.push_back(d.v[j]);
    }
    for (double p : points) {
      EXPECT_NEAR(pl(p), r.network.Score(p), 1e-9 * (1 + TermScale(r.network, p)))
          << "x = " << p;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RandomData, SM1DSweepTest, ::testing::ValuesIn(SweepCases()),
                         [](const ::testing::TestParamInfo<SweepCase>& info) {
                           const SweepCase& c = info.param;
                           return "n" + std::to_string(c.n) + (c.ties ? "_ties_" : "_distinct_") +
                                  Name(c.activation) + (c.skip ? "_skip" : "_noskip");
                         });

// The coarse start (4000 or more distinct values): the optimum of the data merged in blocks,
// confirmed on the full data by exact active-set passes, must be the optimum the interior-point
// method finds from scratch, with the same certificate and a network that attains it. At
// beta = 0.5 on these data the coarse optimum is confirmed in a pass or two; at 0.2 the
// exchange passes move the kinks first, and should they not end certified the interior-point
// method takes over (same answer either way).
TEST(SM1DCoarseStartTest, AgreesWithInteriorPointFromScratch) {
  struct Case { std::uint64_t seed; bool ties; Activation activation; bool skip; };
  const Case cases[] = {{1, false, Activation::kRelu, false}, {3, false, Activation::kAbs, false},
                        {2, true, Activation::kRelu, true}, {5, false, Activation::kAbs, true}};
  int confirmed = 0;  // fits that the coarse start finished without the interior-point method
  for (const Case& c : cases) {
    const std::vector<double> x = RandomData(6000, c.seed, c.ties);
    const Sample1D data = MakeSample1D(x);
    for (double beta : {0.5, 0.2}) {
      SCOPED_TRACE("seed " + std::to_string(c.seed) + (c.ties ? " ties " : " ") +
                   (c.activation == Activation::kRelu ? "relu" : "abs") +
                   (c.skip ? " skip" : "") + " beta " + std::to_string(beta));
      ScoreMatching1DOptions options;
      options.activation = c.activation;
      options.skip = c.skip;
      options.beta = beta;
      const ScoreMatching1DResult coarse = FitScoreMatching1D(data, options);
      options.coarse_start = false;
      const ScoreMatching1DResult scratch = FitScoreMatching1D(data, options);
      ASSERT_EQ(coarse.summary.status, SolveStatus::kOptimal) << coarse.summary.message;
      ASSERT_EQ(scratch.summary.status, SolveStatus::kOptimal) << scratch.summary.message;
      const double scale = std::max(1.0, std::abs(scratch.summary.objective));
      EXPECT_NEAR(coarse.summary.objective, scratch.summary.objective, 1e-9 * scale);
      EXPECT_LE(coarse.summary.relative_gap, 1e-9);
      EXPECT_NEAR(ScoreMatchingObjective(coarse.network, x, beta), coarse.summary.objective,
                  1e-8 * scale);
      if (coarse.summary.iterations <= 4) ++confirmed;
    }
  }
  EXPECT_GE(confirmed, 4) << "the coarse start was expected to finish most fits at beta = 0.5";
}

// Exchange passes that overshoot: on these benchmark-mixture fits the move of a kink to its most
// violated row lands past the kink's best place (a flat stretch of the bound), and the passes used
// to swing back and forth until the interior-point method took over (21 to 24 iterations). A pass
// whose largest violation did not shrink now adds the new row beside the old one, and a sign-wrong
// split of the end multiplier no longer ends the passes: all three are confirmed by the passes
// alone (at most 12 exact solves, the passes' limit, and no interior-point iteration), at the
// scratch optimum.
TEST(SM1DCoarseStartTest, OvershootingExchangeAddsInsteadOfMoving) {
  struct Case { std::uint64_t seed; double beta; Activation activation; };
  for (const Case& c : {Case{1, 0.05, Activation::kRelu}, Case{3, 0.1, Activation::kRelu},
                        Case{3, 0.1, Activation::kAbs}}) {
    SCOPED_TRACE("seed " + std::to_string(c.seed) + " beta " + std::to_string(c.beta) + " " +
                 Name(c.activation));
    const std::vector<double> x = Generate1D("mixture", 5000, c.seed);
    const Sample1D data = MakeSample1D(x);
    ScoreMatching1DOptions options;
    options.activation = c.activation;
    options.beta = c.beta;
    const ScoreMatching1DResult coarse = FitScoreMatching1D(data, options);
    options.coarse_start = false;
    const ScoreMatching1DResult scratch = FitScoreMatching1D(data, options);
    ASSERT_EQ(coarse.summary.status, SolveStatus::kOptimal) << coarse.summary.message;
    ASSERT_EQ(scratch.summary.status, SolveStatus::kOptimal) << scratch.summary.message;
    EXPECT_LE(coarse.summary.iterations, 12) << "the exchange passes did not confirm the optimum";
    const double scale = std::max(1.0, std::abs(scratch.summary.objective));
    EXPECT_NEAR(coarse.summary.objective, scratch.summary.objective, 1e-9 * scale);
    EXPECT_LE(coarse.summary.relative_gap, 1e-9);
    EXPECT_NEAR(ScoreMatchingObjective(coarse.network, x, c.beta), coarse.summary.objective,
                1e-8 * scale);
  }
}

// The hard regime of the benchmark, beta = 2 beta_min on the benchmark mixture (n = 1000): about
// 140 (relu) and 457 (abs) units. The interior-point method used to lose its Newton steps near
// the optimum (the multipliers' step recovered as d .* (C dx), with d up to 1e12), stall, and
// leave the answer to 200 iterations and the continuation (relu 200, abs 919 to 956 iterations
// in all). With the augmented Newton form (theory.md section 6) it certified on its own in about
// 45 and 60 iterations; with the multiplier boosts (theory.md section 6, "Starting far from the
// optimal multipliers"), which skip the slow growth of the multipliers from 1 to about 1e5, in
// 27 and 26.
TEST(SM1DHardRegimeTest, InteriorPointCertifiesAtTwiceBetaMin) {
  const std::vector<double> x = Generate1D("mixture", 1000, 1);
  const Sample1D data = MakeSample1D(x);
  for (Activation a : {Activation::kRelu, Activation::kAbs}) {
    SCOPED_TRACE(Name(a));
    ScoreMatching1DOptions options;
    options.activation = a;
    options.beta = 2.0 * ScoreMatching1DThresholds(data, a, false).beta_min;
    const ScoreMatching1DResult r = FitScoreMatching1D(data, options);
    ASSERT_EQ(r.summary.status, SolveStatus::kOptimal) << r.summary.message;
    EXPECT_LE(r.summary.iterations, 40);
    EXPECT_LE(r.summary.relative_gap, 1e-9);
    EXPECT_GE(r.summary.relative_gap, -1e-12);
    const double scale = std::max(1.0, std::abs(r.summary.objective));
    EXPECT_NEAR(ScoreMatchingObjective(r.network, x, options.beta), r.summary.objective,
                1e-8 * scale);
  }
}

// The same regime at n = 1e4 (ReLU, 1401 units): the steps shrink below 1e-3 near the optimum
// while the merit still creeps down in the fourth digit. A stall is counted from the last 10%
// gain, so the method hands its best iterate to the final polish after 111 iterations; when
// every gain reset the count it went on to 171, with the same answer. Now the multiplier boosts
// bring it there in 25 iterations, and a stalled complementarity hands the iterate to the polish
// at once: 34 in all (98 with the hand-over alone, 106 with neither).
TEST(SM1DHardRegimeTest, CreepingMeritCountsAsAStall) {
  const std::vector<double> x = Generate1D("mixture", 10000, 1);
  const Sample1D data = MakeSample1D(x);
  ScoreMatching1DOptions options;
  options.beta = 2.0 * ScoreMatching1DThresholds(data, Activation::kRelu, false).beta_min;
  const ScoreMatching1DResult r = FitScoreMatching1D(data, options);
  ASSERT_EQ(r.summary.status, SolveStatus::kOptimal) << r.summary.message;
  EXPECT_LE(r.summary.iterations, 50);
  EXPECT_LE(r.summary.relative_gap, 1e-9);
  EXPECT_GE(r.summary.relative_gap, -1e-12);
}

// Boosts are capped at four per run. At 1.001 beta_min (n = 500, abs) later boosts, once the
// scale had been found, repeated every two iterations up to multipliers of 1e75, and the fit fell
// back to a run without boosts: 168 iterations in all; 32 with the cap.
TEST(SM1DHardRegimeTest, MultiplierBoostsAreCapped) {
  const std::vector<double> x = Generate1D("mixture", 500, 1);
  const Sample1D data = MakeSample1D(x);
  ScoreMatching1DOptions options;
  options.activation = Activation::kAbs;
  options.beta = 1.001 * ScoreMatching1DThresholds(data, Activation::kAbs, false).beta_min;
  const ScoreMatching1DResult r = FitScoreMatching1D(data, options);
  ASSERT_EQ(r.summary.status, SolveStatus::kOptimal) << r.summary.message;
  EXPECT_LE(r.summary.iterations, 80);
  EXPECT_LE(r.summary.relative_gap, 1e-9);
  const double scale = std::max(1.0, std::abs(r.summary.objective));
  EXPECT_NEAR(ScoreMatchingObjective(r.network, x, options.beta), r.summary.objective,
              1e-8 * scale);
}

// ---------------------------------------------------------------------------------------------
// Thresholds.

// beta_max is the smallest beta at which the zero network (plus the free terms) is optimal. By
// the dual certificate that is the dictionary gradient at the free-terms-only score: f = 0
// without skip (so beta_max = max |c_k| = 1, attained by the ramp that is linear on the data),
// f = -(x - mean)/var with skip. Computed here independently of the library.
TEST(SM1DThresholdsTest, BetaMaxMatchesDictionaryAtFreeTermsOnlyScore) {
  for (int n : {2, 3, 5, 10, 50, 200, 2000}) {
    for (bool ties : {false, true}) {
      if (ties && n < 3) continue;
      const std::vector<double> x = RandomData(n, 77 + n, ties);
      const Sample1D data = MakeSample1D(x);
      const Distinct d = MakeDistinct(x);
      const Moments mom = ComputeMoments(x);
      for (Activation a : {Activation::kRelu, Activation::kAbs}) {
        for (bool skip : {false, true}) {
          SCOPED_TRACE("n " + std::to_string(n) + (ties ? " ties " : " distinct ") + Name(a) +
                       (skip ? " skip" : " noskip"));
          std::vector<double> f(d.v.size(), 0.0);
          if (skip) {
            for (size_t j = 0; j < f.size(); ++j) f[j] = -(d.v[j] - mom.mean) / mom.var;
          }
          const double expected = MaxDictionaryGradient(d, f, a).max_abs;
          const Thresholds1D t = ScoreMatching1DThresholds(data, a, skip);
          EXPECT_NEAR(t.beta_max, expected, 1e-10 * std::max(1.0, expected));
          if (!skip) {
            EXPECT_NEAR(t.beta_max, 1.0, 1e-12);
          }
        }
      }
    }
  }
}

// beta_min for distinct data (theory.md section 2; confirmed by all four reference data sets):
// 1/n for relu with or without skip and for abs without skip; 2/n for abs with skip.
TEST(SM1DThresholdsTest, BetaMinForDistinctData) {
  for (int n : {2, 3, 5, 10, 50, 200, 2000}) {
    const std::vector<double> x = RandomData(n, 31 + n, false);
    ASSERT_EQ(MakeDistinct(x).v.size(), static_cast<size_t>(n));
    const Sample1D data = MakeSample1D(x);
    SCOPED_TRACE("n = " + std::to_string(n));
    EXPECT_NEAR(ScoreMatching1DThresholds(data, Activation::kRelu, false).beta_min, 1.0 / n, 1e-12);
    EXPECT_NEAR(ScoreMatching1DThresholds(data, Activation::kRelu, true).beta_min, 1.0 / n, 1e-12);
    EXPECT_NEAR(ScoreMatching1DThresholds(data, Activation::kAbs, false).beta_min, 1.0 / n, 1e-12);
    EXPECT_NEAR(ScoreMatching1DThresholds(data, Activation::kAbs, true).beta_min, 2.0 / n, 1e-12);
  }
}

// beta_min with ties. Lower bounds derived from pairs of dictionary columns that agree on the
// data but differ in their derivative (so l - (PA)^T u differs by the same amount for every u):
//  - k_L copies at the left end: (v_1 - x)_+ is 0 on the data with mean derivative -k_L/n, so
//    beta_min >= k_L/n (relu); likewise k_R/n at the right end;
//  - k copies at an interior value t: (x - t)_+ with the kink at t and just right of t differ by
//    k/n in c, so beta_min >= k/(2n) (relu); for abs the two signs of |x - t| differ by 2k/n, so
//    beta_min >= k/n;
//  - abs with skip: |x - v_1| is linear on the data (projected out, l = 0) and its sign(0) = -1
//    twin has l = -2 k_L/n, so beta_min >= 2 k_L/n (and 2 k_R/n at the right end).
// Equality, i.e. beta_min * n = max(k_L, k_R, k_I/2) (relu), max(k_L, k_R, k_I) (abs),
// max(2k_L, 2k_R, k_I) (abs, skip) with k_I the largest interior count, was confirmed with the
// reference generator's own LP (make_sm1d_reference.py, CVXOPT) on the data sets below and on
// ties22 of sm1d.json; the expected values here are those LP results.
TEST(SM1DThresholdsTest, BetaMinWithTiesMatchesIndependentLp) {
  struct Case {
    std::vector<double> x;
    double relu_n, abs_n, abs_skip_n;  // beta_min * n from the LP (relu: same with skip)
  };
  const std::vector<Case> cases = {
      {{-1.0, -1.0, -0.3, 0.1, 0.5, 0.8, 1.2, 1.2, 1.2, 1.2}, 4, 4, 8},   // k_L 2, k_R 4
      {{-2.0, -2.0, -2.0, -0.5, 0.0, 0.7, 1.1, 1.9}, 3, 3, 6},           // k_L 3, k_R 1
      {{-1.0, -1.0, 0.2, 0.3, 0.9, 1.5, 1.5}, 2, 2, 4},                  // k_L 2, k_R 2
      {{-1.0, -0.5, 0.0, 0.0, 0.0, 0.4, 1.0, 1.3}, 1.5, 3, 3},           // interior triple
      {{-1.0, -0.5, 0.0, 0.0, 0.0, 0.0, 0.4, 1.0, 1.3}, 2, 4, 4},        // interior quadruple
      {{-1.0, -0.5, 0.0, 0.0, 0.4, 1.0, 1.3, 2.0}, 1, 2, 2},             // interior pair
      {{1.3, -1.0, 0.0, 0.4, -0.5, 1.0, 0.0, 2.0}, 1, 2, 2},             // same, unsorted
  };
  for (const Case& c : cases) {
    const double n = static_cast<double>(c.x.size());
    const Sample1D data = MakeSample1D(c.x);
    SCOPED_TRACE("data of size " + std::to_string(c.x.size()) + " starting " +
                 std::to_string(c.x[0]));
    EXPECT_NEAR(ScoreMatching1DThresholds(data, Activation::kRelu, false).beta_min, c.relu_n / n,
                1e-12);
    EXPECT_NEAR(ScoreMatching1DThresholds(data, Activation::kRelu, true).beta_min, c.relu_n / n,
                1e-12);
    EXPECT_NEAR(ScoreMatching1DThresholds(data, Activation::kAbs, false).beta_min, c.abs_n / n,
                1e-12);
    EXPECT_NEAR(ScoreMatching1DThresholds(data, Activation::kAbs, true).beta_min,
                c.abs_skip_n / n, 1e-12);
  }
}

// Two distinct values with skip: every column is linear on the data, P A = 0, so the program is
// linear in y and bounded iff beta >= ||l||_inf: beta_min = beta_max. Without skip and with the
// counts (k_L, k_R), the end-tie bound gives beta_min = max(k_L, k_R)/n.
// With the skip term, |x - t| = 2 (x - t)_+ - (x - t) and the linear part is free: an abs unit
// with coefficient y costs beta |y|, the ramp with coefficient 2y costs (beta/2) |2y|, and the
// derivative conventions match (sign(0) = +1 <-> closed ramp, -1 <-> shifted). So the abs
// program at beta is the ReLU program at beta/2: same optimum, thresholds doubled.
TEST(SM1DThresholdsTest, AbsWithSkipIsReluWithSkipAtHalfBeta) {
  for (bool ties : {false, true}) {
    const std::vector<double> x = RandomData(60, ties ? 71 : 72, ties);
    const Sample1D data = MakeSample1D(x);
    const Thresholds1D relu = ScoreMatching1DThresholds(data, Activation::kRelu, true);
    const Thresholds1D abs = ScoreMatching1DThresholds(data, Activation::kAbs, true);
    EXPECT_NEAR(abs.beta_min, 2 * relu.beta_min, 1e-12);
    EXPECT_NEAR(abs.beta_max, 2 * relu.beta_max, 1e-12);
    for (double beta : {3 * abs.beta_min, 0.5 * (abs.beta_min + abs.beta_max)}) {
      SCOPED_TRACE("beta = " + std::to_string(beta) + (ties ? " ties" : " distinct"));
      const ScoreMatching1DResult a = FitScoreMatching1D(data, Options(Activation::kAbs, true, beta));
      const ScoreMatching1DResult r = FitScoreMatching1D(data, Options(Activation::kRelu, true, beta / 2));
      ASSERT_EQ(StatusName(a.summary.status), "optimal");
      ASSERT_EQ(StatusName(r.summary.status), "optimal");
      EXPECT_NEAR(a.summary.objective, r.summary.objective,
                  1e-9 * std::max(1.0, std::abs(r.summary.objective)));
      ASSERT_EQ(a.score_on_data.size(), r.score_on_data.size());
      for (size_t i = 0; i < a.score_on_data.size(); ++i) {
        EXPECT_NEAR(a.score_on_data[i], r.score_on_data[i], 1e-6 * (1 + std::abs(r.score_on_data[i])));
      }
    }
  }
}

TEST(SM1DThresholdsTest, TwoDistinctValues) {
  const std::vector<double> x = {0.1, 0.1, 0.5};
  const Sample1D data = MakeSample1D(x);
  for (Activation a : {Activation::kRelu, Activation::kAbs}) {
    SCOPED_TRACE(Name(a));
    const Thresholds1D with_skip = ScoreMatching1DThresholds(data, a, true);
    EXPECT_NEAR(with_skip.beta_min, with_skip.beta_max, 1e-12);
    // relu: (0.1 - x)_+ with derivative -1 at the two copies of 0.1: 2/3. abs: the sign(0) = -1
    // twin of |x - 0.1| has derivative -1, -1, +1 and is linear on the data: l = -1/3 - 1 = -4/3.
    EXPECT_NEAR(with_skip.beta_min, a == Activation::kRelu ? 2.0 / 3 : 4.0 / 3, 1e-12);
    const Thresholds1D no_skip = ScoreMatching1DThresholds(data, a, false);
    EXPECT_NEAR(no_skip.beta_min, 2.0 / 3, 1e-12);
    EXPECT_NEAR(no_skip.beta_max, 1.0, 1e-12);
  }
}

// ---------------------------------------------------------------------------------------------
// Unbounded below beta_min, and invalid beta.

TEST(SM1DUnboundedTest, BelowBetaMinIsReportedUnboundedWithBetaMin) {
  for (int n : {2, 5, 50, 2000}) {
    for (bool ties : {false, true}) {
      if (ties && n < 3) continue;
      const std::vector<double> x = RandomData(n, 500 + n, ties);
      const Sample1D data = MakeSample1D(x);
      for (Activation a : {Activation::kRelu, Activation::kAbs}) {
        for (bool skip : {false, true}) {
          SCOPED_TRACE("n " + std::to_string(n) + (ties ? " ties " : " distinct ") + Name(a) +
                       (skip ? " skip" : " noskip"));
          const Thresholds1D t = ScoreMatching1DThresholds(data, a, skip);
          for (double factor : {0.9, 0.5, 1e-3}) {
            const ScoreMatching1DResult r =
                FitScoreMatching1D(data, Options(a, skip, factor * t.beta_min));
            EXPECT_EQ(StatusName(r.summary.status), "unbounded") << "factor " << factor;
            EXPECT_NE(r.summary.message.find("beta_min"), std::string::npos) << r.summary.message;
            EXPECT_TRUE(r.network.neurons.empty());
            EXPECT_NEAR(r.thresholds.beta_min, t.beta_min, 1e-15);
          }
        }
      }
    }
  }
}

TEST(SM1DUnboundedTest, InvalidBetaThrows) {
  const std::vector<double> x = RandomData(20, 3, false);
  const Sample1D data = MakeSample1D(x);
  for (double beta : {0.0, -0.0, -0.1, -std::numeric_limits<double>::infinity(),
                      std::numeric_limits<double>::infinity(),
                      std::numeric_limits<double>::quiet_NaN()}) {
    SCOPED_TRACE("beta = " + std::to_string(beta));
    EXPECT_THROW(FitScoreMatching1D(data, Options(Activation::kRelu, false, beta)), Error);
    EXPECT_THROW(FitScoreMatching1D(data, Options(Activation::kAbs, true, beta)), Error);
  }
}

// ---------------------------------------------------------------------------------------------
// Closed forms (theory.md section 2, issue 2 item 6).

// The largest |Score(p) - expected(p)| over the points, and where.
struct Worst {
  double error = 0.0, at = 0.0, got = 0.0, want = 0.0;
};
std::ostream& operator<<(std::ostream& os, const Worst& w) {
  return os << "|Score - expected| = " << w.error << " at x = " << w.at << " (got " << w.got
            << ", expected " << w.want << ")";
}
template <class Expected>
Worst WorstDeviation(const std::vector<double>& points, const Network1D& net, Expected expected) {
  Worst w;
  for (double p : points) {
    const double got = net.Score(p), want = expected(p);
    if (!(std::abs(got - want) <= w.error)) w = {std::abs(got - want), p, got, want};
  }
  return w;
}

std::vector<std::vector<double>> ClosedFormDataSets() {
  std::vector<std::vector<double>> sets;
  for (int n : {2, 3, 10, 50, 200, 2000}) sets.push_back(RandomData(n, 900 + n, false));
  for (int n : {3, 10, 50, 200, 2000}) sets.push_back(RandomData(n, 950 + n, true));
  return sets;
}

// beta >= beta_max: the zero network. No skip: f = c0 with mean f = 0, so f = 0 and J = 0.
// With skip: f = c0 + v x, J = v + (1/2) mean (c0 + v x)^2, minimised at c0 = -v mean and
// v = -1/var: the empirical Gaussian score -(x - mean)/var with J = -1/(2 var).
// For beta > beta_max the zero network is the unique optimum, so the score is this everywhere.
TEST(SM1DClosedFormTest, AtAndAboveBetaMaxTheZeroNetwork) {
  for (const std::vector<double>& x : ClosedFormDataSets()) {
    const Sample1D data = MakeSample1D(x);
    const Moments mom = ComputeMoments(x);
    const Distinct d = MakeDistinct(x);
    const double range = mom.hi - mom.lo;
    std::vector<double> grid;  // the data range and three ranges on either side
    for (double p = mom.lo - 3 * range; p <= mom.hi + 3 * range; p += range / 37) grid.push_back(p);
    for (Activation a : {Activation::kRelu, Activation::kAbs}) {
      for (bool skip : {false, true}) {
        SCOPED_TRACE("n " + std::to_string(x.size()) + " " + Name(a) +
                     (skip ? " skip" : " noskip"));
        const Thresholds1D t = ScoreMatching1DThresholds(data, a, skip);
        auto expected_score = [&](double v) { return skip ? -(v - mom.mean) / mom.var : 0.0; };
        const double expected_objective = skip ? -0.5 / mom.var : 0.0;
        const double fscale = skip ? 1.0 + range / mom.var : 1.0;
        for (double factor : {1.0, 1.2, 10.0}) {
          const double beta = factor * t.beta_max;
          SCOPED_TRACE("beta = " + std::to_string(factor) + " beta_max");
          const ScoreMatching1DResult r = FitScoreMatching1D(data, Options(a, skip, beta));
          EXPECT_EQ(StatusName(r.summary.status), "optimal") << r.summary.message;
          if (r.summary.status != SolveStatus::kOptimal) continue;
          const double obj_tol = 1e-9 * std::max(1.0, std::abs(expected_objective));
          EXPECT_NEAR(r.summary.objective, expected_objective, obj_tol);
          EXPECT_NEAR(ScoreMatchingObjective(r.network, x, beta), expected_objective, obj_tol);
          const Worst on_data = WorstDeviation(d.v, r.network, expected_score);
          EXPECT_LE(on_data.error, 1e-8 * fscale) << "on the data: " << on_data;
          if (factor > 1.0) {  // unique optimum: the same score everywhere
            const Worst everywhere = WorstDeviation(grid, r.network, expected_score);
            EXPECT_LE(everywhere.error, 1e-8 * fscale * (1 + range)) << "off the data: " << everywhere;
          }
        }
      }
    }
  }
}

// The betas in the linear regime for data x without skip: those where the closed-form score is
// dual feasible over the whole dictionary (checked here, independently of the solver).
std::vector<double> LinearRegimeBetas(const std::vector<double>& x, Activation a) {
  const Sample1D data = MakeSample1D(x);
  const Moments mom = ComputeMoments(x);
  const Distinct d = MakeDistinct(x);
  const Thresholds1D t = ScoreMatching1DThresholds(data, a, false);
  std::vector<double> out;
  for (double beta : {0.9999, 0.999, 0.99, 0.95, 0.9, 0.8, 0.5}) {
    if (beta <= t.beta_min * (1 + 1e-3)) continue;
    std::vector<double> f_lin(d.v.size());
    for (size_t j = 0; j < d.v.size(); ++j) f_lin[j] = -(1 - beta) * (d.v[j] - mom.mean) / mom.var;
    if (MaxDictionaryGradient(d, f_lin, a).max_abs <= beta * (1 + 1e-12)) out.push_back(beta);
  }
  return out;
}

// Just below beta_max without skip: the linear regime.
// Derivation. The relu column (x - v_1)_+ with derivative 1 at x = v_1 (and the abs column
// |x - v_1| with sign(0) = +1) equals x - v_1 on the data with derivative 1 at every point, so
// c = 1. Using it alone, f = y (x - v_1) + c0 with c0 profiled (mean f = 0) gives
// f = y (x - mean) and J(y) = y + (1/2) y^2 var + beta |y|. For beta < 1 the minimum is at
// y = -(1 - beta)/var < 0: f = -(1 - beta)(x - mean)/var and J = -(1 - beta)^2 / (2 var).
// This is optimal over the whole dictionary exactly when that f is dual feasible,
// max_k |c_k + (1/n) A_k^T f| <= beta (the dual certificate at the top of the file; its value
// -(1/2) mean f^2 equals J). Then f on the data is unique (the dual objective is strictly
// concave). The test checks feasibility itself and tests the betas where it holds.
// With skip the linear column is absorbed by the free skip term (P A = 0 for it), the
// optimum just below beta_max is not linear, and the closed form is the Gaussian score at and
// above beta_max (previous test). So the regime is tested for relu and abs without skip.
TEST(SM1DClosedFormTest, LinearRegimeJustBelowBetaMaxWithoutSkip) {
  for (const std::vector<double>& x : ClosedFormDataSets()) {
    const Sample1D data = MakeSample1D(x);
    const Moments mom = ComputeMoments(x);
    const Distinct d = MakeDistinct(x);
    const double range = mom.hi - mom.lo;
    for (Activation a : {Activation::kRelu, Activation::kAbs}) {
      SCOPED_TRACE("n " + std::to_string(x.size()) + " " + Name(a));
      const std::vector<double> betas = LinearRegimeBetas(x, a);
      // beta = 0.999 is in the regime for every data set here (checked, not assumed).
      EXPECT_GE(betas.size(), 1u);
      for (double beta : betas) {
        SCOPED_TRACE("beta = " + std::to_string(beta));
        const ScoreMatching1DResult r = FitScoreMatching1D(data, Options(a, false, beta));
        EXPECT_EQ(StatusName(r.summary.status), "optimal") << r.summary.message;
        // The linear regime without skip is the degenerate case of the exact active-set solve
        // (several sources fix M = F(t_1)); it must be solved exactly, not only certified.
        EXPECT_TRUE(r.summary.polished) << r.summary.message;
        if (r.summary.status != SolveStatus::kOptimal) continue;
        const double expected = -(1 - beta) * (1 - beta) / (2 * mom.var);
        EXPECT_NEAR(r.summary.objective, expected, 1e-9 * std::max(1.0, std::abs(expected)));
        const double s = (1 - beta) / mom.var;
        const Worst w = WorstDeviation(d.v, r.network, [&](double v) { return -s * (v - mom.mean); });
        EXPECT_LE(w.error, 1e-8 * (1 + s * range)) << "on the data: " << w;
      }
    }
  }
}

// Gaussian-Laplace (theory.md section 2): in the linear regime the abs model's score is constant
// beyond the data range. Note: the objective does not force this. On the data the two linear
// abs columns |x - v_1| (sign(0) = +1, coefficient y1 <= 0) and the sign(0) = -1 twin of
// |x - v_m| (coefficient y2 >= 0) give the same score for every split y1 - y2 = -s, at the same
// cost beta (|y1| + |y2|) = beta s; the tails have slopes +-(y1 + y2), so constant tails are
// the symmetric split y1 = -y2 (the minimum-norm one). The theory asks for it; the solver must
// choose it.
// The objective does not fix how the weight splits between the two end abs units (their sum
// is linear on the data); the solver picks the split with flat tails, the Laplace convention.
TEST(SM1DClosedFormTest, AbsLinearRegimeHasConstantTails) {
  for (const std::vector<double>& x : ClosedFormDataSets()) {
    const Sample1D data = MakeSample1D(x);
    const Moments mom = ComputeMoments(x);
    const double range = mom.hi - mom.lo;
    SCOPED_TRACE("n " + std::to_string(x.size()));
    for (double beta : LinearRegimeBetas(x, Activation::kAbs)) {
      SCOPED_TRACE("beta = " + std::to_string(beta));
      const ScoreMatching1DResult r = FitScoreMatching1D(data, Options(Activation::kAbs, false, beta));
      EXPECT_EQ(StatusName(r.summary.status), "optimal") << r.summary.message;
      if (r.summary.status != SolveStatus::kOptimal) continue;
      const double fscale = 1 + (1 - beta) / mom.var * range;
      // Constant tails: |Score(hi + D) - Score(hi)| <= 1e-8 * fscale * (1 + D / range), i.e. a
      // tail slope below 1e-8 of the score's scale per data range (and likewise on the left).
      const double right = r.network.Score(mom.hi), left = r.network.Score(mom.lo);
      for (double dist : {1e-3, 0.5, 3.0, 100.0}) {
        const double tol = 1e-8 * fscale * (1 + dist);
        EXPECT_NEAR(r.network.Score(mom.hi + dist * range), right, tol)
            << "right tail, " << dist << " data ranges beyond the largest value";
        EXPECT_NEAR(r.network.Score(mom.lo - dist * range), left, tol)
            << "left tail, " << dist << " data ranges below the smallest value";
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// MakeSample1D.

bool MessageHasAny(const std::string& message, const std::vector<std::string>& words) {
  std::string lower = message;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const std::string& w : words) {
    if (lower.find(w) != std::string::npos) return true;
  }
  return false;
}

void ExpectSampleError(const std::vector<double>& x, const std::vector<std::string>& words) {
  try {
    (void)MakeSample1D(x);
    ADD_FAILURE() << "no error for data of size " << x.size();
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_TRUE(MessageHasAny(message, words)) << "message does not name the problem: " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "message is not one line: " << message;
  }
}

TEST(MakeSample1DTest, RejectsBadData) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::string> too_few = {"empty", "two", "fewer", "at least", "few",
                                              "no data", "no values"};
  ExpectSampleError({}, too_few);
  ExpectSampleError({1.5}, too_few);
  const std::vector<std::string> equal = {"equal", "identical", "same", "distinct", "constant",
                                          "variance"};
  ExpectSampleError({2.0, 2.0}, equal);
  ExpectSampleError({-0.3, -0.3, -0.3, -0.3, -0.3}, equal);
  ExpectSampleError({1.0, nan, 2.0}, {"nan", "finite", "not a number"});
  ExpectSampleError({nan, 1.0, 2.0}, {"nan", "finite", "not a number"});
  ExpectSampleError({1.0, 2.0, inf}, {"inf", "finite"});
  ExpectSampleError({-inf, 1.0, 2.0}, {"inf", "finite"});
}

TEST(MakeSample1DTest, SortsCountsAndSummarises) {
  const std::vector<double> x = {0.5, -1.0, 0.5, 2.0, -1.0, 0.5};
  const Sample1D s = MakeSample1D(x);
  EXPECT_EQ(s.n, 6);
  ASSERT_EQ(s.distinct(), 3);
  EXPECT_EQ(s.values, (std::vector<double>{-1.0, 0.5, 2.0}));
  EXPECT_EQ(s.counts, (std::vector<int>{2, 3, 1}));
  // mean = (−2 + 1.5 + 2)/6 = 0.25; var = (2*1.5625 + 3*0.0625 + 3.0625)/6 = 6.375/6
  EXPECT_NEAR(s.mean, 0.25, 1e-15);
  EXPECT_NEAR(s.variance, 6.375 / 6.0, 1e-15);
}

// The two forms of the interior-point Newton system (docs/theory.md section 6, "Cumulative
// multipliers") solve the same equations: on data with ties, for equal weights and for weights
// spread over eight orders of magnitude (as in the middle of a solve), each meets the augmented
// equations and the two agree. The chain form loses more digits as the spread grows (about
// 1e-9 of the terms here at 1e8, the embedding 1e-11), which is why it is left near the optimum;
// a mistake in either would show as an error of order one.
TEST(SM1DNewtonFormsTest, ChainFormSolvesTheSameSystemAsTheEmbedding) {
  std::mt19937_64 rng(77);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> x(300);
  for (double& v : x) v = std::round(normal(rng) * 40.0) / 40.0;  // about 150 distinct values
  const Sample1D data = MakeSample1D(x);
  for (Activation activation : {Activation::kRelu, Activation::kAbs}) {
    for (bool skip : {false, true}) {
      for (double spread : {1.0, 1e8}) {
        const internal::NewtonFormsComparison c =
            internal::CompareNewtonForms(data, activation, skip, spread, 5);
        SCOPED_TRACE(testing::Message() << (activation == Activation::kRelu ? "relu" : "abs")
                                        << " skip " << skip << " spread " << spread);
        const double tolerance = spread == 1.0 ? 1e-12 : 1e-7;
        EXPECT_GT(c.rows, 100);
        EXPECT_LT(c.chain_residual, tolerance);
        EXPECT_LT(c.embedded_residual, tolerance);
        EXPECT_LT(c.dx_difference, tolerance);
        EXPECT_LT(c.w_difference, tolerance);
      }
    }
  }
}

// The polish's equality QP solved by the Schur complement on H (a few rows) and by the banded
// embedding gives the same sigma and multipliers, with and without the equality G(t_m) = g_last
// (always 1 with skip), on data with ties.
TEST(SM1DEqualitySolveTest, SchurComplementMatchesTheEmbedding) {
  std::mt19937_64 rng(78);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> x(400);
  for (double& v : x) v = std::round(normal(rng) * 40.0) / 40.0;
  const Sample1D data = MakeSample1D(x);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (Activation activation : {Activation::kRelu, Activation::kAbs}) {
    for (bool skip : {false, true}) {
      for (double g_last : {nan, 0.7}) {
        for (int count : {1, 4, 15}) {
          const internal::EqualitySolvesComparison c =
              internal::CompareEqualitySolves(data, activation, skip, count, g_last, 9 + count);
          SCOPED_TRACE(testing::Message() << (activation == Activation::kRelu ? "relu" : "abs") << " skip "
                                          << skip << " g_last " << g_last << " rows " << count);
          ASSERT_TRUE(c.schur_used);
          EXPECT_LT(c.sigma_difference, 1e-10);
          EXPECT_LT(c.multiplier_difference, 1e-10);
        }
      }
    }
  }
}

}  // namespace
}  // namespace convexscore
