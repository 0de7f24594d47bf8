#include "convexscore/metrics/known_laws.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <variant>

#include "convexscore/common.h"

namespace convexscore {
namespace {

constexpr double kLogSqrtTwoPi = 0.91893853320467274178;  // log(sqrt(2 pi))

double NormalPdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi); }
double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

// E|Z| for Z ~ N(m, s^2).
double NormalMeanAbsolute(double m, double s) {
  return 2.0 * s * NormalPdf(m / s) + m * (2.0 * NormalCdf(m / s) - 1.0);
}

// log(sum exp(terms)) without overflow or underflow.
double LogSumExp(const Eigen::VectorXd& terms) {
  const double top = terms.maxCoeff();
  if (!std::isfinite(top)) return top;
  return top + std::log((terms.array() - top).exp().sum());
}

std::vector<NormalComponent> NormalsOf(const DistributionSpec& spec) {
  if (const auto* gaussian = std::get_if<GaussianSpec>(&spec.parameters)) {
    return {NormalComponent{1.0, gaussian->mean, gaussian->sd}};
  }
  if (const auto* mixture = std::get_if<MixtureSpec>(&spec.parameters)) {
    return mixture->components;
  }
  return {};
}

}  // namespace

UnivariateLaw UnivariateLaw::FromSpec(const DistributionSpec& spec) {
  UnivariateLaw law;
  law.spec_text_ = spec.text;
  if (const auto* laplace = std::get_if<LaplaceSpec>(&spec.parameters)) {
    law.family_ = Family::kLaplace;
    law.location_ = laplace->location;
    law.scale_ = laplace->scale;
  } else if (const auto* uniform = std::get_if<UniformSpec>(&spec.parameters)) {
    law.family_ = Family::kUniform;
    law.lo_ = uniform->lo;
    law.hi_ = uniform->hi;
  } else if (const auto* gmm = std::get_if<GaussianMixtureSpec>(&spec.parameters);
             gmm != nullptr && spec.Dimension() == 1) {
    law.family_ = Family::kNormalMixture;
    for (const DiagonalNormalComponent& c : gmm->components) {
      law.normals_.push_back({c.weight, c.mean(0), c.sd(0)});
    }
  } else {
    law.normals_ = NormalsOf(spec);
    if (law.normals_.empty()) {
      throw Error("'" + spec.text + "' is " + std::to_string(spec.Dimension()) +
                  "-dimensional" + (spec.Dimension() == 2 ? " with no closed-form density" : "") +
                  "; a univariate law (gaussian, laplace, uniform, mixture) is needed here");
    }
  }
  return law;
}

double UnivariateLaw::Density(double x) const {
  return std::exp(LogDensity(x));
}

double UnivariateLaw::LogDensity(double x) const {
  switch (family_) {
    case Family::kLaplace:
      return -std::log(2.0 * scale_) - std::abs(x - location_) / scale_;
    case Family::kUniform:
      return x >= lo_ && x <= hi_ ? -std::log(hi_ - lo_)
                                  : -std::numeric_limits<double>::infinity();
    case Family::kNormalMixture: {
      Eigen::VectorXd terms(static_cast<Eigen::Index>(normals_.size()));
      for (std::size_t k = 0; k < normals_.size(); ++k) {
        const NormalComponent& c = normals_[k];
        const double z = (x - c.mean) / c.sd;
        terms(static_cast<Eigen::Index>(k)) =
            std::log(c.weight) - std::log(c.sd) - kLogSqrtTwoPi - 0.5 * z * z;
      }
      return LogSumExp(terms);
    }
  }
  return 0.0;
}

double UnivariateLaw::Cdf(double x) const {
  switch (family_) {
    case Family::kLaplace: {
      const double u = (x - location_) / scale_;
      return u < 0 ? 0.5 * std::exp(u) : 1.0 - 0.5 * std::exp(-u);
    }
    case Family::kUniform:
      return std::clamp((x - lo_) / (hi_ - lo_), 0.0, 1.0);
    case Family::kNormalMixture: {
      double cdf = 0.0;
      for (const NormalComponent& c : normals_) cdf += c.weight * NormalCdf((x - c.mean) / c.sd);
      return std::min(cdf, 1.0);
    }
  }
  return 0.0;
}

