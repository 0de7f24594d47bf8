#include "convexscore/solvers/banded_lu.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace convexscore {

void BandedLU::Reset(int n, int kl, int ku) {
  n_ = n;
  kl_ = kl;
  ku_ = ku;
  width_ = 2 * kl + ku + 1;  // room for the fill that row exchanges create
  ab_.assign(static_cast<size_t>(n) * width_, 0.0);
  multipliers_.assign(static_cast<size_t>(n) * std::max(kl, 1), 0.0);
  pivots_.assign(n, 0);
}

// Pointer arithmetic instead of Index(): the kernels below run over every unknown of the Newton
// systems several times per interior-point iteration.
bool BandedLU::Factorize() {
  const int reach = kl_ + ku_;  // columns a pivot row can touch after exchanges
  const size_t w = static_cast<size_t>(width_);
  double* ab = ab_.data();
  scale_.assign(n_, 1.0);
  inverse_pivots_.resize(n_);
  for (int i = 0; i < n_; ++i) {
    const int lo = std::max(0, i - kl_), hi = std::min(n_ - 1, i + ku_);
    const double* row = ab + i * w + (lo - i + kl_);
    double largest = 0.0;
    for (int j = 0; j <= hi - lo; ++j) largest = std::max(largest, std::abs(row[j]));
    if (largest > 0.0 && std::isfinite(largest)) scale_[i] = 1.0 / std::sqrt(largest);
  }
  const double* sc = scale_.data();
  for (int i = 0; i < n_; ++i) {
    const int lo = std::max(0, i - kl_), hi = std::min(n_ - 1, i + ku_);
    double* row = ab + i * w + (lo - i + kl_);
    const double si = sc[i];
    for (int j = 0; j <= hi - lo; ++j) row[j] *= si * sc[lo + j];
  }
  // Entry (i, k) of row i sits at ab + i * w + (k - i + kl).
  auto at = [&](int i, int k) { return ab + i * w + (k - i + kl_); };
  for (int k = 0; k < n_; ++k) {
    const int last = std::min(n_ - 1, k + kl_);
    int p = k;
    double best = std::abs(*at(k, k));
    for (int i = k + 1; i <= last; ++i) {
      const double v = std::abs(*at(i, k));
      if (v > best) { best = v; p = i; }
    }
    if (best == 0.0 || !std::isfinite(best)) return false;
    pivots_[k] = p;
    const int count = std::min(n_ - 1, k + reach) - k;  // entries right of the diagonal
    double* row_k = at(k, k);
    if (p != k) std::swap_ranges(row_k, row_k + count + 1, at(p, k));
    const double inverse = 1.0 / row_k[0];
    inverse_pivots_[k] = inverse;
    double* mult = &multipliers_[static_cast<size_t>(k) * kl_];
    for (int i = k + 1; i <= last; ++i) {
      double* row_i = at(i, k);
      const double l = row_i[0] * inverse;
      mult[i - k - 1] = l;
      if (l == 0.0) continue;
      for (int j = 1; j <= count; ++j) row_i[j] -= l * row_k[j];
    }
  }
  return true;
}

void BandedLU::Solve(Eigen::VectorXd& b) const {
  double* x = b.data();
  const double* sc = scale_.data();
  const double* ab = ab_.data();
  const size_t w = static_cast<size_t>(width_);
  for (int k = 0; k < n_; ++k) x[k] *= sc[k];
  for (int k = 0; k < n_; ++k) {
    const int p = pivots_[k];
    if (p != k) std::swap(x[k], x[p]);
    const double xk = x[k];
    if (xk == 0.0) continue;
    const double* mult = &multipliers_[static_cast<size_t>(k) * kl_];
    const int count = std::min(n_ - 1, k + kl_) - k;
    for (int i = 0; i < count; ++i) x[k + 1 + i] -= mult[i] * xk;
  }
  const int reach = kl_ + ku_;
  for (int k = n_ - 1; k >= 0; --k) {
    const int count = std::min(n_ - 1, k + reach) - k;
    const double* row = ab + k * w + kl_;
    // The terms beyond the next unknown first, in two independent sums, so that the chain from
    // one unknown to the next is a single multiply-add.
    double s0 = 0.0, s1 = 0.0;
    int j = 2;
    for (; j + 1 <= count; j += 2) {
      s0 += row[j] * x[k + j];
      s1 += row[j + 1] * x[k + j + 1];
    }
    if (j <= count) s0 += row[j] * x[k + j];
    double s = x[k] - (s0 + s1);
    if (count >= 1) s -= row[1] * x[k + 1];
    x[k] = s * inverse_pivots_[k];
  }
  for (int k = 0; k < n_; ++k) x[k] *= sc[k];
}

}  // namespace convexscore
