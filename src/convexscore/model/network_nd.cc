#include "convexscore/model/network_nd.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "convexscore/model/activation.h"

namespace convexscore {
namespace {

[[noreturn]] void Invalid(const std::string& problem) {
  throw Error("invalid network: " + problem);
}

std::string Shape(Eigen::Index rows, Eigen::Index cols) {
  return std::to_string(rows) + " x " + std::to_string(cols);
}

}  // namespace

NetworkND NetworkND::Zero(Activation activation, int dimension) {
  NetworkND network;
  network.activation = activation;
  network.w.resize(0, dimension);
  network.b.resize(0);
  network.a.resize(0, dimension);
  network.output_bias = Eigen::VectorXd::Zero(dimension);
  return network;
}

void NetworkND::Validate() const {
  const Eigen::Index d = output_bias.size(), m = b.size();
  if (d < 1) Invalid("the dimension (size of the output bias) must be at least 1");
  if (w.rows() != m || w.cols() != d) {
    Invalid("w is " + Shape(w.rows(), w.cols()) + ", expected " + Shape(m, d));
  }
  if (a.rows() != m || a.cols() != d) {
    Invalid("a is " + Shape(a.rows(), a.cols()) + ", expected " + Shape(m, d));
  }
  if (skip && (skip->rows() != d || skip->cols() != d)) {
    Invalid("the skip matrix is " + Shape(skip->rows(), skip->cols()) + ", expected " + Shape(d, d));
  }
  if (!w.allFinite() || !b.allFinite() || !a.allFinite() || !output_bias.allFinite() ||
      (skip && !skip->allFinite())) {
    Invalid("a weight is not finite");
  }
}

namespace {

// The score at x for a dimension D fixed at compile time, so that the loops over coordinates
// unroll and the sums stay in registers (the samplers spend their time here). Adds the same
// terms in the same order as ScoreAnyDimension: output bias, skip terms, neurons in turn.
template <int D, Activation kAct>
void ScoreFixedDimension(const NetworkND& net, const double* x, double* out) {
  double sum[D], in[D];
  for (int k = 0; k < D; ++k) {
    in[k] = x[k];
    sum[k] = net.output_bias[k];
  }
  if (net.skip) {
    for (int k = 0; k < D; ++k) {
      for (int l = 0; l < D; ++l) sum[k] += (*net.skip)(k, l) * in[l];
    }
  }
  const double* wj = net.w.data();
  const double* aj = net.a.data();
  const double* bj = net.b.data();
  for (Eigen::Index j = 0; j < net.neurons(); ++j, wj += D, aj += D) {
    double z = bj[j];
    for (int k = 0; k < D; ++k) z += wj[k] * in[k];
    const double h = ActivationValue(kAct, z);
    for (int k = 0; k < D; ++k) sum[k] += h * aj[k];
  }
  for (int k = 0; k < D; ++k) out[k] = sum[k];
}

template <Activation kAct>
void ScoreAnyDimension(const NetworkND& net, const double* x, double* out) {
  const Eigen::Index d = net.dimension();
  for (Eigen::Index k = 0; k < d; ++k) out[k] = net.output_bias[k];
  if (net.skip) {
    for (Eigen::Index k = 0; k < d; ++k) {
      for (Eigen::Index l = 0; l < d; ++l) out[k] += (*net.skip)(k, l) * x[l];
    }
  }
  const double* wj = net.w.data();
  const double* aj = net.a.data();
  for (Eigen::Index j = 0; j < net.neurons(); ++j, wj += d, aj += d) {
    double z = net.b[j];
    for (Eigen::Index k = 0; k < d; ++k) z += wj[k] * x[k];
    const double h = ActivationValue(kAct, z);
    for (Eigen::Index k = 0; k < d; ++k) out[k] += h * aj[k];
  }
}

template <Activation kAct>
void ScoreWith(const NetworkND& net, const double* x, double* out) {
  switch (net.dimension()) {
    case 1: return ScoreFixedDimension<1, kAct>(net, x, out);
    case 2: return ScoreFixedDimension<2, kAct>(net, x, out);
    case 3: return ScoreFixedDimension<3, kAct>(net, x, out);
    default: return ScoreAnyDimension<kAct>(net, x, out);
  }
}

}  // namespace

void NetworkND::Score(const double* x, double* out) const {
  if (activation == Activation::kRelu) {
    ScoreWith<Activation::kRelu>(*this, x, out);
  } else {
    ScoreWith<Activation::kAbs>(*this, x, out);
  }
}

Eigen::VectorXd NetworkND::Score(const Eigen::Ref<const Eigen::VectorXd>& x) const {
  Eigen::VectorXd out(output_bias.size());
  Score(x.data(), out.data());
  return out;
}

Eigen::MatrixXd NetworkND::ScoreRows(const Eigen::Ref<const Eigen::MatrixXd>& points) const {
  const Eigen::Index d = output_bias.size();
  Eigen::MatrixXd scores(points.rows(), d);
  Eigen::VectorXd x(d), out(d);
  for (Eigen::Index i = 0; i < points.rows(); ++i) {
    x = points.row(i).transpose();
    Score(x.data(), out.data());
    scores.row(i) = out.transpose();
  }
  return scores;
}

double NetworkND::Divergence(const Eigen::Ref<const Eigen::VectorXd>& x) const {
  double divergence = skip ? skip->trace() : 0.0;
  for (Eigen::Index j = 0; j < b.size(); ++j) {
    const double z = w.row(j).dot(x) + b[j];
    divergence += ActivationDerivative(activation, z) * a.row(j).dot(w.row(j));
  }
  return divergence;
}

double NetworkND::WeightDecaySum(bool penalize_biases) const {
  return w.squaredNorm() + a.squaredNorm() + (penalize_biases ? b.squaredNorm() : 0.0);
}

double ScoreMatchingObjective(const NetworkND& network, const Eigen::Ref<const Eigen::MatrixXd>& x,
                              double beta, BiasDecay bias_decay) {
  if (x.rows() == 0 || x.cols() != network.dimension()) {
    throw Error("score-matching objective: the data is " + Shape(x.rows(), x.cols()) +
                " but the network has dimension " + std::to_string(network.dimension()));
  }
  double sum = 0.0;
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const Eigen::VectorXd xi = x.row(i).transpose();
    sum += network.Divergence(xi) + 0.5 * network.Score(xi).squaredNorm();
  }
  return sum / static_cast<double>(x.rows()) +
         0.5 * beta * network.WeightDecaySum(bias_decay == BiasDecay::kPenalized);
}

