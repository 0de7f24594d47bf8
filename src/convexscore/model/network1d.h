// A univariate two-layer network f(x) = sum_j a_j act(w_j x + b_j) + output_bias + skip * x.
#pragma once

#include <span>
#include <vector>

#include "convexscore/common.h"

namespace convexscore {

struct Neuron1D {
  double w = 0.0;  // first-layer weight
  double b = 0.0;  // first-layer bias
  double a = 0.0;  // second-layer weight
};

// Conventions at a kink (documented in docs/theory.md): relu'(0) = 1 and abs'(0) = sign(0) = +1.
// A derivative taken on the other side of a kink is realised by moving the kink a tiny shift.
struct Network1D {
  Activation activation = Activation::kRelu;
  std::vector<Neuron1D> neurons;
  double output_bias = 0.0;
  double skip = 0.0;  // weight of the linear skip term (0 when the model has none)

  double Score(double x) const;
  double ScoreDerivative(double x) const;
  // Kink locations -b/w of the neurons with w != 0, sorted.
  std::vector<double> Kinks() const;
};

// Mean-form score-matching objective of any network on data x (theory.md section 1):
// (1/n) sum_i [f'(x_i) + f(x_i)^2 / 2] + (beta/2) sum_j (w_j^2 + a_j^2).
double ScoreMatchingObjective(const Network1D& network, std::span<const double> x, double beta);

// Mean-form denoising score-matching objective (theory.md section 1) on noisy inputs x~ with
// targets y = -z / sigma (data/denoising_data.h):
// (1/N) sum_i (f(x~_i) - y_i)^2 / 2 + (beta/2) sum_j (w_j^2 + a_j^2). Sizes must match.
double DenoisingScoreMatchingObjective(const Network1D& network, std::span<const double> inputs,
                                       std::span<const double> targets, double beta);

// The predicted score as a piecewise-linear function: kinks t_1 < ... < t_K and the linear
// piece on each of the K+1 intervals. Evaluation is a binary search (for samplers).
struct PiecewiseLinear1D {
  std::vector<double> kinks;
  std::vector<double> slopes;      // size kinks.size() + 1
  std::vector<double> intercepts;  // size kinks.size() + 1: f(x) = slope * x + intercept
  double operator()(double x) const;
};
PiecewiseLinear1D ToPiecewiseLinear(const Network1D& network);

}  // namespace convexscore
