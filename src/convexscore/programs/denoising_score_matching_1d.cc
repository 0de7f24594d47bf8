#include "convexscore/programs/denoising_score_matching_1d.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include <Eigen/Dense>

#include "convexscore/io/numbers.h"
#include "convexscore/solvers/lasso.h"

namespace convexscore {
namespace {

using Eigen::VectorXd;

// A dictionary column: a unit-slope ramp or absolute value with its kink at a distinct input.
enum class Shape { kRightRamp, kLeftRamp, kAbs };  // (x - v)_+, (v - x)_+, |x - v|
struct Column {
  int value = 0;  // index of the kink's distinct input
  Shape shape = Shape::kRightRamp;
};

// The data as the program sees it (docs/theory.md section 11): distinct inputs v_1 < ... < v_m
// with counts k_j and mean targets tbar_j. Tied inputs share every column's value, so the
// squared loss splits into a weighted loss on (v_j, tbar_j) plus the spread of the targets
// within each tie, a constant.
struct Problem {
  Activation activation = Activation::kRelu;
  bool skip = false;
  std::vector<double> values, counts, mean_targets;
  double n = 0.0, mean = 0.0, variance = 0.0;
  double within_ties = 0.0;  // (1/2N) sum_i (t_i - tbar_{j(i)})^2
  std::vector<Column> columns;
};

Problem BuildProblem(std::span<const double> inputs, std::span<const double> targets,
                     Activation activation, bool skip) {
  if (inputs.size() != targets.size()) {
    throw Error("denoising score matching: " + std::to_string(inputs.size()) + " inputs but " +
                std::to_string(targets.size()) + " targets");
  }
  if (inputs.empty()) throw Error("denoising score matching: no inputs");
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!std::isfinite(inputs[i]) || !std::isfinite(targets[i])) {
      throw Error("denoising score matching: input or target " + std::to_string(i) +
                  " is not a finite number");
    }
  }
  std::vector<std::size_t> order(inputs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return inputs[a] < inputs[b]; });

  Problem problem;
  problem.activation = activation;
  problem.skip = skip;
  problem.n = static_cast<double>(inputs.size());
  std::vector<std::size_t> group_start;
  for (std::size_t r = 0; r < order.size(); ++r) {
    const double x = inputs[order[r]];
    if (r == 0 || x != problem.values.back()) {
      problem.values.push_back(x);
      problem.counts.push_back(0.0);
      problem.mean_targets.push_back(0.0);
      group_start.push_back(r);
    }
    problem.counts.back() += 1.0;
    problem.mean_targets.back() += targets[order[r]];
  }
  group_start.push_back(order.size());
  const int m = static_cast<int>(problem.values.size());
  for (int j = 0; j < m; ++j) {
    problem.mean_targets[j] /= problem.counts[j];
    for (std::size_t r = group_start[j]; r < group_start[j + 1]; ++r) {
      const double d = targets[order[r]] - problem.mean_targets[j];
      problem.within_ties += d * d;
    }
    problem.mean += problem.counts[j] * problem.values[j];
  }
  problem.within_ties /= 2.0 * problem.n;
  problem.mean /= problem.n;
  for (int j = 0; j < m; ++j) {
    const double d = problem.values[j] - problem.mean;
    problem.variance += problem.counts[j] * d * d;
  }
  problem.variance /= problem.n;
  if (skip && m < 2) {
    throw Error("denoising score matching: the skip term needs at least two distinct inputs");
  }

  // Columns that vanish on the data (right ramp at v_m, left ramp at v_1) are left out, and so
  // are those that equal another column up to sign and the free terms: the left ramp and the
  // absolute value at v_m (minus the ramp at v_1); with the skip term, every left ramp (a right
  // ramp minus a line) and the columns at v_1 (lines).
  const int first = skip ? 1 : 0;
  for (int q = first; q + 1 < m; ++q) {
    problem.columns.push_back({q, activation == Activation::kAbs ? Shape::kAbs : Shape::kRightRamp});
  }
  if (activation == Activation::kRelu && !skip) {
    for (int q = 1; q + 1 < m; ++q) problem.columns.push_back({q, Shape::kLeftRamp});
  }
  return problem;
}

