#include "convexscore/arrangements/patterns.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>
#include <numeric>
#include <random>
#include <string>

#include "convexscore/common.h"
#include "convexscore/data/portable_random.h"

namespace convexscore {

std::string_view PatternMethodName(PatternMethod method) {
  return method == PatternMethod::kExact ? "exact" : "sampled";
}

PatternSet::PatternSet(int points) : points_(points), words_(std::max(1, (points + 63) / 64)) {
  if (points < 1) throw Error("patterns need at least one point");
}

int PatternSet::ActiveCount(int k) const {
  int count = 0;
  for (int w = 0; w < words_; ++w) count += std::popcount(Bits(k)[w]);
  return count;
}

std::vector<int> PatternSet::ActiveIndices(int k) const {
  std::vector<int> out;
  for (int i = 0; i < points_; ++i)
    if (Active(k, i)) out.push_back(i);
  return out;
}

Eigen::VectorXd PatternSet::Mask(int k) const {
  Eigen::VectorXd mask(points_);
  for (int i = 0; i < points_; ++i) mask[i] = Active(k, i) ? 1.0 : 0.0;
  return mask;
}

std::uint64_t PatternSet::Hash(const std::uint64_t* bits) const {
  std::uint64_t h = 1469598103934665603ull;
  for (int w = 0; w < words_; ++w) {
    h ^= bits[w] + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  }
  return h;
}

int PatternSet::Find(const std::uint64_t* bits) const {
  auto [first, last] = index_.equal_range(Hash(bits));
  for (auto it = first; it != last; ++it) {
    if (std::equal(bits, bits + words_, Bits(it->second))) return it->second;
  }
  return -1;
}

bool PatternSet::Insert(const std::uint64_t* bits) {
  if (Find(bits) >= 0) return false;
  index_.emplace(Hash(bits), size());
  bits_.insert(bits_.end(), bits, bits + words_);
  return true;
}

namespace {

void SetBit(std::vector<std::uint64_t>& bits, int i) { bits[i >> 6] |= std::uint64_t{1} << (i & 63); }
void ClearBit(std::vector<std::uint64_t>& bits, int i) {
  bits[i >> 6] &= ~(std::uint64_t{1} << (i & 63));
}

void CheckFinite(const Eigen::Ref<const Eigen::MatrixXd>& x) {
  if (x.rows() < 1 || x.cols() < 1) throw Error("patterns need at least one point");
  if (!x.allFinite()) throw Error("patterns: the data contain a non-finite value");
}

// Inserts every upper set {i : p_i >= t} of the projections p: the patterns of the closed
// half-spaces with this normal. Cuts fall only between different values, so equal projections
// (duplicate points, or points on one hyperplane) stay together as the closed half-space demands.
void InsertUpperSets(const Eigen::VectorXd& p, PatternSet& set) {
  const int n = static_cast<int>(p.size());
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return p[a] > p[b]; });
  std::vector<std::uint64_t> bits(set.words(), 0);
  set.Insert(bits.data());  // empty
  for (int r = 0; r < n; ++r) {
    SetBit(bits, order[r]);
    if (r + 1 == n || p[order[r + 1]] < p[order[r]]) set.Insert(bits.data());
  }
}

