// The regression data of denoising score matching (theory.md section 1): each point x_i gets
// `copies` noisy copies x~ = x_i + sigma z with z standard normal, and the target of x~ is the
// score of the Gaussian kernel at it, -z / sigma. Convex DSM fits and non-convex DSM training
// both read this, so that they minimise the same objective on the same numbers.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <Eigen/Dense>

namespace convexscore {

struct DenoisingData1D {
  double sigma = 0.0;
  int copies = 0;
  std::vector<double> inputs;   // x~, point-major: copy c of point i at index i * copies + c
  std::vector<double> targets;  // -z / sigma, same order
};

// Draws z from one std::mt19937_64 seeded with `seed`, through data/portable_random.h, in the
// order of `inputs`, so (x, sigma, copies, seed) gives the same numbers with any standard
// library. Throws Error when x is empty or not finite, sigma is not finite and positive, or
// copies < 1.
DenoisingData1D MakeDenoisingData1D(std::span<const double> x, double sigma, int copies,
                                    std::uint64_t seed);

struct DenoisingDataND {
  double sigma = 0.0;
  int copies = 0;
  Eigen::MatrixXd inputs;   // (n * copies) x d, point-major as above
  Eigen::MatrixXd targets;  // (n * copies) x d
};

// The d-dimensional form: z has d independent coordinates, drawn row by row, coordinate by
// coordinate. Errors as above (x with no rows or no columns is empty).
DenoisingDataND MakeDenoisingDataND(const Eigen::MatrixXd& x, double sigma, int copies,
                                    std::uint64_t seed);

}  // namespace convexscore
