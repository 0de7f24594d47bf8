// Distribution specs: one short text names a law and its parameters, shared by the generators
// (data/generators.h), the known densities, CDFs and scores of the metrics
// (metrics/known_laws.h) and every command that takes --target or a generator.
//
// Syntax: NAME or NAME:PARAMETERS. Numbers use C syntax whatever the locale; spaces around
// numbers are ignored. Without parameters each law takes the defaults shown.
//
//   gaussian[:MEAN:SD]            N(MEAN, SD^2)                          default gaussian:0:1
//   laplace[:LOCATION:SCALE]      density exp(-|x - LOCATION| / SCALE) / (2 SCALE)
//                                                                         default laplace:0:1
//   uniform[:LO:HI]               uniform on [LO, HI], LO < HI           default uniform:0:1
//   mixture[:W,MEAN,SD;W,MEAN,SD;...]
//                                 Gaussian mixture in 1-D; weights W > 0 are relative (divided
//                                 by their sum)      default mixture:0.4,-2,0.5;0.6,1.5,0.7
//   moons[:NOISE]                 2-D two moons: unit half circles (cos t, sin t) and
//                                 (1 - cos t, 1/2 - sin t), t uniform on [0, pi], the two moons
//                                 alternating, plus N(0, NOISE^2) per coordinate  default 0
//   circle[:RADIUS[:NOISE]]       2-D: angle uniform on [0, 2 pi), plus N(0, NOISE^2) per
//                                 coordinate                             default circle:1:0
//   spiral[:POINTS[:NOISE]]       2-D: the spiral of the paper (shared/theory.md section 7):
//                                 base points j = 0, ..., POINTS-1 at angle phi_j = j pi / 20
//                                 and radius r_j = 10 (POINTS - j) / POINTS (0-based, so radii
//                                 run from 10 down to 10 / POINTS and no point sits at the
//                                 origin); draw i is base point i mod POINTS plus N(0, NOISE^2)
//                                 per coordinate. default spiral:100:0, the paper's 100 points
//   gmm-d:W,M1/.../Md,SD;...      Gaussian mixture in d dimensions with diagonal covariance:
//                                 mean vector M1/.../Md, SD a single standard deviation or one
//                                 per coordinate S1/.../Sd; every component has the same d
//
// The ';' of mixtures must be quoted in a shell: --target 'mixture:0.5,-1,0.3;0.5,1,0.3'.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <Eigen/Dense>

namespace convexscore {

struct GaussianSpec {
  double mean = 0.0;
  double sd = 1.0;
};

struct LaplaceSpec {
  double location = 0.0;
  double scale = 1.0;
};

struct UniformSpec {
  double lo = 0.0;
  double hi = 1.0;
};

struct NormalComponent {
  double weight = 1.0;  // normalised: the weights of a mixture sum to 1
  double mean = 0.0;
  double sd = 1.0;
};

struct MixtureSpec {
  std::vector<NormalComponent> components;
};

struct MoonsSpec {
  double noise = 0.0;
};

struct CircleSpec {
  double radius = 1.0;
  double noise = 0.0;
};

struct SpiralSpec {
  int points = 100;
  double noise = 0.0;
};

struct DiagonalNormalComponent {
  double weight = 1.0;   // normalised
  Eigen::VectorXd mean;  // d
  Eigen::VectorXd sd;    // d, per coordinate
};

struct GaussianMixtureSpec {
  std::vector<DiagonalNormalComponent> components;
};

using DistributionParameters =
    std::variant<GaussianSpec, LaplaceSpec, UniformSpec, MixtureSpec, MoonsSpec, CircleSpec,
                 SpiralSpec, GaussianMixtureSpec>;

struct DistributionSpec {
  std::string text;  // the spec as written (for reports)
  DistributionParameters parameters;

  std::string_view Name() const;  // "gaussian", ..., "gmm-d"
  int Dimension() const;          // 1 for the univariate laws, 2 for the shapes, d for gmm-d
};

// Parses a spec. Throws Error with one line, "invalid distribution spec 'TEXT': reason", for an
// empty or unknown name, a wrong number of parameters, a parameter that is not a finite
// number, a non-positive SD, SCALE, RADIUS or weight, LO >= HI, a negative NOISE, a POINTS that
// is not a positive integer, or gmm-d components of different dimensions.
DistributionSpec ParseDistributionSpec(std::string_view text);

// The names ParseDistributionSpec accepts, in the order of the table above.
const std::vector<std::string_view>& DistributionNames();

}  // namespace convexscore