// In the plane the order of the projections changes only at normals perpendicular to some
// x_i - x_j. One normal strictly inside each arc between those critical angles sees every
// upper set: a closed half-plane whose boundary holds several points is the upper set of a
// nearby generic normal that orders those points along the line (see docs/theory.md).
void Enumerate2D(const Eigen::Ref<const Eigen::MatrixXd>& x, PatternSet& set) {
  const int n = static_cast<int>(x.rows());
  constexpr double kTwoPi = 2.0 * std::numbers::pi;
  constexpr double kAngleTol = 1e-9;
  std::vector<double> critical;
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      const double dx = x(j, 0) - x(i, 0), dy = x(j, 1) - x(i, 1);
      if (dx == 0.0 && dy == 0.0) continue;  // duplicates never change order
      double angle = std::atan2(dy, dx) + 0.5 * std::numbers::pi;
      for (int side = 0; side < 2; ++side) {
        double a = std::fmod(angle + side * std::numbers::pi, kTwoPi);
        if (a < 0) a += kTwoPi;
        critical.push_back(a);
      }
    }
  }
  std::sort(critical.begin(), critical.end());
  std::vector<double> distinct;
  for (double a : critical) {
    if (distinct.empty() || a - distinct.back() > kAngleTol) distinct.push_back(a);
  }
  if (distinct.size() > 1 && distinct.front() + kTwoPi - distinct.back() <= kAngleTol) {
    distinct.pop_back();  // the same angle on both sides of 0
  }
  if (distinct.empty()) distinct.push_back(0.0);  // all points equal: any normal will do
  // Consecutive arcs order the points almost alike (crossing a critical angle swaps the points
  // of one line), so each arc's order is the previous one repaired by insertion sort, and only
  // the upper sets that differ from the previous arc's are looked up: a prefix of the order is
  // the same set as before while every point that left it has been matched by one that joined
  // (`balance` counts the unmatched ones). The set and its order are those of inserting every
  // upper set of every arc, at O(n) per arc instead of n hash look-ups of n bits each.
  const int arcs = static_cast<int>(distinct.size());
  std::vector<int> order(n), previous;
  std::iota(order.begin(), order.end(), 0);
  std::vector<char> previous_cut, cut(n, 0);
  std::vector<int> mark(n, 0);
  std::vector<std::uint64_t> bits(set.words(), 0);
  set.Insert(bits.data());  // empty
  for (int a = 0; a < arcs; ++a) {
    const double lo = distinct[a];
    const double hi = a + 1 < arcs ? distinct[a + 1] : distinct[0] + kTwoPi;
    const double mid = 0.5 * (lo + hi);
    const Eigen::VectorXd p = x * Eigen::Vector2d(std::cos(mid), std::sin(mid));
    for (int r = 1; r < n; ++r) {  // decreasing projections
      const int moving = order[r];
      int q = r;
      for (; q > 0 && p[order[q - 1]] < p[moving]; --q) order[q] = order[q - 1];
      order[q] = moving;
    }
    for (int r = 0; r < n; ++r) cut[r] = r + 1 == n || p[order[r + 1]] < p[order[r]];
    std::fill(bits.begin(), bits.end(), 0);
    int balance = 0;
    for (int r = 0; r < n; ++r) {
      SetBit(bits, order[r]);
      if (!previous.empty()) {
        balance += (++mark[order[r]] == 0) ? -1 : (mark[order[r]] == 1 ? 1 : 0);
        balance += (--mark[previous[r]] == 0) ? -1 : (mark[previous[r]] == -1 ? 1 : 0);
      }
      const bool seen = !previous.empty() && previous_cut[r] && balance == 0;
      if (cut[r] && !seen) set.Insert(bits.data());
    }
    previous = order;
    previous_cut = cut;
  }
}

