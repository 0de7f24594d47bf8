#include "convexscore/training/gradient_training.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <string>

#include "convexscore/data/portable_random.h"
#include "convexscore/io/numbers.h"

namespace convexscore {
namespace {

// One optimiser's state over the packed parameters.
class Stepper {
 public:
  Stepper(const NonconvexTrainingOptions& options, Eigen::Index size)
      : options_(options), first_(Eigen::VectorXd::Zero(size)), second_(first_) {}

  void Step(const Eigen::VectorXd& gradient, Eigen::VectorXd& theta) {
    ++steps_;
    if (options_.optimizer == Optimizer::kGradientDescent) {
      theta -= options_.learning_rate * gradient;
      return;
    }
    const double b1 = options_.adam_beta1, b2 = options_.adam_beta2;
    first_ = b1 * first_ + (1.0 - b1) * gradient;
    second_ = b2 * second_ + (1.0 - b2) * gradient.cwiseAbs2();
    // Bias-corrected moments, in the arrangement PyTorch uses (same value, same rounding
    // pattern for the peer check).
    const double step = options_.learning_rate / (1.0 - std::pow(b1, static_cast<double>(steps_)));
    const double root_correction = std::sqrt(1.0 - std::pow(b2, static_cast<double>(steps_)));
    theta.array() -= step * first_.array() /
                     (second_.array().sqrt() / root_correction + options_.adam_epsilon);
  }
  std::int64_t steps() const { return steps_; }

 private:
  const NonconvexTrainingOptions& options_;
  Eigen::VectorXd first_, second_;
  std::int64_t steps_ = 0;
};

[[noreturn]] void Diverged(int epoch, double objective) {
  throw Error("training diverged at epoch " + std::to_string(epoch) + ": the objective is " +
              (std::isnan(objective) ? std::string("NaN") : FormatDouble(objective)) +
              " (try a smaller learning rate)");
}

}  // namespace

Optimizer ParseOptimizer(std::string_view name) {
  if (name == "gd") return Optimizer::kGradientDescent;
  if (name == "adam") return Optimizer::kAdam;
  throw Error("unknown optimizer '" + std::string(name) + "' (expected adam or gd)");
}

std::string_view OptimizerName(Optimizer optimizer) {
  return optimizer == Optimizer::kAdam ? "adam" : "gd";
}

void ValidateTrainingOptions(const NonconvexTrainingOptions& options, bool has_start) {
  if (!has_start && options.width < 1) {
    throw Error("training: width must be at least 1 (got " + std::to_string(options.width) + ")");
  }
  if (!(options.learning_rate > 0.0) || !std::isfinite(options.learning_rate)) {
    throw Error("training: learning rate must be positive and finite (got " +
                FormatDouble(options.learning_rate) + ")");
  }
  if (options.epochs < 1) {
    throw Error("training: epochs must be at least 1 (got " + std::to_string(options.epochs) + ")");
  }
  if (options.batch && *options.batch < 1) {
    throw Error("training: batch size must be at least 1 (got " + std::to_string(*options.batch) +
                ")");
  }
  if (options.history_every < 1) {
    throw Error("training: history interval must be at least 1 (got " +
                std::to_string(options.history_every) + ")");
  }
  if (!(options.beta >= 0.0) || !std::isfinite(options.beta)) {
    throw Error("training: beta must be non-negative and finite (got " +
                FormatDouble(options.beta) + ")");
  }
  if (options.optimizer == Optimizer::kAdam &&
      !(options.adam_beta1 >= 0.0 && options.adam_beta1 < 1.0 && options.adam_beta2 >= 0.0 &&
        options.adam_beta2 < 1.0 && options.adam_epsilon > 0.0)) {
    throw Error("training: Adam needs 0 <= beta1, beta2 < 1 and epsilon > 0");
  }
}

TrainingSummary RunGradientTraining(Eigen::VectorXd& theta, std::size_t points,
                                    const BatchObjective& objective_of,
                                    const NonconvexTrainingOptions& options) {
  TrainingSummary summary;
  const auto started = std::chrono::steady_clock::now();
  Eigen::VectorXd gradient;
  double objective = objective_of(theta, {}, &gradient);
  if (!std::isfinite(objective)) Diverged(0, objective);
  summary.initial_objective = summary.best_objective = objective;
  summary.history.emplace_back(0, objective);

  const std::size_t n = points;
  const bool full_batch = !options.batch || static_cast<std::size_t>(*options.batch) >= n;
  // The minibatch order has its own generator so that it does not shift the initialisation's
  // stream; the offset (the golden-ratio constant) only separates the two seeds.
  std::mt19937_64 order_engine(options.init_seed + 0x9E3779B97F4A7C15ULL);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  Stepper stepper(options, theta.size());

  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    if (full_batch) {
      stepper.Step(gradient, theta);
      objective = objective_of(theta, {}, &gradient);
    } else {
      // Fisher-Yates with the portable uniform (std::shuffle differs between libraries).
      for (std::size_t i = n - 1; i > 0; --i) {
        const auto k = static_cast<std::size_t>(OpenUniform(order_engine) * static_cast<double>(i + 1));
        std::swap(order[i], order[std::min(k, i)]);
      }
      const std::size_t size = static_cast<std::size_t>(*options.batch);
      for (std::size_t first = 0; first < n; first += size) {
        const std::size_t last = std::min(first + size, n);
        const double batch_objective =
            objective_of(theta, std::span<const std::size_t>(order).subspan(first, last - first),
                         &gradient);
        if (!std::isfinite(batch_objective)) Diverged(epoch, batch_objective);
        stepper.Step(gradient, theta);
      }
      objective = objective_of(theta, {}, nullptr);
    }
    if (!std::isfinite(objective)) Diverged(epoch, objective);
    if (objective < summary.best_objective) {
      summary.best_objective = objective;
      summary.best_epoch = epoch;
    }
    if (epoch % options.history_every == 0 || epoch == options.epochs) {
      summary.history.emplace_back(epoch, objective);
    }
    summary.epochs_run = epoch;
    if (options.progress) options.progress(epoch, options.epochs);
  }
  summary.final_objective = objective;
  summary.steps = stepper.steps();
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace convexscore