double UnivariateLaw::QuantileInBracket(double p, double lo, double hi) const {
  // Bisection: the CDFs here are monotone but a mixture's may be nearly flat between
  // components, where Newton steps would be unreliable. Stops when the bracket cannot shrink.
  for (int iteration = 0; iteration < 2000; ++iteration) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    (Cdf(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

double UnivariateLaw::Quantile(double p) const {
  if (!(p > 0.0 && p < 1.0)) {
    throw Error("quantile of '" + spec_text_ + "': need 0 < p < 1");
  }
  switch (family_) {
    case Family::kLaplace:
      return p < 0.5 ? location_ + scale_ * std::log(2.0 * p)
                     : location_ - scale_ * std::log(2.0 * (1.0 - p));
    case Family::kUniform:
      return lo_ + p * (hi_ - lo_);
    case Family::kNormalMixture: {
      // Every component's CDF is 0 or 1 in double precision beyond 40 SDs from its mean.
      double lo = std::numeric_limits<double>::infinity();
      double hi = -lo;
      for (const NormalComponent& c : normals_) {
        lo = std::min(lo, c.mean - 40.0 * c.sd);
        hi = std::max(hi, c.mean + 40.0 * c.sd);
      }
      return QuantileInBracket(p, lo, hi);
    }
  }
  return 0.0;
}

double UnivariateLaw::Mean() const {
  switch (family_) {
    case Family::kLaplace: return location_;
    case Family::kUniform: return 0.5 * (lo_ + hi_);
    case Family::kNormalMixture: {
      double mean = 0.0;
      for (const NormalComponent& c : normals_) mean += c.weight * c.mean;
      return mean;
    }
  }
  return 0.0;
}

double UnivariateLaw::LowerPartialMoment(double x) const {
  switch (family_) {
    case Family::kLaplace: {
      const double u = (x - location_) / scale_;
      return u < 0 ? 0.5 * scale_ * std::exp(u) : (x - location_) + 0.5 * scale_ * std::exp(-u);
    }
    case Family::kUniform:
      if (x <= lo_) return 0.0;
      if (x >= hi_) return x - 0.5 * (lo_ + hi_);
      return 0.5 * (x - lo_) * (x - lo_) / (hi_ - lo_);
    case Family::kNormalMixture: {
      // For N(m, s^2): E[(x - Y)^+] = s (z Phi(z) + phi(z)) with z = (x - m) / s.
      double moment = 0.0;
      for (const NormalComponent& c : normals_) {
        const double z = (x - c.mean) / c.sd;
        moment += c.weight * c.sd * (z * NormalCdf(z) + NormalPdf(z));
      }
      return moment;
    }
  }
  return 0.0;
}

double UnivariateLaw::MeanAbsoluteDifference() const {
  switch (family_) {
    case Family::kLaplace: return 1.5 * scale_;
    case Family::kUniform: return (hi_ - lo_) / 3.0;
    case Family::kNormalMixture: {
      // Y - Y' given the components (j, k) is N(m_j - m_k, s_j^2 + s_k^2).
      double mad = 0.0;
      for (const NormalComponent& a : normals_) {
        for (const NormalComponent& b : normals_) {
          mad += a.weight * b.weight *
                 NormalMeanAbsolute(a.mean - b.mean, std::hypot(a.sd, b.sd));
        }
      }
      return mad;
    }
  }
  return 0.0;
}

bool UnivariateLaw::HasScore() const { return family_ != Family::kUniform; }

double UnivariateLaw::Score(double x) const {
  switch (family_) {
    case Family::kLaplace:
      return x > location_ ? -1.0 / scale_ : x < location_ ? 1.0 / scale_ : 0.0;
    case Family::kUniform:
      throw Error("'" + spec_text_ +
                  "' has no score: the log-density of a uniform law is -inf outside [LO, HI]");
    case Family::kNormalMixture: {
      // Responsibilities r_k = w_k N_k(x) / p(x), formed in the log domain for the far tails.
      Eigen::VectorXd terms(static_cast<Eigen::Index>(normals_.size()));
      for (std::size_t k = 0; k < normals_.size(); ++k) {
        const NormalComponent& c = normals_[k];
        const double z = (x - c.mean) / c.sd;
        terms(static_cast<Eigen::Index>(k)) = std::log(c.weight) - std::log(c.sd) - 0.5 * z * z;
      }
      const double total = LogSumExp(terms);
      double score = 0.0;
      for (std::size_t k = 0; k < normals_.size(); ++k) {
        const NormalComponent& c = normals_[k];
        score += std::exp(terms(static_cast<Eigen::Index>(k)) - total) * (c.mean - x) /
                 (c.sd * c.sd);
      }
      return score;
    }
  }
  return 0.0;
}

GaussianMixtureLaw GaussianMixtureLaw::FromSpec(const DistributionSpec& spec) {
  GaussianMixtureLaw law;
  if (const auto* gmm = std::get_if<GaussianMixtureSpec>(&spec.parameters)) {
    law.components_ = gmm->components;
  } else {
    for (const NormalComponent& c : NormalsOf(spec)) {
      law.components_.push_back(
          {c.weight, Eigen::VectorXd::Constant(1, c.mean), Eigen::VectorXd::Constant(1, c.sd)});
    }
  }
  if (law.components_.empty()) {
    throw Error("'" + spec.text + "' is not a Gaussian mixture (gaussian, mixture or gmm-d)");
  }
  return law;
}

Eigen::VectorXd GaussianMixtureLaw::ComponentLogTerms(const Eigen::VectorXd& x) const {
  if (x.size() != Dimension()) {
    throw Error("a " + std::to_string(x.size()) + "-dimensional point for a " +
                std::to_string(Dimension()) + "-dimensional Gaussian mixture");
  }
  Eigen::VectorXd terms(static_cast<Eigen::Index>(components_.size()));
  for (std::size_t k = 0; k < components_.size(); ++k) {
    const DiagonalNormalComponent& c = components_[k];
    const Eigen::ArrayXd z = (x - c.mean).array() / c.sd.array();
    terms(static_cast<Eigen::Index>(k)) = std::log(c.weight) - c.sd.array().log().sum() -
                                          Dimension() * kLogSqrtTwoPi - 0.5 * z.square().sum();
  }
  return terms;
}

double GaussianMixtureLaw::LogDensity(const Eigen::VectorXd& x) const {
  return LogSumExp(ComponentLogTerms(x));
}

Eigen::VectorXd GaussianMixtureLaw::Score(const Eigen::VectorXd& x) const {
  const Eigen::VectorXd terms = ComponentLogTerms(x);
  const double total = LogSumExp(terms);
  Eigen::VectorXd score = Eigen::VectorXd::Zero(x.size());
  for (std::size_t k = 0; k < components_.size(); ++k) {
    const DiagonalNormalComponent& c = components_[k];
    const double responsibility = std::exp(terms(static_cast<Eigen::Index>(k)) - total);
    score.array() += responsibility * (c.mean - x).array() / c.sd.array().square();
  }
  return score;
}

}  // namespace convexscore
