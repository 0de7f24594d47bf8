#include "convexscore/metrics/univariate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "convexscore/common.h"
#include "convexscore/io/numbers.h"

namespace convexscore {
namespace {

// A sorted copy of a sample, after checking it is usable.
std::vector<double> SortedSample(std::span<const double> x, std::string_view what) {
  if (x.empty()) throw Error(std::string(what) + ": the sample is empty");
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      throw Error(std::string(what) + ": sample value " + std::to_string(i + 1) +
                  " is not a finite number");
    }
  }
  std::vector<double> sorted(x.begin(), x.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

// Walks the two empirical CDFs together. At each distinct value t of the pooled samples it
// calls at_jump(F(t), G(t)), and on each interval [t, next) between consecutive distinct values
// it calls on_interval(length, F, G); F and G are right-continuous, so these see every value
// they take.
template <typename AtJump, typename OnInterval>
void SweepEmpiricalCdfs(const std::vector<double>& x, const std::vector<double>& y,
                        AtJump at_jump, OnInterval on_interval) {
  const double n = static_cast<double>(x.size());
  const double m = static_cast<double>(y.size());
  std::size_t i = 0, j = 0;
  while (i < x.size() || j < y.size()) {
    const double t = j == y.size() || (i < x.size() && x[i] <= y[j]) ? x[i] : y[j];
    while (i < x.size() && x[i] == t) ++i;
    while (j < y.size() && y[j] == t) ++j;
    const double f = static_cast<double>(i) / n;
    const double g = static_cast<double>(j) / m;
    at_jump(f, g);
    if (i == x.size() && j == y.size()) break;
    const double next = j == y.size() || (i < x.size() && x[i] <= y[j]) ? x[i] : y[j];
    on_interval(next - t, f, g);
  }
}

// Sum over ordered pairs of |x_i - x_j| for a sorted sample: 2 sum_k (2k - n + 1) x_(k).
// Shifted by the mean first, which leaves the differences unchanged and avoids cancellation.
double SumOfPairwiseDistances(const std::vector<double>& sorted) {
  const double n = static_cast<double>(sorted.size());
  double mean = 0.0;
  for (double v : sorted) mean += v;
  mean /= n;
  double sum = 0.0;
  for (std::size_t k = 0; k < sorted.size(); ++k) {
    sum += (2.0 * static_cast<double>(k) - n + 1.0) * (sorted[k] - mean);
  }
  return 2.0 * sum;
}

}  // namespace

double Wasserstein1(std::span<const double> x, std::span<const double> y) {
  const std::vector<double> xs = SortedSample(x, "W1");
  const std::vector<double> ys = SortedSample(y, "W1");
  double w1 = 0.0;
  SweepEmpiricalCdfs(
      xs, ys, [](double, double) {},
      [&](double length, double f, double g) { w1 += length * std::abs(f - g); });
  return w1;
}

double Wasserstein1(std::span<const double> x, const UnivariateLaw& law) {
  const std::vector<double> xs = SortedSample(x, "W1");
  const double n = static_cast<double>(xs.size());
  // Tails: integral of F below the smallest point, of 1 - F above the largest.
  double w1 = law.LowerPartialMoment(xs.front()) +
              (law.LowerPartialMoment(xs.back()) - xs.back() + law.Mean());
  // Between consecutive points F_n = c is constant; integral of |c - F| over [a, b], split
  // where F crosses c. LowerPartialMoment is the antiderivative of F.
  for (std::size_t k = 1; k < xs.size(); ++k) {
    const double a = xs[k - 1], b = xs[k];
    if (b == a) continue;
    const double c = static_cast<double>(k) / n;
    const double fa = law.Cdf(a), fb = law.Cdf(b);
    const double integral_f = law.LowerPartialMoment(b) - law.LowerPartialMoment(a);
    if (fb <= c) {
      w1 += c * (b - a) - integral_f;
    } else if (fa >= c) {
      w1 += integral_f - c * (b - a);
    } else {
      const double q = std::clamp(law.Quantile(c), a, b);
      const double below = law.LowerPartialMoment(q) - law.LowerPartialMoment(a);
      w1 += (c * (q - a) - below) + ((integral_f - below) - c * (b - q));
    }
  }
  return w1;
}

double KolmogorovSmirnov(std::span<const double> x, std::span<const double> y) {
  const std::vector<double> xs = SortedSample(x, "KS");
  const std::vector<double> ys = SortedSample(y, "KS");
  double ks = 0.0;
  SweepEmpiricalCdfs(
      xs, ys, [&](double f, double g) { ks = std::max(ks, std::abs(f - g)); },
      [](double, double, double) {});
  return ks;
}

double KolmogorovSmirnov(std::span<const double> x, const UnivariateLaw& law) {
  const std::vector<double> xs = SortedSample(x, "KS");
  const double n = static_cast<double>(xs.size());
  // F is continuous: the sup is reached just before or at a jump of F_n. With ties the
  // extreme indices of a tied group give the extremes, so every index may be visited.
  double ks = 0.0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double f = law.Cdf(xs[i]);
    ks = std::max({ks, f - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - f});
  }
  return ks;
}

