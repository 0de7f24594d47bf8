#include "convexscore/training/nonconvex_training_nd.h"

#include <cmath>
#include <random>
#include <string>

#include "convexscore/data/denoising_data.h"
#include "convexscore/data/portable_random.h"

namespace convexscore {
namespace {

std::string Shape(Eigen::Index rows, Eigen::Index cols) {
  return std::to_string(rows) + " x " + std::to_string(cols);
}

void CheckData(const Eigen::Ref<const Eigen::MatrixXd>& values, const std::string& what) {
  if (values.rows() == 0 || values.cols() == 0) throw Error("training: no " + what + "s");
  for (Eigen::Index i = 0; i < values.rows(); ++i) {
    if (!values.row(i).allFinite()) {
      throw Error("training: " + what + " " + std::to_string(i) + " is not finite");
    }
  }
}

NetworkND StartNetwork(const NonconvexTrainingOptions& options, int dimension,
                       const std::optional<NetworkND>& start) {
  ValidateTrainingOptions(options, start.has_value());
  if (!start) {
    return InitialNetworkND(options.activation, dimension, options.width, options.skip,
                            options.init_seed);
  }
  start->Validate();
  if (start->activation != options.activation) {
    throw Error("training: the start network's activation is not the requested one");
  }
  if (start->dimension() != dimension) {
    throw Error("training: the start network has dimension " +
                std::to_string(start->dimension()) + " but the data has " +
                std::to_string(dimension) + " columns");
  }
  if (start->neurons() == 0) throw Error("training: the start network has no units");
  NetworkND network = *start;
  if (!options.skip && network.skip) throw Error("training: the start network has a skip matrix but skip is off");
  if (options.skip && !network.skip) network.skip = Eigen::MatrixXd::Zero(dimension, dimension);
  return network;
}

// Trains on the rows of `points` (and `targets` for DSM; empty for SM).
TrainingResultND Train(const Eigen::Ref<const Eigen::MatrixXd>& points,
                       const Eigen::Ref<const Eigen::MatrixXd>& targets,
                       const NonconvexTrainingOptions& options,
                       const std::optional<NetworkND>& start) {
  const int d = static_cast<int>(points.cols());
  TrainingResultND result{StartNetwork(options, d, start), {}};
  NetworkND& network = result.network;
  const bool sm = targets.size() == 0;
  Eigen::MatrixXd batch_points, batch_targets;
  const BatchObjective objective = [&](const Eigen::VectorXd& theta,
                                       std::span<const std::size_t> batch,
                                       Eigen::VectorXd* gradient) {
    UnpackParameters(theta, options.skip, d, network);
    if (batch.empty()) {
      return ObjectiveAndGradientND(network, options.skip, points, targets, options.beta,
                                    options.bias_decay, gradient);
    }
    const auto rows = static_cast<Eigen::Index>(batch.size());
    batch_points.resize(rows, d);
    batch_targets.resize(sm ? 0 : rows, sm ? 0 : d);  // empty for SM
    for (Eigen::Index r = 0; r < rows; ++r) {
      const auto i = static_cast<Eigen::Index>(batch[static_cast<std::size_t>(r)]);
      batch_points.row(r) = points.row(i);
      if (!sm) batch_targets.row(r) = targets.row(i);
    }
    return ObjectiveAndGradientND(network, options.skip, batch_points, batch_targets,
                                  options.beta, options.bias_decay, gradient);
  };
  Eigen::VectorXd theta = PackParameters(network, options.skip);
  result.summary = RunGradientTraining(theta, static_cast<std::size_t>(points.rows()), objective,
                                       options);
  UnpackParameters(theta, options.skip, d, network);
  return result;
}

}  // namespace

NetworkND InitialNetworkND(Activation activation, int dimension, int width, bool skip,
                           std::uint64_t seed) {
  if (width < 1) {
    throw Error("training: width must be at least 1 (got " + std::to_string(width) + ")");
  }
  if (dimension < 1) {
    throw Error("training: dimension must be at least 1 (got " + std::to_string(dimension) + ")");
  }
  std::mt19937_64 engine(seed);
  const auto uniform = [&engine](double half_width) {
    return half_width * (2.0 * OpenUniform(engine) - 1.0);
  };
  NetworkND network;
  network.activation = activation;
  network.w.resize(width, dimension);
  network.b.resize(width);
  network.a.resize(width, dimension);
  network.output_bias.resize(dimension);
  const double input_scale = 1.0 / std::sqrt(static_cast<double>(dimension));
  const double output_scale = 1.0 / std::sqrt(static_cast<double>(width));
  for (int j = 0; j < width; ++j)
    for (int c = 0; c < dimension; ++c) network.w(j, c) = uniform(input_scale);
  for (int j = 0; j < width; ++j) network.b[j] = uniform(input_scale);
  for (int j = 0; j < width; ++j)
    for (int c = 0; c < dimension; ++c) network.a(j, c) = uniform(output_scale);
  for (int c = 0; c < dimension; ++c) network.output_bias[c] = uniform(output_scale);
  if (skip) network.skip = Eigen::MatrixXd::Zero(dimension, dimension);
  return network;
}

Eigen::VectorXd PackParameters(const NetworkND& network, bool skip) {
  const Eigen::Index m = network.neurons(), d = network.dimension();
  Eigen::VectorXd theta(2 * m * d + m + d + (skip ? d * d : 0));
  Eigen::Index k = 0;
  for (Eigen::Index j = 0; j < m; ++j)
    for (Eigen::Index c = 0; c < d; ++c) theta[k++] = network.w(j, c);
  for (Eigen::Index j = 0; j < m; ++j) theta[k++] = network.b[j];
  for (Eigen::Index j = 0; j < m; ++j)
    for (Eigen::Index c = 0; c < d; ++c) theta[k++] = network.a(j, c);
  for (Eigen::Index c = 0; c < d; ++c) theta[k++] = network.output_bias[c];
  if (skip) {
    const Eigen::MatrixXd v = network.skip ? *network.skip : Eigen::MatrixXd::Zero(d, d);
    for (Eigen::Index r = 0; r < d; ++r)
      for (Eigen::Index c = 0; c < d; ++c) theta[k++] = v(r, c);
  }
  return theta;
}

void UnpackParameters(const Eigen::VectorXd& theta, bool skip, int dimension, NetworkND& network) {
  const Eigen::Index d = dimension;
  const Eigen::Index m = (theta.size() - d - (skip ? d * d : 0)) / (2 * d + 1);
  network.w.resize(m, d);
  network.b.resize(m);
  network.a.resize(m, d);
  network.output_bias.resize(d);
  Eigen::Index k = 0;
  for (Eigen::Index j = 0; j < m; ++j)
    for (Eigen::Index c = 0; c < d; ++c) network.w(j, c) = theta[k++];
  for (Eigen::Index j = 0; j < m; ++j) network.b[j] = theta[k++];
  for (Eigen::Index j = 0; j < m; ++j)
    for (Eigen::Index c = 0; c < d; ++c) network.a(j, c) = theta[k++];
  for (Eigen::Index c = 0; c < d; ++c) network.output_bias[c] = theta[k++];
  if (skip) {
    Eigen::MatrixXd v(d, d);
    for (Eigen::Index r = 0; r < d; ++r)
      for (Eigen::Index c = 0; c < d; ++c) v(r, c) = theta[k++];
    network.skip = v;
  }
}

// With Z = X W^T + 1 b^T, A = act(Z), S = act'(Z) (entrywise), the residuals R = F - T (SM: T = 0)
// and h = 1 for SM (0 for DSM), the objective is
//   (1/n) [ ||R||^2 / 2 + h sum_j s_j (a_j . w_j) + h n tr V ] + (beta/2) decay,  s_j = sum_i S_ij,
// and with G = (R A_out^T) o S (G_ij = (a_j . r_i) S_ij) its gradient is
//   dW = (G^T X + h s a) / n + beta W,   db = G^T 1 / n (+ beta b),
//   dA_out = (A^T R + h s w) / n + beta A_out,   dc = R^T 1 / n,   dV = R^T X / n + h I.
double ObjectiveAndGradientND(const NetworkND& network, bool skip,
                              const Eigen::Ref<const Eigen::MatrixXd>& points,
                              const Eigen::Ref<const Eigen::MatrixXd>& targets, double beta,
                              BiasDecay bias_decay, Eigen::VectorXd* gradient) {
  const Eigen::Index n = points.rows(), d = points.cols(), m = network.neurons();
  const bool sm = targets.size() == 0;
  if (n == 0 || d != network.dimension() || (!sm && (targets.rows() != n || targets.cols() != d))) {
    throw Error("training objective: points " + Shape(n, d) +
                (sm ? std::string() : " and targets " + Shape(targets.rows(), targets.cols())) +
                " do not fit a network of dimension " + std::to_string(network.dimension()));
  }
  const bool relu = network.activation == Activation::kRelu;
  const bool penalize_biases = bias_decay == BiasDecay::kPenalized;
  const double inv_n = 1.0 / static_cast<double>(n);
  const double h = sm ? 1.0 : 0.0;

  Eigen::MatrixXd z = points * network.w.transpose();
  z.rowwise() += network.b.transpose();
  // S = act'(Z) with relu'(0) = 1 and abs'(0) = +1; act(Z) = S o Z for both activations.
  const Eigen::MatrixXd s =
      z.unaryExpr([relu](double v) { return v >= 0.0 ? 1.0 : (relu ? 0.0 : -1.0); });
  const Eigen::MatrixXd act = s.cwiseProduct(z);
  Eigen::MatrixXd r = act * network.a;
  r.rowwise() += network.output_bias.transpose();
  if (network.skip) r += points * network.skip->transpose();
  if (!sm) r -= targets;

  const Eigen::VectorXd counts = s.colwise().sum().transpose();  // s_j
  const Eigen::VectorXd inner = network.w.cwiseProduct(network.a).rowwise().sum();  // a_j . w_j
  double trace = h * counts.dot(inner);
  if (sm && network.skip) trace += static_cast<double>(n) * network.skip->trace();
  double decay = network.w.squaredNorm() + network.a.squaredNorm();
  if (penalize_biases) decay += network.b.squaredNorm();
  const double objective = inv_n * (0.5 * r.squaredNorm() + trace) + 0.5 * beta * decay;
  if (gradient == nullptr) return objective;

  const Eigen::MatrixXd g = (r * network.a.transpose()).cwiseProduct(s);  // n x m
  RowMatrixXd dw = inv_n * (g.transpose() * points);
  RowMatrixXd da = inv_n * (act.transpose() * r);
  if (sm) {
    dw += inv_n * (counts.asDiagonal() * network.a);
    da += inv_n * (counts.asDiagonal() * network.w);
  }
  dw += beta * network.w;
  da += beta * network.a;
  Eigen::VectorXd db = inv_n * g.colwise().sum().transpose();
  if (penalize_biases) db += beta * network.b;
  const Eigen::VectorXd dc = inv_n * r.colwise().sum().transpose();

  gradient->resize(2 * m * d + m + d + (skip ? d * d : 0));
  Eigen::Index k = 0;
  for (Eigen::Index j = 0; j < m; ++j)
    for (Eigen::Index c = 0; c < d; ++c) (*gradient)[k++] = dw(j, c);
  for (Eigen::Index j = 0; j < m; ++j) (*gradient)[k++] = db[j];
  for (Eigen::Index j = 0; j < m; ++j)
    for (Eigen::Index c = 0; c < d; ++c) (*gradient)[k++] = da(j, c);
  for (Eigen::Index c = 0; c < d; ++c) (*gradient)[k++] = dc[c];
  if (skip) {
    Eigen::MatrixXd dv = inv_n * (r.transpose() * points);
    if (sm) dv.diagonal().array() += 1.0;
    for (Eigen::Index row = 0; row < d; ++row)
      for (Eigen::Index c = 0; c < d; ++c) (*gradient)[k++] = dv(row, c);
  }
  return objective;
}

TrainingResultND TrainScoreMatchingND(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                      const NonconvexTrainingOptions& options,
                                      const std::optional<NetworkND>& start) {
  CheckData(x, "data point");
  return Train(x, Eigen::MatrixXd(), options, start);
}

TrainingResultND TrainDenoisingScoreMatchingND(const Eigen::Ref<const Eigen::MatrixXd>& inputs,
                                               const Eigen::Ref<const Eigen::MatrixXd>& targets,
                                               const NonconvexTrainingOptions& options,
                                               const std::optional<NetworkND>& start) {
  CheckData(inputs, "noisy input");
  CheckData(targets, "target");
  if (inputs.rows() != targets.rows() || inputs.cols() != targets.cols()) {
    throw Error("training: noisy inputs " + Shape(inputs.rows(), inputs.cols()) +
                " but targets " + Shape(targets.rows(), targets.cols()));
  }
  return Train(inputs, targets, options, start);
}

std::vector<TrainingLevelND> TrainLevelsND(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                           std::span<const double> sigmas, int copies,
                                           std::uint64_t noise_seed,
                                           const NonconvexTrainingOptions& options,
                                           const StartNetworkND& start) {
  if (x.rows() < 2) throw Error("need at least 2 points (got " + std::to_string(x.rows()) + ")");
  const bool denoising = !sigmas.empty();
  if (denoising && copies < 1) {
    throw Error("copies must be at least 1 (got " + std::to_string(copies) + ")");
  }
  std::vector<std::optional<double>> levels;
  for (double sigma : sigmas) levels.emplace_back(sigma);
  if (!denoising) levels.emplace_back(std::nullopt);
  std::vector<TrainingLevelND> trained;
  for (std::size_t l = 0; l < levels.size(); ++l) {
    const std::optional<NetworkND> first = start ? start(levels[l]) : std::nullopt;
    TrainingLevelND level;
    level.sigma = levels[l];
    if (denoising) {
      level.copies = copies;
      level.noise_seed = noise_seed + l;
      const DenoisingDataND noisy =
          MakeDenoisingDataND(Eigen::MatrixXd(x), *levels[l], copies, level.noise_seed);
      level.result = TrainDenoisingScoreMatchingND(noisy.inputs, noisy.targets, options, first);
    } else {
      level.result = TrainScoreMatchingND(x, options, first);
    }
    trained.push_back(std::move(level));
  }
  return trained;
}

void CheckStartNetworkND(const NetworkND& start, int dimension, std::optional<int> width,
                         const std::string& name, const std::string& width_name) {
  if (start.dimension() != dimension) {
    throw Error(name + " has dimension " + std::to_string(start.dimension()) + " but the data have " +
                std::to_string(dimension) + " columns");
  }
  if (width && start.neurons() != *width) {
    throw Error(name + " has " + std::to_string(start.neurons()) + " units but " + width_name +
                " is " + std::to_string(*width));
  }
}

}  // namespace convexscore
