// Unadjusted Langevin sampling from a d-dimensional score network (theory.md section 5):
//   x <- x + (eps / 2) f(x) + sqrt(eps) z,   z ~ N(0, I_d),
// plain and annealed (eps_i = eps (sigma_i / sigma_L)^2, AnnealedStepSizes in langevin.h),
// with the options, starts, threading and error reporting of the 1-D samplers (langevin.h).
//
// Reproducibility: particle i draws from its own stream ParticleStream(seed, i): its start
// (uniform and gaussian: one draw per coordinate in coordinate order; data: one uniform draw
// picking a row of init.points), then per step one normal per coordinate in coordinate order.
// The score is evaluated by NetworkND::Score, so the samples are bit-for-bit the same for any
// number of threads.
//
// A chain fails when a coordinate becomes NaN, infinite or larger in magnitude than
// kLangevinDivergenceBound: by then the chain has escaped, and a few more steps would
// overflow. The message names the step, the level and the particle, as in 1-D.
#pragma once

#include <span>

#include <Eigen/Dense>

#include "convexscore/model/network_nd.h"
#include "convexscore/sampling/langevin.h"

namespace convexscore {

struct LangevinResultND {
  Eigen::MatrixXd samples;          // particles x d: final positions, particle i in row i
  LangevinSummary summary;          // sample_mean / sample_variance unused (0)
  Eigen::VectorXd sample_mean;      // per coordinate
  Eigen::VectorXd sample_variance;  // per coordinate, mean form (divides by N)
};

// Throws Error for invalid options (as SampleLangevin), an invalid network
// (NetworkND::Validate), a data start whose points are missing, not finite or of another
// dimension than the network, and a diverging chain.
LangevinResultND SampleLangevinND(const NetworkND& score, const LangevinOptions& options);

struct NoiseLevelScoreND {
  double sigma = 1.0;
  NetworkND score;
};

// Annealed Langevin over the levels in the given order (decreasing sigma); every level's
// network must have the same dimension. Errors as above; a failure names the level.
LangevinResultND SampleAnnealedLangevinND(std::span<const NoiseLevelScoreND> levels,
                                          const LangevinOptions& options);

}  // namespace convexscore
