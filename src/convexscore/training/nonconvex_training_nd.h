// Non-convex training of the multivariate two-layer score network f: R^d -> R^d
// (model/network_nd.h, a shared hidden layer) by gradient descent or Adam on the mean-form SM or
// DSM objective: the usual way of fitting the networks whose convex programs
// programs/score_matching_nd.h and the multivariate DSM programs solve, and the baseline the
// experiments compare them with. Gradients are derived by hand (docs/theory.md, "Non-convex
// training", the multivariate paragraph).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "convexscore/model/network_nd.h"
#include "convexscore/training/gradient_training.h"

namespace convexscore {

struct TrainingResultND {
  NetworkND network;  // after the last epoch (not the best one)
  TrainingSummary summary;
};

// PyTorch's default initialisation of nn.Linear(d, m) then nn.Linear(m, d), written out with the
// portable generator (data/portable_random.h, std::mt19937_64 seeded with `seed`): the rows w_j
// (row-major) and the biases b_j uniform on (-1/sqrt(d), 1/sqrt(d)), then the rows a_j and the
// output bias uniform on (-1/sqrt(m), 1/sqrt(m)), drawn in that order; no skip (a zero d x d
// skip matrix when `skip`). Throws Error when width < 1 or dimension < 1.
NetworkND InitialNetworkND(Activation activation, int dimension, int width, bool skip,
                           std::uint64_t seed);

// Trains on the SM objective over the rows of x (n x d; ScoreMatchingObjective with
// options.bias_decay). Starts from `start` when given (same activation and dimension; a skip
// matrix only when options.skip), else from InitialNetworkND(...). Throws Error naming the
// problem for the cases ValidateTrainingOptions lists, empty or non-finite data, a start network
// that does not fit, and "training diverged at epoch E" when the objective becomes NaN or
// infinite.
TrainingResultND TrainScoreMatchingND(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                      const NonconvexTrainingOptions& options,
                                      const std::optional<NetworkND>& start = std::nullopt);

// The same on the DSM objective over noisy inputs and targets (N x d each;
// DenoisingScoreMatchingObjective).
TrainingResultND TrainDenoisingScoreMatchingND(const Eigen::Ref<const Eigen::MatrixXd>& inputs,
                                               const Eigen::Ref<const Eigen::MatrixXd>& targets,
                                               const NonconvexTrainingOptions& options,
                                               const std::optional<NetworkND>& start = std::nullopt);

// One trained network per noise level, as `train` on d-D data (and Python's train) runs it.
struct TrainingLevelND {
  std::optional<double> sigma;  // unset for SM
  int copies = 0;               // DSM: noisy copies per point
  std::uint64_t noise_seed = 0;  // DSM: the seed this level's noise was drawn with
  TrainingResultND result;
};

// The start network of a level (given its sigma, unset for SM), or nullopt for the seeded
// initialisation.
using StartNetworkND = std::function<std::optional<NetworkND>(std::optional<double> sigma)>;

// SM on the rows of x (n x d) when `sigmas` is empty, else DSM at each sigma (each > 0): level l
// on MakeDenoisingDataND(x, sigma_l, copies, noise_seed + l), the noisy inputs `fit --objective
// dsm` with the same copies and noise seed sees. Throws Error for fewer than 2 points ("need at
// least 2 points"), copies < 1 with DSM, and as the trainers do.
std::vector<TrainingLevelND> TrainLevelsND(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                           std::span<const double> sigmas, int copies,
                                           std::uint64_t noise_seed,
                                           const NonconvexTrainingOptions& options,
                                           const StartNetworkND& start = nullptr);

// Checks a start network against the data and the width asked for: Error("NAME has dimension
// K but the data have D columns"), Error("NAME has M units but WIDTH_NAME is W") when `width`
// is given.
void CheckStartNetworkND(const NetworkND& start, int dimension, std::optional<int> width,
                         const std::string& name, const std::string& width_name);

// The parameters as one vector, in the order the gradients use: w (m x d, row by row), b (m),
// a (m x d, row by row), output bias (d), then the skip matrix (d x d, row by row) if `skip`.
Eigen::VectorXd PackParameters(const NetworkND& network, bool skip);
// The inverse for a network of the given dimension (resized to the width theta implies).
void UnpackParameters(const Eigen::VectorXd& theta, bool skip, int dimension, NetworkND& network);

// The objective on the rows of `points` (with `targets` for DSM; an empty targets matrix means
// SM) and its exact gradient in the packed order (kinks: relu'(0) = 1, abs'(0) = +1, the
// activation derivative locally constant). Returns the objective value.
double ObjectiveAndGradientND(const NetworkND& network, bool skip,
                              const Eigen::Ref<const Eigen::MatrixXd>& points,
                              const Eigen::Ref<const Eigen::MatrixXd>& targets, double beta,
                              BiasDecay bias_decay, Eigen::VectorXd* gradient);

}  // namespace convexscore
