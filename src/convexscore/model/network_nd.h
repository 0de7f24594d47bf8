// A multivariate two-layer score network f: R^d -> R^d (theory.md sections 1 and 3):
//   f(x) = sum_j a_j act(w_j . x + b_j) + output_bias + V x,
// with w_j, a_j in R^d and an optional d x d skip matrix V. The kink conventions are those of
// network1d.h: relu'(0) = 1 and abs'(0) = +1.
//
// Architecture (a) of theory.md section 3 (one scalar-output network per score coordinate) is
// the special case whose a_j each have one nonzero entry: AssemblePerCoordinate builds it.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include <Eigen/Dense>

#include "convexscore/common.h"
#include "convexscore/model/network1d.h"

namespace convexscore {

// Row-major, so that neuron j's weights are contiguous (one neuron per row).
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct NetworkND {
  Activation activation = Activation::kRelu;
  RowMatrixXd w;                // m x d: row j is w_j
  Eigen::VectorXd b;            // m: first-layer biases
  RowMatrixXd a;                // m x d: row j is a_j
  Eigen::VectorXd output_bias;  // d
  std::optional<Eigen::MatrixXd> skip;  // d x d skip matrix V, or none

  // A network of dimension d with no neurons, zero output bias and no skip.
  static NetworkND Zero(Activation activation, int dimension);

  int dimension() const { return static_cast<int>(output_bias.size()); }
  int neurons() const { return static_cast<int>(b.size()); }

  // Throws Error("invalid network: ...") unless the shapes agree (w and a m x d, b m, skip
  // d x d), d >= 1, and every number is finite.
  void Validate() const;

  // The score at x (size d). Score(x, out) writes into `out` (size d) without allocating; both
  // compute the same numbers in the same order (the samplers use the second).
  Eigen::VectorXd Score(const Eigen::Ref<const Eigen::VectorXd>& x) const;
  void Score(const double* x, double* out) const;
  // The batch form: one row of the result per row of `points` (n x d).
  Eigen::MatrixXd ScoreRows(const Eigen::Ref<const Eigen::MatrixXd>& points) const;

  // tr(Jacobian of f at x) = sum_j act'(w_j . x + b_j) (a_j . w_j) + tr(V).
  double Divergence(const Eigen::Ref<const Eigen::VectorXd>& x) const;

  // sum_j (||w_j||^2 + ||a_j||^2), plus b_j^2 when the biases are penalized.
  double WeightDecaySum(bool penalize_biases) const;
};

// Whether weight decay covers the first-layer biases: architecture (a) leaves them free,
// architecture (b) penalizes them (theory.md section 3).
enum class BiasDecay { kFree, kPenalized };

// Mean-form score-matching objective on the data (rows of x, n x d):
// (1/n) sum_i [div f(x_i) + ||f(x_i)||^2 / 2] + (beta/2) WeightDecaySum.
double ScoreMatchingObjective(const NetworkND& network, const Eigen::Ref<const Eigen::MatrixXd>& x,
                              double beta, BiasDecay bias_decay = BiasDecay::kFree);

// Mean-form DSM objective (theory.md section 1) on noisy inputs and targets -z / sigma
// (data/denoising_data.h, DenoisingDataND), both N x d:
// (1/N) sum_i ||f(x~_i) - t_i||^2 / 2 + (beta/2) WeightDecaySum. Throws Error on shape mismatch.
double DenoisingScoreMatchingObjective(const NetworkND& network,
                                       const Eigen::Ref<const Eigen::MatrixXd>& inputs,
                                       const Eigen::Ref<const Eigen::MatrixXd>& targets,
                                       double beta, BiasDecay bias_decay = BiasDecay::kFree);

// One scalar-output network g: R^d -> R, g(x) = sum_j a_j act(w_j . x + b_j) + output_bias
// + skip . x: what architecture (a) fits for one score coordinate.
struct ScalarNetworkND {
  Activation activation = Activation::kRelu;
  RowMatrixXd w;         // m x d
  Eigen::VectorXd b;     // m
  Eigen::VectorXd a;     // m
  double output_bias = 0.0;
  std::optional<Eigen::VectorXd> skip;  // d, or none

  double Score(const Eigen::Ref<const Eigen::VectorXd>& x) const;
};

// f with coordinate c given by coordinates[c]: the neurons of all of them stacked, neuron j of
// coordinate c getting a_j = coordinates[c].a(j) e_c. The skip matrix has row c from
// coordinates[c] (zero where a coordinate has none); there is none if no coordinate has one.
// Throws Error unless there is at least one coordinate, every one has d = coordinates.size()
// inputs, consistent shapes, and the same activation.
NetworkND AssemblePerCoordinate(std::span<const ScalarNetworkND> coordinates);

// The univariate network as a NetworkND of dimension 1 (skip 1 x 1 when nonzero).
NetworkND ToNetworkND(const Network1D& network);

}  // namespace convexscore
