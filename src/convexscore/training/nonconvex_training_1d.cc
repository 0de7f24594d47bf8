#include "convexscore/training/nonconvex_training_1d.h"

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

// The point terms of both objectives have the form h f'(x) + loss(f(x)) with residual
// g = dloss/df: SM has h = 1, loss = f^2/2, g = f; DSM has h = 0, loss = (f - y)^2/2,
// g = f - y. `targets` is empty for SM.
struct PointSet {
  std::span<const double> points;
  std::span<const double> targets;
};

// Value of the objective on `set` (mean over its points plus the full weight decay) and, when
// `gradient` is not null, its exact gradient in the packed order. Two passes over points x
// units: the forward pass builds f at every point, the second sums the per-unit terms.
double ObjectiveAndGradient(const Network1D& network, bool skip, const PointSet& set, double beta,
                            Eigen::VectorXd* gradient) {
  const std::span<const double> x = set.points;
  const bool sm = set.targets.empty();
  const bool relu = network.activation == Activation::kRelu;
  const std::size_t n = x.size();
  const std::size_t m = network.neurons.size();
  const double inv_n = 1.0 / static_cast<double>(n);

  std::vector<double> f(n);
  for (std::size_t i = 0; i < n; ++i) f[i] = network.output_bias + network.skip * x[i];
  double decay = 0.0;
  for (const Neuron1D& u : network.neurons) {
    decay += u.w * u.w + u.a * u.a;
    // z is formed exactly as Network1D::Score forms it, so a kink placed on a data point gives
    // z = 0 there in both, and both apply the same convention.
    for (std::size_t i = 0; i < n; ++i) {
      const double z = u.w * x[i] + u.b;
      f[i] += u.a * (relu ? (z > 0.0 ? z : 0.0) : std::abs(z));
    }
  }

  // g_i overwrites f_i; the loss needs f first.
  double loss = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double r = sm ? f[i] : f[i] - set.targets[i];
    loss += 0.5 * r * r;
    f[i] = r;
  }
  const std::vector<double>& g = f;

  // Trace term of SM: (1/n) sum_i f'(x_i) = V + (1/n) sum_j a_j w_j sum_i act'(z_ij).
  double trace = sm ? static_cast<double>(n) * network.skip : 0.0;
  if (gradient != nullptr) gradient->resize(3 * m + 1 + (skip ? 1 : 0));
  for (std::size_t j = 0; j < m; ++j) {
    const Neuron1D& u = network.neurons[j];
    double sum_d = 0.0;     // sum_i act'(z_ij): the trace term's count
    double sum_gs = 0.0;    // sum_i g_i act(z_ij)
    double sum_gd = 0.0;    // sum_i g_i act'(z_ij)
    double sum_gdx = 0.0;   // sum_i g_i act'(z_ij) x_i
    for (std::size_t i = 0; i < n; ++i) {
      const double z = u.w * x[i] + u.b;
      // relu'(0) = 1 and abs'(0) = +1 (network1d.h).
      const double d = z >= 0.0 ? 1.0 : (relu ? 0.0 : -1.0);
      sum_d += d;
      sum_gs += g[i] * d * z;  // act(z) = act'(z) z for both activations
      sum_gd += g[i] * d;
      sum_gdx += g[i] * d * x[i];
    }
    if (sm) trace += u.a * u.w * sum_d;
    if (gradient == nullptr) continue;
    const double h = sm ? 1.0 : 0.0;
    // d/dw_j: the data term through z (dz/dw = x); the trace term a_j w_j act'(z) is linear in
    // w_j because act' is locally constant. d/db_j: only the data term; the trace term's act'
    // does not change with b except at the kink (see docs/theory.md).
    (*gradient)[j] = inv_n * u.a * (sum_gdx + h * sum_d) + beta * u.w;
    (*gradient)[m + j] = inv_n * u.a * sum_gd;
    (*gradient)[2 * m + j] = inv_n * (sum_gs + h * u.w * sum_d) + beta * u.a;
  }
  if (gradient != nullptr) {
    double sum_g = 0.0, sum_gx = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      sum_g += g[i];
      sum_gx += g[i] * x[i];
    }
    (*gradient)[3 * m] = inv_n * sum_g;
    if (skip) (*gradient)[3 * m + 1] = inv_n * (sum_gx + (sm ? static_cast<double>(n) : 0.0));
  }
  return inv_n * (loss + trace) + 0.5 * beta * decay;
}

