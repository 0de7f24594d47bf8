// The optimisation loop shared by the non-convex trainers (univariate and multivariate): gradient
// descent or Adam over a packed parameter vector, full batch or seeded minibatches, with the
// objective history and divergence detection. The network-specific part (pack, unpack, the
// objective and its gradient) is the caller's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "convexscore/common.h"
#include "convexscore/model/network_nd.h"

namespace convexscore {

enum class Optimizer { kGradientDescent, kAdam };

// "gd" / "adam"; throws Error for anything else.
Optimizer ParseOptimizer(std::string_view name);
std::string_view OptimizerName(Optimizer optimizer);

struct NonconvexTrainingOptions {
  Activation activation = Activation::kRelu;
  bool skip = false;      // train an unpenalized linear skip term V x as well
  int width = 50;         // hidden units m (ignored when a start network is given)
  double beta = 0.1;      // weight decay (beta/2) sum_j (||w_j||^2 + ||a_j||^2), mean form
  // Multivariate only: whether the decay also covers the first-layer biases (architecture (b)
  // of theory.md section 3 penalizes them; the univariate networks never do).
  BiasDecay bias_decay = BiasDecay::kFree;
  Optimizer optimizer = Optimizer::kAdam;
  double learning_rate = 1e-2;
  int epochs = 1000;      // passes over the data
  // Minibatch size; unset = full batch (one step per epoch). Each epoch visits the points in a
  // fresh random order (seeded by init_seed) in consecutive batches; the last may be smaller.
  std::optional<int> batch;
  std::uint64_t init_seed = 1;  // initial weights and minibatch order
  int history_every = 1;        // record the objective every k epochs (and at 0 and the end)
  // Adam's moment decay rates and denominator guard (Kingma and Ba's defaults).
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  // Called after every epoch with (epochs done, total); for progress displays.
  std::function<void(int, int)> progress;
};

struct TrainingSummary {
  double initial_objective = 0.0;  // full objective of the start network
  double final_objective = 0.0;    // full objective of the returned network
  double best_objective = 0.0;     // smallest full objective after any epoch (or at the start)
  int best_epoch = 0;
  int epochs_run = 0;
  std::int64_t steps = 0;          // parameter updates
  double seconds = 0.0;            // wall time of the training loop
  std::vector<std::pair<int, double>> history;  // (epoch, full objective)
};

// Throws Error naming the problem for width < 1 (unless a start network is given), learning
// rate <= 0 or not finite, epochs < 1, batch < 1, history_every < 1, beta < 0 or not finite, and
// Adam rates outside [0, 1) or epsilon <= 0.
void ValidateTrainingOptions(const NonconvexTrainingOptions& options, bool has_start);

// The objective on a batch of point indices (every point when `batch` is empty) at parameters
// theta: the mean of the point terms over the batch plus the full weight decay; its gradient is
// written to `gradient` when that is not null.
using BatchObjective = std::function<double(const Eigen::VectorXd& theta,
                                            std::span<const std::size_t> batch,
                                            Eigen::VectorXd* gradient)>;

// Runs options.epochs epochs from theta (updated in place) over `points` points. Throws
// Error("training diverged at epoch E: ...") when an objective becomes NaN or infinite.
TrainingSummary RunGradientTraining(Eigen::VectorXd& theta, std::size_t points,
                                    const BatchObjective& objective,
                                    const NonconvexTrainingOptions& options);

}  // namespace convexscore
