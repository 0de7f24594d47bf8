#include "convexscore/metrics/multivariate.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "convexscore/common.h"
#include "convexscore/data/portable_random.h"
#include "convexscore/metrics/univariate.h"

namespace convexscore {
namespace {

// Checks a pair of samples and returns them transposed (d x n), so each point is contiguous.
std::pair<Eigen::MatrixXd, Eigen::MatrixXd> PointColumns(const Eigen::MatrixXd& x,
                                                         const Eigen::MatrixXd& y,
                                                         std::string_view what,
                                                         Eigen::Index min_points = 1) {
  const std::string name(what);
  if (x.rows() < min_points || y.rows() < min_points) {
    throw Error(name + ": need at least " + std::to_string(min_points) +
                " point(s) in each sample (got " + std::to_string(x.rows()) + " and " +
                std::to_string(y.rows()) + ")");
  }
  if (x.cols() != y.cols()) {
    throw Error(name + ": the samples have different dimensions (" + std::to_string(x.cols()) +
                " and " + std::to_string(y.cols()) + ")");
  }
  if (x.cols() < 1) throw Error(name + ": the samples have no coordinates");
  if (!x.allFinite() || !y.allFinite()) {
    throw Error(name + ": a sample contains a NaN or infinite value");
  }
  return {x.transpose(), y.transpose()};
}

double Distance(const Eigen::MatrixXd& a, Eigen::Index i, const Eigen::MatrixXd& b,
                Eigen::Index j) {
  return (a.col(i) - b.col(j)).norm();
}

// Sum of f(|a_i - b_j|^2) over all i, j (or over i < j when a and b are the same matrix and
// `upper_only`).
template <typename Kernel>
double PairSum(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, bool upper_only,
               Kernel kernel) {
  double sum = 0.0;
  for (Eigen::Index i = 0; i < a.cols(); ++i) {
    for (Eigen::Index j = upper_only ? i + 1 : 0; j < b.cols(); ++j) {
      sum += kernel((a.col(i) - b.col(j)).squaredNorm());
    }
  }
  return sum;
}

}  // namespace

double MedianHeuristicBandwidth(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                                int max_points, std::uint64_t seed) {
  const auto [xc, yc] = PointColumns(x, y, "median heuristic");
  Eigen::MatrixXd pooled(xc.rows(), xc.cols() + yc.cols());
  pooled << xc, yc;
  std::vector<Eigen::Index> chosen(static_cast<std::size_t>(pooled.cols()));
  std::iota(chosen.begin(), chosen.end(), Eigen::Index{0});
  const std::size_t keep = std::min<std::size_t>(chosen.size(), std::max(2, max_points));
  if (keep < chosen.size()) {
    // Partial Fisher-Yates with the portable uniform, so the subset is the same everywhere.
    std::mt19937_64 engine(seed);
    for (std::size_t i = 0; i < keep; ++i) {
      const auto offset = static_cast<std::size_t>(OpenUniform(engine) *
                                                   static_cast<double>(chosen.size() - i));
      std::swap(chosen[i], chosen[i + std::min(offset, chosen.size() - i - 1)]);
    }
    chosen.resize(keep);
  }
  std::vector<double> distances;
  distances.reserve(keep * (keep - 1) / 2);
  for (std::size_t i = 0; i < keep; ++i) {
    for (std::size_t j = i + 1; j < keep; ++j) {
      distances.push_back(Distance(pooled, chosen[i], pooled, chosen[j]));
    }
  }
  if (distances.empty()) throw Error("median heuristic: need at least 2 points");
  const std::size_t middle = distances.size() / 2;
  std::nth_element(distances.begin(), distances.begin() + middle, distances.end());
  double median = distances[middle];
  if (distances.size() % 2 == 0) {  // mean of the two middle values
    median = 0.5 * (median + *std::max_element(distances.begin(), distances.begin() + middle));
  }
  if (!(median > 0)) {
    throw Error("median heuristic: the median distance between points is 0 (most points "
                "coincide); give a bandwidth");
  }
  return median;
}

MmdResult UnbiasedMmd2(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                       const MmdOptions& options) {
  const auto [xc, yc] = PointColumns(x, y, "MMD^2", 2);
  MmdResult result;
  result.bandwidth = options.bandwidth > 0
                         ? options.bandwidth
                         : MedianHeuristicBandwidth(x, y, options.median_max_points,
                                                    options.seed);
  const double gamma = 1.0 / (2.0 * result.bandwidth * result.bandwidth);
  const auto kernel = [gamma](double squared) { return std::exp(-gamma * squared); };
  const double n = static_cast<double>(xc.cols());
  const double m = static_cast<double>(yc.cols());
  // The within-sample sums run over i < j; the U-statistic counts each pair twice.
  const double xx = 2.0 * PairSum(xc, xc, true, kernel) / (n * (n - 1.0));
  const double yy = 2.0 * PairSum(yc, yc, true, kernel) / (m * (m - 1.0));
  const double xy = PairSum(xc, yc, false, kernel) / (n * m);
  result.mmd2 = xx + yy - 2.0 * xy;
  return result;
}

Eigen::MatrixXd RandomDirections(int dimension, int count, std::uint64_t seed) {
  if (dimension < 1 || count < 1) {
    throw Error("random directions: need dimension >= 1 and count >= 1");
  }
  std::mt19937_64 engine(seed);
  Eigen::MatrixXd directions(count, dimension);
  for (int l = 0; l < count; ++l) {
    double norm = 0.0;
    while (!(norm > 0)) {  // an all-zero normal vector has probability 0; redraw if it occurs
      for (int k = 0; k < dimension; ++k) directions(l, k) = StandardNormal(engine);
      norm = directions.row(l).norm();
    }
    directions.row(l) /= norm;
  }
  return directions;
}

double SlicedWasserstein1(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                          const Eigen::MatrixXd& directions) {
  PointColumns(x, y, "sliced W1");
  if (directions.rows() < 1 || directions.cols() != x.cols()) {
    throw Error("sliced W1: need directions with " + std::to_string(x.cols()) + " coordinates");
  }
  double sum = 0.0;
  for (Eigen::Index l = 0; l < directions.rows(); ++l) {
    const Eigen::VectorXd px = x * directions.row(l).transpose();
    const Eigen::VectorXd py = y * directions.row(l).transpose();
    sum += Wasserstein1(std::span<const double>(px.data(), static_cast<std::size_t>(px.size())),
                        std::span<const double>(py.data(), static_cast<std::size_t>(py.size())));
  }
  return sum / static_cast<double>(directions.rows());
}

double SlicedWasserstein1(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, int projections,
                          std::uint64_t seed) {
  if (projections < 1) throw Error("sliced W1: need at least 1 projection");
  PointColumns(x, y, "sliced W1");
  return SlicedWasserstein1(x, y,
                            RandomDirections(static_cast<int>(x.cols()), projections, seed));
}

double EnergyDistance(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y) {
  const auto [xc, yc] = PointColumns(x, y, "energy distance");
  const auto norm = [](double squared) { return std::sqrt(squared); };
  const double n = static_cast<double>(xc.cols());
  const double m = static_cast<double>(yc.cols());
  const double xy = PairSum(xc, yc, false, norm) / (n * m);
  const double xx = 2.0 * PairSum(xc, xc, true, norm) / (n * n);
  const double yy = 2.0 * PairSum(yc, yc, true, norm) / (m * m);
  return 2.0 * xy - xx - yy;
}

double FisherDivergence(const Eigen::MatrixXd& x, const ScoreField& model,
                        const ScoreField& truth) {
  PointColumns(x, x, "Fisher divergence");
  double sum = 0.0;
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const Eigen::VectorXd point = x.row(i).transpose();
    const Eigen::VectorXd model_score = model(point);
    const Eigen::VectorXd true_score = truth(point);
    if (model_score.size() != x.cols() || true_score.size() != x.cols()) {
      throw Error("Fisher divergence: a score field returned a vector of the wrong dimension");
    }
    sum += (model_score - true_score).squaredNorm();
  }
  const double divergence = sum / static_cast<double>(x.rows());
  if (!std::isfinite(divergence)) {
    throw Error("Fisher divergence: a score is not finite at some sample point");
  }
  return divergence;
}

}  // namespace convexscore
