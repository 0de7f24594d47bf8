// Laws known in closed form, built from distribution specs (data/distribution_spec.h): what the
// metrics compare samples against. A univariate law gives its density, CDF, quantiles, score and
// the two integrals the exact W1 and energy distance need; the d-dimensional Gaussian mixture
// gives its log-density and score.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Dense>

#include "convexscore/data/distribution_spec.h"

namespace convexscore {

class UnivariateLaw {
 public:
  // gaussian, laplace, uniform, mixture, and gmm-d with d = 1. Throws Error("'SPEC' ...") for
  // the 2-D shapes and gmm-d with d > 1.
  static UnivariateLaw FromSpec(const DistributionSpec& spec);

  double Density(double x) const;
  double LogDensity(double x) const;  // -inf outside the support (uniform); no underflow in tails
  double Cdf(double x) const;
  double Quantile(double p) const;    // inverse CDF for 0 < p < 1
  double Mean() const;
  // E[(x - Y)^+] = integral of the CDF from -inf to x. (E[(Y - x)^+] is this minus x - Mean.)
  double LowerPartialMoment(double x) const;
  // E|Y - Y'| for independent Y, Y' from the law (the Gini mean difference).
  double MeanAbsoluteDifference() const;

  // The score d/dx log p(x) exists everywhere except on a null set for the Gaussian mixtures
  // and Laplace (at x = LOCATION it returns 0, the midpoint of the one-sided derivatives). The
  // uniform law has none: its log-density is -inf outside [LO, HI].
  bool HasScore() const;
  double Score(double x) const;  // throws Error when !HasScore()

  const std::string& spec_text() const { return spec_text_; }

 private:
  enum class Family { kNormalMixture, kLaplace, kUniform };

  // Quantile by bisection inside [lo, hi], where Cdf(lo) <= p <= Cdf(hi).
  double QuantileInBracket(double p, double lo, double hi) const;

  Family family_ = Family::kNormalMixture;
  std::string spec_text_;
  std::vector<NormalComponent> normals_;  // kNormalMixture (weights sum to 1)
  double location_ = 0.0, scale_ = 1.0;   // kLaplace
  double lo_ = 0.0, hi_ = 1.0;            // kUniform
};

// A Gaussian mixture with diagonal covariances in d dimensions (gmm-d; gaussian and mixture
// are accepted as its d = 1 case).
class GaussianMixtureLaw {
 public:
  // Throws Error("'SPEC' ...") for a spec that is not a Gaussian or Gaussian mixture.
  static GaussianMixtureLaw FromSpec(const DistributionSpec& spec);

  int Dimension() const { return static_cast<int>(components_.front().mean.size()); }
  double LogDensity(const Eigen::VectorXd& x) const;
  Eigen::VectorXd Score(const Eigen::VectorXd& x) const;  // gradient of LogDensity

 private:
  // log(w_c N(x; mean_c, diag(sd_c^2))) for every component c.
  Eigen::VectorXd ComponentLogTerms(const Eigen::VectorXd& x) const;

  std::vector<DiagonalNormalComponent> components_;
};

}  // namespace convexscore
