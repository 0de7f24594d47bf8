// Seeded synthetic data. The random engine is std::mt19937_64, whose output the C++ standard
// fixes; the transforms to uniform, normal and Laplace draws are our own
// (data/portable_random.h), so a (spec, n, seed) triple gives the same numbers with any
// conforming standard library.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <Eigen/Dense>

#include "convexscore/data/distribution_spec.h"

namespace convexscore {

// kind: "gaussian"  standard normal N(0, 1);
//       "mixture"   0.4 N(-2, 0.5^2) + 0.6 N(1.5, 0.7^2);
//       "laplace"   Laplace(location 0, scale 1).
// The same numbers as GenerateFromSpec with the spec `kind` (these are its defaults).
// Throws Error for an unknown kind or n < 2.
std::vector<double> Generate1D(std::string_view kind, int n, std::uint64_t seed);

// The kinds Generate1D accepts, for help texts and validation.
const std::vector<std::string_view>& GeneratorKinds();

// n draws from `spec` (data/distribution_spec.h), one per row: an n x spec.Dimension() matrix.
// One engine runs through the draws in order and n does not change the stream, so a longer run
// starts with the shorter one. The
// shapes (moons, circle, spiral) draw their noise even when NOISE is 0, so a noisy set is the
// clean set of the same seed plus noise. Throws Error when n < 1.
Eigen::MatrixXd GenerateFromSpec(const DistributionSpec& spec, int n, std::uint64_t seed);

// GenerateFromSpec for a 1-D spec, as a vector. Throws Error when the spec is not 1-D.
std::vector<double> GenerateFromSpec1D(const DistributionSpec& spec, int n, std::uint64_t seed);

}  // namespace convexscore