// In general position in R^3 every pattern other than the empty and the full set is the strict
// side of a plane through three points plus any subset of those three (tilt the plane slightly).
void Enumerate3D(const Eigen::Ref<const Eigen::MatrixXd>& x, PatternSet& set) {
  const int n = static_cast<int>(x.rows());
  const Eigen::RowVector3d centre = x.colwise().mean();
  const double scale = std::max((x.rowwise() - centre).cwiseAbs().maxCoeff(), 1e-300);
  std::vector<std::uint64_t> bits(set.words(), 0);
  set.Insert(bits.data());
  for (int i = 0; i < n; ++i) SetBit(bits, i);
  set.Insert(bits.data());
  if (n < 3) {  // every subset of one or two points is cut off by some plane
    for (int subset = 0; subset < (1 << n); ++subset) {
      std::fill(bits.begin(), bits.end(), 0);
      for (int i = 0; i < n; ++i)
        if (subset >> i & 1) SetBit(bits, i);
      set.Insert(bits.data());
    }
    return;
  }
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      for (int k = j + 1; k < n; ++k) {
        const Eigen::Vector3d e1 = (x.row(j) - x.row(i)).transpose();
        const Eigen::Vector3d e2 = (x.row(k) - x.row(i)).transpose();
        Eigen::Vector3d normal = e1.cross(e2);
        if (normal.norm() <= 1e-12 * scale * scale) {
          throw Error("exact 3-D patterns need points in general position: points " +
                      std::to_string(i) + ", " + std::to_string(j) + ", " + std::to_string(k) +
                      " are collinear (or equal); use sampled patterns");
        }
        normal.normalize();
        const Eigen::VectorXd side = (x.rowwise() - x.row(i)) * normal;
        for (int orientation = 0; orientation < 2; ++orientation) {
          std::fill(bits.begin(), bits.end(), 0);
          for (int l = 0; l < n; ++l) {
            if (l == i || l == j || l == k) continue;
            const double s = orientation == 0 ? side[l] : -side[l];
            if (std::abs(s) <= 1e-12 * scale) {
              throw Error("exact 3-D patterns need points in general position: point " +
                          std::to_string(l) + " lies on the plane through points " +
                          std::to_string(i) + ", " + std::to_string(j) + ", " +
                          std::to_string(k) + "; use sampled patterns");
            }
            if (s > 0) SetBit(bits, l);
          }
          const int on_plane[3] = {i, j, k};
          for (int subset = 0; subset < 8; ++subset) {
            for (int t = 0; t < 3; ++t) {
              if (subset >> t & 1) SetBit(bits, on_plane[t]);
              else ClearBit(bits, on_plane[t]);
            }
            set.Insert(bits.data());
          }
        }
      }
    }
  }
}

}  // namespace

PatternSet EnumeratePatterns(const Eigen::Ref<const Eigen::MatrixXd>& x) {
  CheckFinite(x);
  PatternSet set(static_cast<int>(x.rows()));
  set.method = PatternMethod::kExact;
  switch (x.cols()) {
    case 1:  // the two normals +1 and -1 see every half-line
      InsertUpperSets(x.col(0), set);
      InsertUpperSets(-x.col(0), set);
      break;
    case 2:
      Enumerate2D(x, set);
      break;
    case 3:
      Enumerate3D(x, set);
      break;
    default:
      throw Error("exact pattern enumeration is available for d <= 3 (got d = " +
                  std::to_string(x.cols()) + "); use sampled patterns");
  }
  return set;
}

std::int64_t GeneralPositionPatternCount(int n, int d) {
  std::int64_t total = 0, binomial = 1;  // C(n-1, i)
  for (int i = 0; i <= d && i <= n - 1; ++i) {
    total += binomial;
    binomial = binomial * (n - 1 - i) / (i + 1);
  }
  return 2 * total;
}

PatternSet SamplePatterns(const Eigen::Ref<const Eigen::MatrixXd>& x, int directions,
                          std::uint64_t seed) {
  CheckFinite(x);
  if (directions < 1) throw Error("sampled patterns need at least one direction");
  const int n = static_cast<int>(x.rows()), d = static_cast<int>(x.cols());
  const Eigen::RowVectorXd mean = x.colwise().mean();
  Eigen::RowVectorXd spread = ((x.rowwise() - mean).array().square().colwise().mean()).sqrt();
  for (int c = 0; c < d; ++c)
    if (!(spread[c] > 0)) spread[c] = 1.0;  // a constant coordinate: any scale will do
  const Eigen::MatrixXd standardised = (x.rowwise() - mean).array().rowwise() / spread.array();
  PatternSet set(n);
  set.method = PatternMethod::kSampled;
  set.seed = seed;
  set.sampled_directions = directions;
  std::mt19937_64 engine(seed);
  Eigen::VectorXd w(d);
  std::vector<std::uint64_t> bits(set.words()), negated(set.words());
  for (int s = 0; s < directions; ++s) {
    for (int c = 0; c < d; ++c) w[c] = StandardNormal(engine);
    const double b = StandardNormal(engine);
    const Eigen::VectorXd value = standardised * w;
    std::fill(bits.begin(), bits.end(), 0);
    std::fill(negated.begin(), negated.end(), 0);
    for (int i = 0; i < n; ++i) {
      if (value[i] + b >= 0) SetBit(bits, i);
      if (-value[i] - b >= 0) SetBit(negated, i);
    }
    set.Insert(bits.data());
    set.Insert(negated.data());
  }
  return set;
}

}  // namespace convexscore
