// Seeded synthetic univariate data. The random engine is std::mt19937_64, whose output the C++
// standard fixes; the transforms to uniform, normal and Laplace draws are written here (the
// standard library's distributions differ between implementations), so a (kind, n, seed)
// triple gives the same numbers with any conforming standard library.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace convexscore {

// kind: "gaussian"  standard normal N(0, 1);
//       "mixture"   0.4 N(-2, 0.5^2) + 0.6 N(1.5, 0.7^2);
//       "laplace"   Laplace(location 0, scale 1).
// Throws Error for an unknown kind or n < 2.
std::vector<double> Generate1D(std::string_view kind, int n, std::uint64_t seed);

// The kinds Generate1D accepts, for help texts and validation.
const std::vector<std::string_view>& GeneratorKinds();

}  // namespace convexscore