// A' = Q diag(sqrt(k / N)) A with A the columns' values at the distinct inputs and Q the
// orthogonal projection that removes sqrt(k) (and sqrt(k) (v - mean) with the skip term): then
// 1/2 ||A' y - b'||^2 with b' = Q diag(sqrt(k / N)) tbar is the mean-form loss minimised over
// the free terms. Both products are O(m + p): the ramps are applied through running slopes
// rather than formed.
class RampDictionary : public LassoOperator {
 public:
  explicit RampDictionary(const Problem& problem) : problem_(problem) {
    const std::size_t m = problem.values.size();
    sqrt_weight_.resize(m);
    root_count_.resize(m);
    root_count_centred_.resize(m);
    for (std::size_t i = 0; i < m; ++i) {
      root_count_[i] = std::sqrt(problem.counts[i]);
      sqrt_weight_[i] = root_count_[i] / std::sqrt(problem.n);
      root_count_centred_[i] = root_count_[i] * (problem.values[i] - problem.mean);
    }
  }

  int rows() const override { return static_cast<int>(problem_.values.size()); }
  int cols() const override { return static_cast<int>(problem_.columns.size()); }

  void Apply(const VectorXd& y, VectorXd* out) const override {
    ValuesOnData(y, out);
    for (int i = 0; i < rows(); ++i) (*out)[i] *= sqrt_weight_[i];
    Project(*out);
  }

  void ApplyAdjoint(const VectorXd& r, VectorXd* out) const override {
    VectorXd w = r;
    Project(w);
    for (int i = 0; i < rows(); ++i) w[i] *= sqrt_weight_[i];
    const std::vector<double>& v = problem_.values;
    const int m = rows();
    // right[q] = sum_{i > q} w_i (v_i - v_q), left[q] = sum_{i < q} w_i (v_q - v_i), by running
    // sums of w over the points beyond the kink.
    std::vector<double> right(m, 0.0), left(m, 0.0);
    double beyond = 0.0;
    for (int q = m - 2; q >= 0; --q) {
      beyond += w[q + 1];
      right[q] = right[q + 1] + (v[q + 1] - v[q]) * beyond;
    }
    beyond = 0.0;
    for (int q = 1; q < m; ++q) {
      beyond += w[q - 1];
      left[q] = left[q - 1] + (v[q] - v[q - 1]) * beyond;
    }
    out->resize(cols());
    for (int j = 0; j < cols(); ++j) {
      const Column& column = problem_.columns[j];
      const double r_part = column.shape == Shape::kLeftRamp ? 0.0 : right[column.value];
      const double l_part = column.shape == Shape::kRightRamp ? 0.0 : left[column.value];
      (*out)[j] = r_part + l_part;
    }
  }

  // sum_j y_j column_j at the distinct inputs (no weights, no projection): each ramp adds its
  // coefficient to the slope beyond its kink, walking away from the kink.
  void ValuesOnData(const VectorXd& y, VectorXd* out) const {
    const int m = rows();
    const std::vector<double>& v = problem_.values;
    std::vector<double> right_slope(m, 0.0), left_slope(m, 0.0);
    for (int j = 0; j < cols(); ++j) {
      if (y[j] == 0.0) continue;
      const Column& column = problem_.columns[j];
      if (column.shape != Shape::kLeftRamp) right_slope[column.value] += y[j];
      if (column.shape != Shape::kRightRamp) left_slope[column.value] += y[j];
    }
    out->setZero(m);
    double slope = 0.0, value = 0.0;
    for (int i = 0; i < m; ++i) {
      if (i > 0) value += slope * (v[i] - v[i - 1]);
      (*out)[i] = value;
      slope += right_slope[i];
    }
    slope = value = 0.0;
    for (int i = m - 1; i >= 0; --i) {
      if (i < m - 1) value += slope * (v[i + 1] - v[i]);
      (*out)[i] += value;
      slope += left_slope[i];
    }
  }

  VectorXd ProjectedTargets() const {
    VectorXd b(rows());
    for (int i = 0; i < rows(); ++i) b[i] = sqrt_weight_[i] * problem_.mean_targets[i];
    Project(b);
    return b;
  }

 private:
  // The two directions are orthogonal (v - mean is centred with weights k), so removing them
  // one after the other is the projection.
  void Project(VectorXd& u) const {
    RemoveDirection(root_count_, problem_.n, u);
    if (problem_.skip) RemoveDirection(root_count_centred_, problem_.n * problem_.variance, u);
  }
  static void RemoveDirection(const std::vector<double>& e, double squared_norm, VectorXd& u) {
    double dot = 0.0;
    for (std::size_t i = 0; i < e.size(); ++i) dot += e[i] * u[static_cast<Eigen::Index>(i)];
    const double factor = dot / squared_norm;
    for (std::size_t i = 0; i < e.size(); ++i) u[static_cast<Eigen::Index>(i)] -= factor * e[i];
  }