double EnergyDistance(std::span<const double> x, std::span<const double> y) {
  const std::vector<double> xs = SortedSample(x, "energy distance");
  const std::vector<double> ys = SortedSample(y, "energy distance");
  double integral = 0.0;
  SweepEmpiricalCdfs(
      xs, ys, [](double, double) {},
      [&](double length, double f, double g) { integral += length * (f - g) * (f - g); });
  return 2.0 * integral;
}

double EnergyDistance(std::span<const double> x, const UnivariateLaw& law) {
  const std::vector<double> xs = SortedSample(x, "energy distance");
  const double n = static_cast<double>(xs.size());
  // E|x - Y| = E(x - Y)^+ + E(Y - x)^+ = 2 LowerPartialMoment(x) - x + E Y.
  double cross = 0.0;
  for (double v : xs) cross += 2.0 * law.LowerPartialMoment(v) - v + law.Mean();
  cross /= n;
  return 2.0 * cross - SumOfPairwiseDistances(xs) / (n * n) - law.MeanAbsoluteDifference();
}

double Digamma(double x) {
  if (!(x > 0)) throw Error("digamma: need x > 0");
  // psi(x) = psi(x + 1) - 1/x up to x >= 16, then the asymptotic series (truncation error
  // below 1e-17 there).
  double shift = 0.0;
  while (x < 16.0) {
    shift -= 1.0 / x;
    x += 1.0;
  }
  const double r = 1.0 / (x * x);
  return shift + std::log(x) - 0.5 / x -
         r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (1.0 / 240 - r / 132))));
}

double KozachenkoLeonenkoEntropy(std::span<const double> x, int k) {
  const std::vector<double> xs = SortedSample(x, "KL entropy estimate");
  const std::size_t n = xs.size();
  if (k < 1 || static_cast<std::size_t>(k) >= n) {
    throw Error("KL entropy estimate: need 1 <= k < n neighbours (k = " + std::to_string(k) +
                ", n = " + std::to_string(n) + ")");
  }
  // In sorted order the k nearest neighbours of x_i are a window around i: grow it k times
  // towards the nearer side.
  double sum_log = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t left = i, right = i;  // the window is [left, right]
    double distance = 0.0;
    for (int step = 0; step < k; ++step) {
      const double to_left = left > 0 ? xs[i] - xs[left - 1]
                                      : std::numeric_limits<double>::infinity();
      const double to_right = right + 1 < n ? xs[right + 1] - xs[i]
                                            : std::numeric_limits<double>::infinity();
      if (to_left <= to_right) {
        --left;
        distance = to_left;
      } else {
        ++right;
        distance = to_right;
      }
    }
    if (distance == 0.0) {
      throw Error("KL entropy estimate: the value " + FormatDouble(xs[i]) + " occurs more than " +
                  std::to_string(k) +
                  " times, so its nearest-neighbour distance is 0 (the sample has atoms, "
                  "no density)");
    }
    sum_log += std::log(distance);
  }
  const double nd = static_cast<double>(n);
  return Digamma(nd) - Digamma(k) + std::log(2.0) + sum_log / nd;
}

int DefaultKlNeighbours(std::size_t n) {
  const long k = std::lround(std::sqrt(static_cast<double>(n)) / 4.0);
  return static_cast<int>(std::clamp<long>(k, 1, std::max<long>(1, static_cast<long>(n) - 1)));
}

double KlDivergence(std::span<const double> x, const UnivariateLaw& law, int k) {
  if (x.size() < 2) throw Error("KL divergence: need at least 2 sample points");
  if (k == 0) k = DefaultKlNeighbours(x.size());
  const double entropy = KozachenkoLeonenkoEntropy(x, k);
  double cross_entropy = 0.0;
  for (double v : x) cross_entropy -= law.LogDensity(v);
  cross_entropy /= static_cast<double>(x.size());
  if (std::isinf(cross_entropy)) return std::numeric_limits<double>::infinity();
  return cross_entropy - entropy;
}

double FisherDivergence(std::span<const double> x, const std::function<double(double)>& model,
                        const std::function<double(double)>& truth) {
  const std::vector<double> xs = SortedSample(x, "Fisher divergence");
  double sum = 0.0;
  for (double v : xs) {
    const double difference = model(v) - truth(v);
    sum += difference * difference;
  }
  const double divergence = sum / static_cast<double>(xs.size());
  if (!std::isfinite(divergence)) {
    throw Error("Fisher divergence: a score is not finite at some sample point");
  }
  return divergence;
}

}  // namespace convexscore
