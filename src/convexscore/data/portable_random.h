// Random draws that mean the same numbers with any conforming standard library: the engine is
// std::mt19937_64 (its output is fixed by the C++ standard) and the transforms to uniform,
// normal and Laplace draws are written here, because the standard library's distributions
// differ between implementations. Only std::log, std::cos and std::sqrt come from libm.
#pragma once

#include <random>

namespace convexscore {

// Uniform on the open interval (0, 1): the top 53 bits, offset by half a step so neither end is
// reached (the transforms take logarithms).
double OpenUniform(std::mt19937_64& engine);

// Standard normal by Box-Muller, cosine branch only: exactly two uniforms per draw keeps the
// stream position a simple function of the number of draws.
double StandardNormal(std::mt19937_64& engine);

// Laplace(0, 1) by its inverse CDF: one uniform per draw.
double StandardLaplace(std::mt19937_64& engine);

}  // namespace convexscore
