// The stationary law of Langevin dynamics for a univariate piecewise-linear score f
// (theory.md section 5): the density p(x) = exp(F(x)) / Z with F' = f. On each piece of f,
// F is quadratic, so the piece of the law is
//   - a (truncated) Gaussian where the slope of f is negative,
//   - an exponential (or, where f = 0, uniform) piece where the slope is zero,
//   - a convex "anti-Gaussian" piece where the slope is positive (only between two kinks).
// Z is the sum of the pieces' masses, each computed in closed form and in logs: Gaussian
// pieces through the normal Mills ratio (the scaled erfc, exact in the far tails),
// exponential pieces through expm1. Two kinds of piece have no stable elementary form and are
// integrated by Gauss-Legendre rules (12 nodes) on sub-intervals over which log p changes by
// at most 1, which is exact to rounding: convex pieces (their closed form needs Dawson's
// function) and pieces over which log p changes by less than 1 (where the closed forms would
// cancel). The mean and variance are such quadratures over every piece.
//
// The law exists when the outer pieces decay: on the left f must tend to +inf (slope < 0) or
// be a positive constant, on the right tend to -inf or be a negative constant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convexscore/model/network1d.h"
#include "convexscore/sampling/random.h"

namespace convexscore {

struct StationaryLawCheck {
  bool normalisable = false;
  std::string reason;  // why not, one line ("" when normalisable)
};

// Whether exp(integral of f) is integrable. Throws Error for a malformed score (sizes,
// unsorted or non-finite kinks, non-finite coefficients).
StationaryLawCheck CheckStationaryLaw(const PiecewiseLinear1D& score);

class StationaryLaw1D {
 public:
  // Throws Error for a malformed score, and Error("the stationary law is not normalisable:
  // REASON") when it does not exist.
  explicit StationaryLaw1D(const PiecewiseLinear1D& score);

  double LogDensity(double x) const;
  double Density(double x) const;
  double Cdf(double x) const;
  double Survival(double x) const;  // 1 - Cdf(x), with full relative accuracy in the right tail
  // The x with Cdf(x) = p (the left end of the set if there are several); -inf for p = 0,
  // +inf for p = 1, NaN outside [0, 1]. Accurate to a few ulps of x in either tail.
  double Quantile(double p) const;

  double Mean() const { return mean_; }
  double Variance() const { return variance_; }
  // log Z where the unnormalised log-density F is 0 where it is largest (a kink, or the vertex
  // of a Gaussian piece): reported for checks, not meaningful alone.
  double LogNormaliser() const { return log_normaliser_; }

  // Independent draws by inversion: Quantile(u) with u uniform on (0, 1).
  double Sample(Xoshiro256StarStar& rng) const { return Quantile(rng.UniformOpen()); }
  std::vector<double> Sample(std::int64_t count, std::uint64_t seed) const;

  // The probability of each piece of the score, left to right (kinks.size() + 1 entries).
  std::vector<double> PieceProbabilities() const;
  const PiecewiseLinear1D& score() const { return score_; }

  // One linear piece of f on [lower, upper] with F's value at a finite reference point.
  struct Piece {
    double lower = 0.0, upper = 0.0;
    double slope = 0.0, intercept = 0.0;  // f(x) = slope x + intercept
    double reference = 0.0;               // finite point of [lower, upper] (an end if finite)
    double log_at_reference = 0.0;        // F(reference), unnormalised
    double log_mass = 0.0;                // log of the integral of exp(F) over the piece
  };
  const std::vector<Piece>& pieces() const { return pieces_; }

 private:
  std::size_t Locate(double x) const;

  PiecewiseLinear1D score_;
  std::vector<Piece> pieces_;
  std::vector<double> log_mass_before_;  // log of the mass of the pieces left of piece k
  std::vector<double> log_mass_after_;   // ... right of piece k
  double log_normaliser_ = 0.0;
  double mean_ = 0.0;
  double variance_ = 0.0;
};

}  // namespace convexscore
