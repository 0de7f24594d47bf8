// Non-convex training of the univariate two-layer score network (model/network1d.h) by
// gradient descent or Adam on the mean-form SM or DSM objective: the usual way of fitting the
// networks whose exact optimum programs/score_matching_1d.h computes. Gradients are derived by
// hand (docs/theory.md, section "Non-convex training").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "convexscore/common.h"
#include "convexscore/data/denoising_data.h"
#include "convexscore/model/network1d.h"
#include "convexscore/training/gradient_training.h"

namespace convexscore {

// The univariate names of the shared training options and summary (gradient_training.h).
using NonconvexTraining1DOptions = NonconvexTrainingOptions;
using TrainingSummary1D = TrainingSummary;

struct TrainingResult1D {
  Network1D network;  // after the last epoch (not the best one)
  TrainingSummary1D summary;
};

// The seeded initialisation, PyTorch's default for nn.Linear written out with the portable
// generator of data/portable_random.h (std::mt19937_64 seeded with `seed`): w_j, b_j uniform on
// (-1, 1) (fan-in 1), then a_j uniform on (-1/sqrt(m), 1/sqrt(m)) (fan-in m), then the output
// bias on the same interval, drawn in that order; skip weight 0. Same seed, same network, with
// any standard library. Throws Error when width < 1.
Network1D InitialNetwork1D(Activation activation, int width, std::uint64_t seed);

// Trains on the SM objective over data x (ScoreMatchingObjective). Starts from `start` when
// given (its activation must match; with skip off its skip weight must be 0), else from
// InitialNetwork1D(options.activation, options.width, options.init_seed). Throws Error naming
// the problem for width < 1, learning rate <= 0 or not finite, epochs < 1, batch < 1,
// history_every < 1, beta < 0 or not finite, empty or non-finite data, and, when the objective
// becomes NaN or infinite, "training diverged at epoch E".
TrainingResult1D TrainScoreMatching1D(std::span<const double> x,
                                      const NonconvexTraining1DOptions& options,
                                      const std::optional<Network1D>& start = std::nullopt);

// The same on the DSM objective over noisy inputs and targets (DenoisingScoreMatchingObjective).
TrainingResult1D TrainDenoisingScoreMatching1D(const DenoisingData1D& data,
                                               const NonconvexTraining1DOptions& options,
                                               const std::optional<Network1D>& start = std::nullopt);

// The parameters as one vector, in the order the gradients use:
// w_1..w_m, b_1..b_m, a_1..a_m, output bias, then the skip weight if `skip`.
Eigen::VectorXd PackParameters(const Network1D& network, bool skip);
// The inverse: writes `theta` into `network`'s neurons (resized to the width theta implies).
void UnpackParameters(const Eigen::VectorXd& theta, bool skip, Network1D& network);

// The objectives with their exact gradients in the packed order (kinks: relu'(0) = 1,
// abs'(0) = +1, and the activation derivative is treated as locally constant, which is exact
// away from kinks). `points` may be a subset of the data (a minibatch); the weight decay is
// always added in full. Both return the objective value.
double ScoreMatchingObjectiveAndGradient(const Network1D& network, bool skip,
                                         std::span<const double> points, double beta,
                                         Eigen::VectorXd& gradient);
double DenoisingObjectiveAndGradient(const Network1D& network, bool skip,
                                     std::span<const double> inputs,
                                     std::span<const double> targets, double beta,
                                     Eigen::VectorXd& gradient);

}  // namespace convexscore