void CheckFinite(std::span<const double> values, const std::string& what) {
  if (values.empty()) throw Error("training: no " + what);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw Error("training: " + what + " " + std::to_string(i) + " is not finite");
    }
  }
}

void ValidateOptions(const NonconvexTraining1DOptions& options, bool has_start) {
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

// One optimiser's state over the packed parameters.
class Stepper {
 public:
  Stepper(const NonconvexTraining1DOptions& options, Eigen::Index size)
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
  const NonconvexTraining1DOptions& options_;
  Eigen::VectorXd first_, second_;
  std::int64_t steps_ = 0;
};

[[noreturn]] void Diverged(int epoch, double objective) {
  throw Error("training diverged at epoch " + std::to_string(epoch) + ": the objective is " +
              (std::isnan(objective) ? std::string("NaN") : FormatDouble(objective)) +
              " (try a smaller learning rate)");
}

TrainingResult1D Train(const PointSet& data, const NonconvexTraining1DOptions& options,
                       const std::optional<Network1D>& start) {
  ValidateOptions(options, start.has_value());
  TrainingResult1D result;
  if (start) {
    if (start->activation != options.activation) {
      throw Error("training: the start network's activation is not the requested one");
    }
    if (!options.skip && start->skip != 0.0) {
      throw Error("training: the start network has a skip weight but skip is off");
    }
    if (start->neurons.empty()) throw Error("training: the start network has no units");
    result.network = *start;
  } else {
    result.network = InitialNetwork1D(options.activation, options.width, options.init_seed);
  }
  Network1D& network = result.network;
  TrainingSummary1D& summary = result.summary;
  const auto started = std::chrono::steady_clock::now();

  Eigen::VectorXd theta = PackParameters(network, options.skip);
  Eigen::VectorXd gradient;
  double objective = ObjectiveAndGradient(network, options.skip, data, options.beta, &gradient);
  if (!std::isfinite(objective)) Diverged(0, objective);
  summary.initial_objective = summary.best_objective = objective;
  summary.history.emplace_back(0, objective);

  const std::size_t n = data.points.size();
  const bool full_batch = !options.batch || static_cast<std::size_t>(*options.batch) >= n;
  // The minibatch order has its own generator so that it does not shift the initialisation's
  // stream; the offset (the golden-ratio constant) only separates the two seeds.
  std::mt19937_64 order_engine(options.init_seed + 0x9E3779B97F4A7C15ULL);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<double> batch_points, batch_targets;
  Stepper stepper(options, theta.size());

  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    if (full_batch) {
      stepper.Step(gradient, theta);
      UnpackParameters(theta, options.skip, network);
      objective = ObjectiveAndGradient(network, options.skip, data, options.beta, &gradient);
    } else {
      // Fisher-Yates with the portable uniform (std::shuffle differs between libraries).
      for (std::size_t i = n - 1; i > 0; --i) {
        const auto k = static_cast<std::size_t>(OpenUniform(order_engine) * static_cast<double>(i + 1));
        std::swap(order[i], order[std::min(k, i)]);
      }
      const std::size_t size = static_cast<std::size_t>(*options.batch);
      for (std::size_t first = 0; first < n; first += size) {
        const std::size_t last = std::min(first + size, n);
        batch_points.clear();
        batch_targets.clear();
        for (std::size_t k = first; k < last; ++k) {
          batch_points.push_back(data.points[order[k]]);
          if (!data.targets.empty()) batch_targets.push_back(data.targets[order[k]]);
        }
        const double batch_objective = ObjectiveAndGradient(
            network, options.skip, {batch_points, batch_targets}, options.beta, &gradient);
        if (!std::isfinite(batch_objective)) Diverged(epoch, batch_objective);
        stepper.Step(gradient, theta);
        UnpackParameters(theta, options.skip, network);
      }
      objective = ObjectiveAndGradient(network, options.skip, data, options.beta, nullptr);
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
  return result;
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

Network1D InitialNetwork1D(Activation activation, int width, std::uint64_t seed) {
  if (width < 1) {
    throw Error("training: width must be at least 1 (got " + std::to_string(width) + ")");
  }
  std::mt19937_64 engine(seed);
  const auto uniform = [&engine](double half_width) {
    return half_width * (2.0 * OpenUniform(engine) - 1.0);
  };
  Network1D network;
  network.activation = activation;
  network.neurons.resize(static_cast<std::size_t>(width));
  for (Neuron1D& u : network.neurons) u.w = uniform(1.0);
  for (Neuron1D& u : network.neurons) u.b = uniform(1.0);
  const double output_scale = 1.0 / std::sqrt(static_cast<double>(width));
  for (Neuron1D& u : network.neurons) u.a = uniform(output_scale);
  network.output_bias = uniform(output_scale);
  return network;
}

Eigen::VectorXd PackParameters(const Network1D& network, bool skip) {
  const Eigen::Index m = static_cast<Eigen::Index>(network.neurons.size());
  Eigen::VectorXd theta(3 * m + 1 + (skip ? 1 : 0));
  for (Eigen::Index j = 0; j < m; ++j) {
    const Neuron1D& u = network.neurons[static_cast<std::size_t>(j)];
    theta[j] = u.w;
    theta[m + j] = u.b;
    theta[2 * m + j] = u.a;
  }
  theta[3 * m] = network.output_bias;
  if (skip) theta[3 * m + 1] = network.skip;
  return theta;
}

void UnpackParameters(const Eigen::VectorXd& theta, bool skip, Network1D& network) {
  const Eigen::Index m = (theta.size() - 1 - (skip ? 1 : 0)) / 3;
  network.neurons.resize(static_cast<std::size_t>(m));
  for (Eigen::Index j = 0; j < m; ++j) {
    Neuron1D& u = network.neurons[static_cast<std::size_t>(j)];
    u.w = theta[j];
    u.b = theta[m + j];
    u.a = theta[2 * m + j];
  }
  network.output_bias = theta[3 * m];
  if (skip) network.skip = theta[3 * m + 1];
}

double ScoreMatchingObjectiveAndGradient(const Network1D& network, bool skip,
                                         std::span<const double> points, double beta,
                                         Eigen::VectorXd& gradient) {
  return ObjectiveAndGradient(network, skip, {points, {}}, beta, &gradient);
}

double DenoisingObjectiveAndGradient(const Network1D& network, bool skip,
                                     std::span<const double> inputs,
                                     std::span<const double> targets, double beta,
                                     Eigen::VectorXd& gradient) {
  if (inputs.size() != targets.size() || inputs.empty()) {
    throw Error("denoising objective: " + std::to_string(inputs.size()) + " inputs but " +
                std::to_string(targets.size()) + " targets");
  }
  return ObjectiveAndGradient(network, skip, {inputs, targets}, beta, &gradient);
}

TrainingResult1D TrainScoreMatching1D(std::span<const double> x,
                                      const NonconvexTraining1DOptions& options,
                                      const std::optional<Network1D>& start) {
  CheckFinite(x, "data point");
  return Train({x, {}}, options, start);
}

TrainingResult1D TrainDenoisingScoreMatching1D(const DenoisingData1D& data,
                                               const NonconvexTraining1DOptions& options,
                                               const std::optional<Network1D>& start) {
  CheckFinite(data.inputs, "noisy input");
  CheckFinite(data.targets, "target");
  if (data.inputs.size() != data.targets.size()) {
    throw Error("training: " + std::to_string(data.inputs.size()) + " noisy inputs but " +
                std::to_string(data.targets.size()) + " targets");
  }
  return Train({data.inputs, data.targets}, options, start);
}

}  // namespace convexscore
