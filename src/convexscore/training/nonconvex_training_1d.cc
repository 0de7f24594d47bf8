#include "convexscore/training/nonconvex_training_1d.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "convexscore/io/numbers.h"
#include "convexscore/training/nonconvex_training_nd.h"

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

TrainingResult1D Train(const PointSet& data, const NonconvexTraining1DOptions& options,
                       const std::optional<Network1D>& start) {
  ValidateTrainingOptions(options, start.has_value());
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
  std::vector<double> batch_points, batch_targets;
  const BatchObjective objective = [&](const Eigen::VectorXd& theta,
                                       std::span<const std::size_t> batch,
                                       Eigen::VectorXd* gradient) {
    UnpackParameters(theta, options.skip, network);
    if (batch.empty()) return ObjectiveAndGradient(network, options.skip, data, options.beta, gradient);
    batch_points.clear();
    batch_targets.clear();
    for (std::size_t i : batch) {
      batch_points.push_back(data.points[i]);
      if (!data.targets.empty()) batch_targets.push_back(data.targets[i]);
    }
    return ObjectiveAndGradient(network, options.skip, {batch_points, batch_targets}, options.beta,
                                gradient);
  };
  Eigen::VectorXd theta = PackParameters(network, options.skip);
  result.summary = RunGradientTraining(theta, data.points.size(), objective, options);
  UnpackParameters(theta, options.skip, network);
  return result;
}

}  // namespace

// The multivariate initialisation in d = 1 draws the same numbers in the same order (fan-in 1
// for w and b, m for a and c0).
Network1D InitialNetwork1D(Activation activation, int width, std::uint64_t seed) {
  const NetworkND one = InitialNetworkND(activation, 1, width, false, seed);
  Network1D network;
  network.activation = activation;
  network.neurons.resize(static_cast<std::size_t>(width));
  for (int j = 0; j < width; ++j) {
    network.neurons[static_cast<std::size_t>(j)] = {one.w(j, 0), one.b[j], one.a(j, 0)};
  }
  network.output_bias = one.output_bias[0];
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
