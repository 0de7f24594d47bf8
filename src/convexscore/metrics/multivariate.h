// Distances between samples in d dimensions, points as rows (n x d, like data/csv.h reads
// them). Every function throws Error for an empty sample, a NaN or infinite value, or samples
// of different dimensions.
//
// Estimators:
//   MMD^2     unbiased U-statistic of Gretton et al. (2012) with the RBF kernel
//             k(a, b) = exp(-|a - b|^2 / (2 h^2)):
//             1/(n(n-1)) sum_{i != j} k(x_i, x_j) + 1/(m(m-1)) sum_{i != j} k(y_i, y_j)
//             - 2/(nm) sum_{i,j} k(x_i, y_j).
//             Unbiased, hence negative at times when the laws are equal; standard deviation
//             O(1/n) under equal laws, O(1/sqrt(n)) otherwise. The bandwidth h defaults to the
//             median heuristic: the median of |a - b| over the pairs of the pooled sample.
//             O((n+m)^2 d).
//   sliced W  SW_1 = E_theta W1(<theta, X>, <theta, Y>), theta uniform on the unit sphere,
//             estimated by the mean over L seeded random directions of the exact 1-D W1 of the
//             projected empirical laws (Monte-Carlo error O(1/sqrt(L)) on top of the sampling
//             error).
//   energy    V-statistic 2 E|X - Y| - E|X - X'| - E|Y - Y'| over the empirical laws (Euclidean
//             norms); >= 0, biased upwards by E|X - X'|/n + E|Y - Y'|/m. O((n+m)^2 d).
//   Fisher    E_P |s_model(X) - s_true(X)|^2 over the sample of P.
#pragma once

#include <cstdint>
#include <functional>

#include <Eigen/Dense>

namespace convexscore {

struct MmdOptions {
  double bandwidth = 0.0;        // h; <= 0 means the median heuristic
  int median_max_points = 1000;  // the median uses at most this many pooled points ...
  std::uint64_t seed = 1;        // ... chosen at random with this seed when there are more
};

struct MmdResult {
  double mmd2 = 0.0;
  double bandwidth = 0.0;  // the h used
};

// Needs at least 2 points in each sample.
MmdResult UnbiasedMmd2(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                       const MmdOptions& options = {});

// Median of |a - b| over the pairs {a, b} of two different points (indices) of the pooled
// sample: all pairs, or all pairs of a seeded random subset of max_points points. Throws Error
// when it is 0 (more than half the pairs coincide).
double MedianHeuristicBandwidth(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                                int max_points = 1000, std::uint64_t seed = 1);

// `count` unit vectors in R^d drawn uniformly from the sphere (normalised portable normals),
// one per row; the same seed gives the same directions everywhere.
Eigen::MatrixXd RandomDirections(int dimension, int count, std::uint64_t seed);

// Mean over the rows of `directions` of the exact 1-D W1 between the projected samples.
double SlicedWasserstein1(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                          const Eigen::MatrixXd& directions);
double SlicedWasserstein1(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, int projections,
                          std::uint64_t seed);

double EnergyDistance(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y);

using ScoreField = std::function<Eigen::VectorXd(const Eigen::VectorXd&)>;
double FisherDivergence(const Eigen::MatrixXd& x, const ScoreField& model,
                        const ScoreField& truth);

}  // namespace convexscore
