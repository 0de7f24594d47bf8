// LU factorisation with partial pivoting of a square banded matrix (the structure LAPACK's
// gbtrf handles; LAPACK is not a dependency here). Used for the banded embeddings of the
// Newton and equality systems: O(n kl (kl + ku)) time and O(n (2 kl + ku)) memory.
#pragma once

#include <Eigen/Dense>
#include <vector>

namespace convexscore {

class BandedLU {
 public:
  // A zero n x n matrix with kl sub- and ku super-diagonals.
  void Reset(int n, int kl, int ku);
  // Adds v to entry (i, j); |j - i| must lie within the band.
  void Add(int i, int j, double v) { ab_[Index(i, j)] += v; }
  // Equilibrates symmetrically (rows and columns scaled by 1/sqrt of the row's largest entry,
  // which keeps a symmetric matrix symmetric; entries of the Newton systems span many orders of
  // magnitude near the optimum), then factorizes. False if a zero pivot is met.
  bool Factorize();
  // Solves A x = b in place.
  void Solve(Eigen::VectorXd& b) const;
  int size() const { return n_; }

 private:
  size_t Index(int i, int j) const { return static_cast<size_t>(i) * width_ + (j - i + kl_); }
  int n_ = 0, kl_ = 0, ku_ = 0, width_ = 0;
  std::vector<double> ab_;          // row i holds columns i - kl .. i + kl + ku (fill included)
  std::vector<double> multipliers_;  // kl per column
  std::vector<int> pivots_;
  std::vector<double> scale_;        // the equilibration
  std::vector<double> inverse_pivots_;  // 1 / U(k, k)
};

}  // namespace convexscore
