#include "convexscore/data/denoising_data.h"

#include <cmath>
#include <random>
#include <string>

#include "convexscore/common.h"
#include "convexscore/data/portable_random.h"

namespace convexscore {
namespace {

void CheckNoise(double sigma, int copies) {
  if (!std::isfinite(sigma) || sigma <= 0.0) {
    throw Error("noise level sigma must be finite and positive, got " + std::to_string(sigma));
  }
  if (copies < 1) {
    throw Error("the number of noisy copies must be at least 1, got " + std::to_string(copies));
  }
}

}  // namespace

DenoisingData1D MakeDenoisingData1D(std::span<const double> x, double sigma, int copies,
                                    std::uint64_t seed) {
  const Eigen::Map<const Eigen::MatrixXd> column(x.data(), static_cast<Eigen::Index>(x.size()),
                                                 1);
  const DenoisingDataND nd = MakeDenoisingDataND(column, sigma, copies, seed);
  DenoisingData1D data;
  data.sigma = sigma;
  data.copies = copies;
  data.inputs.assign(nd.inputs.data(), nd.inputs.data() + nd.inputs.size());
  data.targets.assign(nd.targets.data(), nd.targets.data() + nd.targets.size());
  return data;
}

DenoisingDataND MakeDenoisingDataND(const Eigen::MatrixXd& x, double sigma, int copies,
                                    std::uint64_t seed) {
  if (x.rows() == 0 || x.cols() == 0) throw Error("no data points to add noise to");
  if (!x.allFinite()) throw Error("data contain NaN or infinite values");
  CheckNoise(sigma, copies);
  const Eigen::Index rows = x.rows() * copies;
  DenoisingDataND data;
  data.sigma = sigma;
  data.copies = copies;
  data.inputs.resize(rows, x.cols());
  data.targets.resize(rows, x.cols());
  std::mt19937_64 engine(seed);
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    for (int c = 0; c < copies; ++c) {
      const Eigen::Index row = i * copies + c;
      for (Eigen::Index k = 0; k < x.cols(); ++k) {
        const double z = StandardNormal(engine);
        data.inputs(row, k) = x(i, k) + sigma * z;
        data.targets(row, k) = -z / sigma;
      }
    }
  }
  return data;
}

}  // namespace convexscore
