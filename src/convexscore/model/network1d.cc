#include "convexscore/model/network1d.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "convexscore/model/activation.h"

namespace convexscore {
namespace {

double WeightDecaySum(const Network1D& network) {
  double decay = 0.0;
  for (const Neuron1D& u : network.neurons) decay += u.w * u.w + u.a * u.a;
  return decay;
}

}  // namespace

double Network1D::Score(double x) const {
  double f = output_bias + skip * x;
  for (const Neuron1D& u : neurons) f += u.a * ActivationValue(activation, u.w * x + u.b);
  return f;
}

double Network1D::ScoreDerivative(double x) const {
  double d = skip;
  for (const Neuron1D& u : neurons) {
    d += u.a * u.w * ActivationDerivative(activation, u.w * x + u.b);
  }
  return d;
}

std::vector<double> Network1D::Kinks() const {
  std::vector<double> kinks;
  for (const Neuron1D& u : neurons) {
    if (u.w != 0.0 && u.a != 0.0) kinks.push_back(-u.b / u.w);
  }
  std::sort(kinks.begin(), kinks.end());
  return kinks;
}

double ScoreMatchingObjective(const Network1D& network, std::span<const double> x, double beta) {
  double sum = 0.0;
  for (double xi : x) {
    const double f = network.Score(xi);
    sum += network.ScoreDerivative(xi) + 0.5 * f * f;
  }
  return sum / static_cast<double>(x.size()) + 0.5 * beta * WeightDecaySum(network);
}

double DenoisingScoreMatchingObjective(const Network1D& network, std::span<const double> inputs,
                                       std::span<const double> targets, double beta) {
  if (inputs.size() != targets.size() || inputs.empty()) {
    throw Error("denoising objective: " + std::to_string(inputs.size()) + " inputs but " +
                std::to_string(targets.size()) + " targets");
  }
  double sum = 0.0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const double r = network.Score(inputs[i]) - targets[i];
    sum += 0.5 * r * r;
  }
  return sum / static_cast<double>(inputs.size()) + 0.5 * beta * WeightDecaySum(network);
}

PiecewiseLinear1D ToPiecewiseLinear(const Network1D& network) {
  // Left of every kink each unit is linear: relu is 0 or its pre-activation, abs is +-it.
  // Crossing a kink changes the slope by a * |w| * (1 for relu, 2 for abs).
  PiecewiseLinear1D pl;
  struct Kink { double t, dslope, dintercept; };
  std::vector<Kink> kinks;
  double slope = network.skip, intercept = network.output_bias;
  const double jump = network.activation == Activation::kRelu ? 1.0 : 2.0;
  for (const Neuron1D& u : network.neurons) {
    if (u.w == 0.0) {  // a constant unit
      intercept += u.a * (network.activation == Activation::kRelu ? std::max(u.b, 0.0) : std::abs(u.b));
      continue;
    }
    // Far left (x -> -inf) the pre-activation w x + b has the sign of -w.
    const double left_sign = u.w > 0.0 ? -1.0 : 1.0;
    double s_left = 0.0;  // unit = s_left * (w x + b) left of its kink
    if (network.activation == Activation::kRelu) s_left = left_sign > 0 ? 1.0 : 0.0;
    else s_left = left_sign;
    slope += u.a * s_left * u.w;
    intercept += u.a * s_left * u.b;
    // At the kink the coefficient of (w x + b) increases by jump if w > 0, decreases if w < 0.
    const double dcoef = (u.w > 0.0 ? jump : -jump) * u.a;
    kinks.push_back({-u.b / u.w, dcoef * u.w, dcoef * u.b});
  }
  std::sort(kinks.begin(), kinks.end(), [](const Kink& a, const Kink& b) { return a.t < b.t; });
  pl.slopes.push_back(slope);
  pl.intercepts.push_back(intercept);
  for (const Kink& k : kinks) {
    slope += k.dslope;
    intercept += k.dintercept;
    if (!pl.kinks.empty() && pl.kinks.back() == k.t) {  // units sharing a kink: one breakpoint
      pl.slopes.back() = slope;
      pl.intercepts.back() = intercept;
      continue;
    }
    pl.kinks.push_back(k.t);
    pl.slopes.push_back(slope);
    pl.intercepts.push_back(intercept);
  }
  return pl;
}

double PiecewiseLinear1D::operator()(double x) const {
  const size_t piece = std::upper_bound(kinks.begin(), kinks.end(), x) - kinks.begin();
  return slopes[piece] * x + intercepts[piece];
}

}  // namespace convexscore