double DenoisingScoreMatchingObjective(const NetworkND& network,
                                       const Eigen::Ref<const Eigen::MatrixXd>& inputs,
                                       const Eigen::Ref<const Eigen::MatrixXd>& targets,
                                       double beta, BiasDecay bias_decay) {
  if (inputs.rows() == 0 || inputs.rows() != targets.rows() ||
      inputs.cols() != network.dimension() || targets.cols() != network.dimension()) {
    throw Error("denoising objective: inputs " + Shape(inputs.rows(), inputs.cols()) +
                " and targets " + Shape(targets.rows(), targets.cols()) +
                " do not fit a network of dimension " + std::to_string(network.dimension()));
  }
  const Eigen::MatrixXd residuals = network.ScoreRows(inputs) - targets;
  return 0.5 * residuals.squaredNorm() / static_cast<double>(inputs.rows()) +
         0.5 * beta * network.WeightDecaySum(bias_decay == BiasDecay::kPenalized);
}

double ScalarNetworkND::Score(const Eigen::Ref<const Eigen::VectorXd>& x) const {
  double f = output_bias + (skip ? skip->dot(x) : 0.0);
  for (Eigen::Index j = 0; j < b.size(); ++j) {
    f += a[j] * ActivationValue(activation, w.row(j).dot(x) + b[j]);
  }
  return f;
}

NetworkND AssemblePerCoordinate(std::span<const ScalarNetworkND> coordinates) {
  if (coordinates.empty()) throw Error("per-coordinate networks: need at least one coordinate");
  const Eigen::Index d = static_cast<Eigen::Index>(coordinates.size());
  Eigen::Index m = 0;
  bool any_skip = false;
  for (std::size_t c = 0; c < coordinates.size(); ++c) {
    const ScalarNetworkND& g = coordinates[c];
    const std::string which = "per-coordinate network " + std::to_string(c + 1) + ": ";
    if (g.activation != coordinates[0].activation) throw Error(which + "a different activation");
    if (g.w.cols() != d || g.w.rows() != g.b.size() || g.a.size() != g.b.size()) {
      throw Error(which + "w is " + Shape(g.w.rows(), g.w.cols()) + ", b has " +
                  std::to_string(g.b.size()) + " and a " + std::to_string(g.a.size()) +
                  " entries; expected m x " + std::to_string(d) + ", m and m");
    }
    if (g.skip && g.skip->size() != d) {
      throw Error(which + "the skip vector has " + std::to_string(g.skip->size()) +
                  " entries, expected " + std::to_string(d));
    }
    m += g.b.size();
    any_skip = any_skip || g.skip.has_value();
  }
  NetworkND network = NetworkND::Zero(coordinates[0].activation, static_cast<int>(d));
  network.w.resize(m, d);
  network.b.resize(m);
  network.a = RowMatrixXd::Zero(m, d);
  if (any_skip) network.skip = Eigen::MatrixXd::Zero(d, d);
  Eigen::Index row = 0;
  for (Eigen::Index c = 0; c < d; ++c) {
    const ScalarNetworkND& g = coordinates[static_cast<std::size_t>(c)];
    const Eigen::Index count = g.b.size();
    network.w.middleRows(row, count) = g.w;
    network.b.segment(row, count) = g.b;
    network.a.block(row, c, count, 1) = g.a;
    network.output_bias[c] = g.output_bias;
    if (g.skip) network.skip->row(c) = g.skip->transpose();
    row += count;
  }
  return network;
}

NetworkND ToNetworkND(const Network1D& network) {
  NetworkND nd = NetworkND::Zero(network.activation, 1);
  const Eigen::Index m = static_cast<Eigen::Index>(network.neurons.size());
  nd.w.resize(m, 1);
  nd.b.resize(m);
  nd.a.resize(m, 1);
  for (Eigen::Index j = 0; j < m; ++j) {
    const Neuron1D& u = network.neurons[static_cast<std::size_t>(j)];
    nd.w(j, 0) = u.w;
    nd.b[j] = u.b;
    nd.a(j, 0) = u.a;
  }
  nd.output_bias[0] = network.output_bias;
  if (network.skip != 0.0) nd.skip = Eigen::MatrixXd::Constant(1, 1, network.skip);
  return nd;
}

}  // namespace convexscore