  const Problem& problem_;
  std::vector<double> sqrt_weight_, root_count_, root_count_centred_;
};

// One unit per nonzero coefficient y (docs/theory.md section 11): w = +-sqrt|y| (minus for a
// left ramp), b = -w * kink, a = sign(y) sqrt|y|, so a act(w x + b) = y column(x) and the
// unit's weight decay (beta/2)(w^2 + a^2) is beta |y|. The free terms are the weighted least
// squares fit of what the units leave of the mean targets.
Network1D Reconstruct(const Problem& problem, const RampDictionary& dictionary,
                      const VectorXd& y) {
  Network1D network;
  network.activation = problem.activation;
  for (int j = 0; j < dictionary.cols(); ++j) {
    if (y[j] == 0.0) continue;
    const Column& column = problem.columns[j];
    const double root = std::sqrt(std::abs(y[j]));
    const double w = column.shape == Shape::kLeftRamp ? -root : root;
    network.neurons.push_back({w, -w * problem.values[column.value], y[j] > 0 ? root : -root});
  }
  VectorXd fitted;
  dictionary.ValuesOnData(y, &fitted);
  double intercept = 0.0, slope = 0.0;
  const int m = dictionary.rows();
  for (int i = 0; i < m; ++i) intercept += problem.counts[i] * (problem.mean_targets[i] - fitted[i]);
  intercept /= problem.n;
  if (problem.skip) {
    for (int i = 0; i < m; ++i) {
      slope += problem.counts[i] * (problem.values[i] - problem.mean) *
               (problem.mean_targets[i] - fitted[i]);
    }
    slope /= problem.n * problem.variance;
  }
  network.skip = slope;
  network.output_bias = intercept - slope * problem.mean;  // centred to original coordinates
  return network;
}

// beta_max = ||A'^T b'||_inf: the largest correlation of a column with the projected targets.
double BetaMax(const RampDictionary& dictionary) {
  VectorXd correlations;
  dictionary.ApplyAdjoint(dictionary.ProjectedTargets(), &correlations);
  return correlations.size() > 0 ? correlations.lpNorm<Eigen::Infinity>() : 0.0;
}

}  // namespace

DenoisingScoreMatching1DResult FitDenoisingScoreMatching1D(
    std::span<const double> inputs, std::span<const double> targets,
    const DenoisingScoreMatching1DOptions& options,
    const DenoisingScoreMatching1DResult* warm_start) {
  if (!std::isfinite(options.beta) || !(options.beta > 0.0)) {
    throw Error("beta must be positive and finite (got " + FormatDouble(options.beta) + ")");
  }
  const Problem problem = BuildProblem(inputs, targets, options.activation, options.skip);
  const RampDictionary dictionary(problem);
  const VectorXd b = dictionary.ProjectedTargets();

  VectorXd start;
  if (warm_start != nullptr) {
    if (static_cast<int>(warm_start->coefficients.size()) != dictionary.cols()) {
      throw Error("denoising score matching: the warm start is for other inputs or settings");
    }
    start = Eigen::Map<const VectorXd>(warm_start->coefficients.data(), dictionary.cols());
  }
  LassoOptions lasso;
  lasso.beta = options.beta;
  lasso.gap_tolerance = options.gap_tolerance;
  lasso.max_iterations = options.max_iterations;
  lasso.objective_offset = problem.within_ties;
  const LassoResult solved =
      SolveLasso(dictionary, b, lasso, warm_start != nullptr ? &start : nullptr);

  DenoisingScoreMatching1DResult result;
  result.summary = solved.summary;
  result.beta_max = BetaMax(dictionary);
  result.network = Reconstruct(problem, dictionary, solved.coefficients);
  result.active_neurons = static_cast<int>(result.network.neurons.size());
  result.distinct_inputs = dictionary.rows();
  result.coefficients.assign(solved.coefficients.data(),
                             solved.coefficients.data() + solved.coefficients.size());
  return result;
}

double DenoisingScoreMatching1DBetaMax(std::span<const double> inputs,
                                       std::span<const double> targets, Activation activation,
                                       bool skip) {
  const Problem problem = BuildProblem(inputs, targets, activation, skip);
  return BetaMax(RampDictionary(problem));
}

}  // namespace convexscore
