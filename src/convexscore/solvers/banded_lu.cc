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

bool BandedLU::Factorize() {
  const int reach = kl_ + ku_;  // columns a pivot row can touch after exchanges
  scale_.assign(n_, 1.0);
  for (int i = 0; i < n_; ++i) {
    double largest = 0.0;
    for (int j = std::max(0, i - kl_); j <= std::min(n_ - 1, i + ku_); ++j) {
      largest = std::max(largest, std::abs(ab_[Index(i, j)]));
    }
    if (largest > 0.0 && std::isfinite(largest)) scale_[i] = 1.0 / std::sqrt(largest);
  }
  for (int i = 0; i < n_; ++i) {
    for (int j = std::max(0, i - kl_); j <= std::min(n_ - 1, i + ku_); ++j) {
      ab_[Index(i, j)] *= scale_[i] * scale_[j];
    }
  }
  for (int k = 0; k < n_; ++k) {
    const int last = std::min(n_ - 1, k + kl_);
    int p = k;
    double best = std::abs(ab_[Index(k, k)]);
    for (int i = k + 1; i <= last; ++i) {
      const double v = std::abs(ab_[Index(i, k)]);
      if (v > best) { best = v; p = i; }
    }
    if (best == 0.0 || !std::isfinite(best)) return false;
    pivots_[k] = p;
    const int right = std::min(n_ - 1, k + reach);
    if (p != k) {
      for (int j = k; j <= right; ++j) std::swap(ab_[Index(k, j)], ab_[Index(p, j)]);
    }
    const double pivot = ab_[Index(k, k)];
    for (int i = k + 1; i <= last; ++i) {
      const double l = ab_[Index(i, k)] / pivot;
      multipliers_[static_cast<size_t>(k) * kl_ + (i - k - 1)] = l;
      if (l == 0.0) continue;
      const double* row_k = &ab_[Index(k, k)];
      double* row_i = &ab_[Index(i, k)];
      for (int j = 1; j <= right - k; ++j) row_i[j] -= l * row_k[j];
    }
  }
  return true;
}

void BandedLU::Solve(Eigen::VectorXd& b) const {
  for (int k = 0; k < n_; ++k) b[k] *= scale_[k];
  for (int k = 0; k < n_; ++k) {
    if (pivots_[k] != k) std::swap(b[k], b[pivots_[k]]);
    const int last = std::min(n_ - 1, k + kl_);
    for (int i = k + 1; i <= last; ++i) b[i] -= multipliers_[static_cast<size_t>(k) * kl_ + (i - k - 1)] * b[k];
  }
  const int reach = kl_ + ku_;
  for (int k = n_ - 1; k >= 0; --k) {
    const int right = std::min(n_ - 1, k + reach);
    double s = b[k];
    const double* row = &ab_[Index(k, k)];
    for (int j = 1; j <= right - k; ++j) s -= row[j] * b[k + j];
    b[k] = s / row[0];
  }
  for (int k = 0; k < n_; ++k) b[k] *= scale_[k];
}

}  // namespace convexscore
