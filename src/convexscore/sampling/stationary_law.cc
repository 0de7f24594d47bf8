#include "convexscore/sampling/stationary_law.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "convexscore/common.h"
#include "convexscore/io/numbers.h"
#include "convexscore/sampling/piecewise_score.h"
#include "convexscore/sampling/special_functions.h"

namespace convexscore {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kEpsilon = std::numeric_limits<double>::epsilon();
// Quadratures stop where log p has fallen this far below its value at the segment's start:
// what lies beyond is below exp(-80) ~ 2e-35 of the segment's mass even when it is long.
constexpr double kMaxDrop = 80.0;
constexpr int kRuleNodes = 12;

const GaussLegendreRule& Rule() {
  static const GaussLegendreRule rule = MakeGaussLegendreRule(kRuleNodes);
  return rule;
}

// A stretch of one piece over which the log-density falls away from its anchor:
//   log p(anchor + direction s) = log_at_anchor - h s + (curvature / 2) s^2,  s in [0, length],
// with h >= 0 and the right-hand side non-increasing in s. Every integral over part of a
// piece is a sum of at most two such segments (split at the vertex of the parabola).
struct Segment {
  double anchor = 0.0;
  double direction = 1.0;
  double log_at_anchor = 0.0;
  double h = 0.0;
  double curvature = 0.0;
  double length = 0.0;
};

// Where -h s + (c/2) s^2 has fallen by `drop`: the smaller root of (c/2) s^2 - h s + drop = 0,
// written 2 drop / (h + sqrt(h^2 - 2 c drop)) so that it does not cancel.
double DistanceAtDrop(double h, double curvature, double drop) {
  return 2.0 * drop / (h + std::sqrt(std::max(0.0, h * h - 2.0 * curvature * drop)));
}

// Gauss-Legendre nodes for the integral of exp(-h s + (c/2) s^2) over [0, length]: the interval
// is cut where the exponent has fallen by 1, 2, ... so each part sees a variation of at most
// 1 (where 12 nodes are exact to rounding), up to kMaxDrop. visit(s, weight) gets each node
// with its weight times the integrand.
template <class Visit>
void ForEachNode(double h, double curvature, double length, Visit&& visit) {
  const GaussLegendreRule& rule = Rule();
  const double drop_at_end =
      std::isinf(length) ? kInfinity : h * length - 0.5 * curvature * length * length;
  const double last_drop = std::min(drop_at_end, kMaxDrop);
  double start = 0.0;
  for (int k = 1;; ++k) {
    const bool last = k >= last_drop;
    double end = last && drop_at_end <= kMaxDrop
                     ? length
                     : DistanceAtDrop(h, curvature, last ? kMaxDrop : k);
    end = std::min(end, length);
    const double half = 0.5 * (end - start), middle = 0.5 * (end + start);
    for (int i = 0; i < kRuleNodes; ++i) {
      const double s = middle + half * rule.nodes[i];
      visit(s, half * rule.weights[i] * std::exp(s * (0.5 * curvature * s - h)));
    }
    if (last) break;
    start = end;
  }
}

// log of the integral of exp(-h s + (c/2) s^2) over [0, length], for a non-increasing exponent.
double LogDecreasingIntegral(double h, double curvature, double length) {
  if (!(length > 0.0)) return -kInfinity;
  if (curvature == 0.0) {  // exponential (or flat) piece
    if (h == 0.0) return std::log(length);
    if (std::isinf(length)) return -std::log(h);
    return std::log(-std::expm1(-h * length)) - std::log(h);
  }
  const double drop =
      std::isinf(length) ? kInfinity : h * length - 0.5 * curvature * length * length;
  if (curvature < 0.0 && drop > 1.0) {
    // Gaussian piece. With lambda = -c, alpha = h / sqrt(lambda), beta = alpha +
    // sqrt(lambda) length and M the normal Mills ratio, the integral is
    //   (M(alpha) - exp(-drop) M(beta)) / sqrt(lambda),
    // because (beta^2 - alpha^2) / 2 = drop. M is decreasing and drop > 1, so the difference
    // keeps at least 1 - 1/e of M(alpha): no cancellation.
    const double root = std::sqrt(-curvature);
    const double alpha = h / root;
    double value = NormalMillsRatio(alpha);
    if (!std::isinf(length)) value -= std::exp(-drop) * NormalMillsRatio(alpha + root * length);
    return std::log(value) - std::log(root);
  }
  double sum = 0.0;
  ForEachNode(h, curvature, length, [&](double, double weight) { sum += weight; });
  return std::log(sum);
}

using Piece = StationaryLaw1D::Piece;

// F(x) on the piece, expanded about its reference point (where it is known exactly).
double UnnormalisedLog(const Piece& piece, double x) {
  const double d = x - piece.reference;
  const double score_at_reference = piece.slope * piece.reference + piece.intercept;
  return piece.log_at_reference + d * (score_at_reference + 0.5 * piece.slope * d);
}

Segment MakeSegment(const Piece& piece, double anchor, double direction, double end,
                    bool at_vertex) {
  Segment segment;
  segment.anchor = anchor;
  segment.direction = direction;
  segment.log_at_anchor = UnnormalisedLog(piece, anchor);
  // The exponent's rate of fall at the anchor; exactly 0 at a vertex, and never negative
  // from rounding.
  segment.h =
      at_vertex ? 0.0 : std::max(0.0, -direction * (piece.slope * anchor + piece.intercept));
  segment.curvature = piece.slope;
  segment.length = std::abs(end - anchor);
  return segment;
}

// The segments covering [lo, hi] inside the piece: from the maximum of F on [lo, hi] outwards.
template <class Visit>
void ForEachSegment(const Piece& piece, double lo, double hi, Visit&& visit) {
  if (!(lo < hi)) return;
  const double slope = piece.slope, intercept = piece.intercept;
  if (slope < 0.0) {  // F concave: its maximum is the vertex, clamped to [lo, hi]
    const double vertex = -intercept / slope;
    if (vertex <= lo) {
      visit(MakeSegment(piece, lo, 1.0, hi, false));
    } else if (vertex >= hi) {
      visit(MakeSegment(piece, hi, -1.0, lo, false));
    } else {
      visit(MakeSegment(piece, vertex, -1.0, lo, true));
      visit(MakeSegment(piece, vertex, 1.0, hi, true));
    }
  } else if (slope > 0.0) {  // F convex: largest at the ends, smallest at the vertex
    const double vertex = -intercept / slope;
    if (vertex <= lo) {
      visit(MakeSegment(piece, hi, -1.0, lo, false));
    } else if (vertex >= hi) {
      visit(MakeSegment(piece, lo, 1.0, hi, false));
    } else {
      visit(MakeSegment(piece, lo, 1.0, vertex, false));
      visit(MakeSegment(piece, hi, -1.0, vertex, false));
    }
  } else if (intercept > 0.0 || (intercept == 0.0 && std::isinf(lo))) {  // F increasing
    visit(MakeSegment(piece, hi, -1.0, lo, false));
  } else {
    visit(MakeSegment(piece, lo, 1.0, hi, false));
  }
}

// log of the integral of exp(F) over [lo, hi], a part of the piece.
double LogIntegral(const Piece& piece, double lo, double hi) {
  double result = -kInfinity;
  ForEachSegment(piece, lo, hi, [&](const Segment& segment) {
    result =
        LogAddExp(result, segment.log_at_anchor +
                              LogDecreasingIntegral(segment.h, segment.curvature, segment.length));
  });
  return result;
}

// The x in the piece where the log-mass of [lower, x] (from_left) or of [x, upper] equals
// log_target: safeguarded Newton on that monotone function, whose derivative is
// +-exp(F(x) - G(x)).
double SolveInPiece(const Piece& piece, double log_target, bool from_left) {
  const auto log_mass = [&](double x) {
    return from_left ? LogIntegral(piece, piece.lower, x) : LogIntegral(piece, x, piece.upper);
  };
  const double sign = from_left ? 1.0 : -1.0;
  const auto root_is_right_of = [&](double log_mass_at_x) {
    return sign * (log_mass_at_x - log_target) < 0.0;
  };
  const double scale = piece.slope != 0.0       ? 1.0 / std::sqrt(std::abs(piece.slope))
                       : piece.intercept != 0.0 ? 1.0 / std::abs(piece.intercept)
                                                : 1.0;
  double lo = piece.lower, hi = piece.upper;
  // Finite brackets for infinite ends, by doubling away from the reference point.
  for (double width = scale; std::isinf(hi) && width < kInfinity; width *= 2.0) {
    const double candidate = piece.reference + width;
    if (!root_is_right_of(log_mass(candidate))) {
      hi = candidate;
    } else {
      lo = std::max(lo, candidate);
    }
  }
  for (double width = scale; std::isinf(lo) && width < kInfinity; width *= 2.0) {
    const double candidate = piece.reference - width;
    if (root_is_right_of(log_mass(candidate))) {
      lo = candidate;
    } else {
      hi = std::min(hi, candidate);
    }
  }
  double x = 0.5 * lo + 0.5 * hi;
  for (int iteration = 0; iteration < 200; ++iteration) {
    const double log_mass_at_x = log_mass(x);
    const double difference = log_mass_at_x - log_target;
    if (difference == 0.0) return x;
    if (root_is_right_of(log_mass_at_x)) {
      lo = x;
    } else {
      hi = x;
    }
    const double derivative = sign * std::exp(UnnormalisedLog(piece, x) - log_mass_at_x);
    double next = x - difference / derivative;
    if (!(next > lo && next < hi)) next = 0.5 * lo + 0.5 * hi;
    if (std::abs(next - x) <= 2.0 * kEpsilon * std::abs(next) || next == lo || next == hi) {
      return next;
    }
    x = next;
  }
  return x;
}

std::string LineText(double slope, double intercept) {
  std::string text = "f(x) = " + FormatDouble(slope, 6) + " x";
  text +=
      intercept < 0.0 ? " - " + FormatDouble(-intercept, 6) : " + " + FormatDouble(intercept, 6);
  return text;
}

}  // namespace

StationaryLawCheck CheckStationaryLaw(const PiecewiseLinear1D& score) {
  ValidatePiecewiseLinear1D(score);
  const double left_slope = score.slopes.front(), left_intercept = score.intercepts.front();
  const double right_slope = score.slopes.back(), right_intercept = score.intercepts.back();
  // The density decays on the left if f -> +inf there (negative slope) or f is a positive
  // constant; on the right if f -> -inf or f is a negative constant.
  const bool left_decays = left_slope < 0.0 || (left_slope == 0.0 && left_intercept > 0.0);
  const bool right_decays = right_slope < 0.0 || (right_slope == 0.0 && right_intercept < 0.0);
  StationaryLawCheck check;
  check.normalisable = left_decays && right_decays;
  if (check.normalisable) return check;
  if (score.kinks.empty()) {
    check.reason = "the score " + LineText(left_slope, left_intercept) +
                   " has no kinks and a slope >= 0, so exp(integral of f) does not decay " +
                   (left_decays    ? "to the right"
                    : right_decays ? "to the left"
                                   : "on either side");
    return check;
  }
  const std::string left = "on x < " + FormatDouble(score.kinks.front(), 6) + " the score is " +
                           LineText(left_slope, left_intercept) +
                           ", which does not stay positive as x -> -inf, so the density does "
                           "not decay to the left";
  const std::string right = "on x >= " + FormatDouble(score.kinks.back(), 6) + " the score is " +
                            LineText(right_slope, right_intercept) +
                            ", which does not stay negative as x -> +inf, so the density does "
                            "not decay to the right";
  check.reason = !left_decays && !right_decays ? left + "; " + right : !left_decays ? left : right;
  return check;
}

StationaryLaw1D::StationaryLaw1D(const PiecewiseLinear1D& score) : score_(score) {
  const StationaryLawCheck check = CheckStationaryLaw(score);
  if (!check.normalisable) throw Error("the stationary law is not normalisable: " + check.reason);

  const std::vector<double>& kinks = score.kinks;
  const std::size_t kink_count = kinks.size();
  pieces_.resize(kink_count + 1);
  for (std::size_t p = 0; p <= kink_count; ++p) {
    Piece& piece = pieces_[p];
    piece.lower = p == 0 ? -kInfinity : kinks[p - 1];
    piece.upper = p == kink_count ? kInfinity : kinks[p];
    piece.slope = score.slopes[p];
    piece.intercept = score.intercepts[p];
  }

  if (kink_count == 0) {
    // A Gaussian (the check above ensures a negative slope): reference at its mode.
    pieces_[0].reference = -pieces_[0].intercept / pieces_[0].slope;
  } else {
    // F relative to an anchor point in piece `anchor_piece` (F = 0 there): at the kinks
    // bounding that piece from its own formula, at the others by adding each piece's rise
    // (exact for linear f) outward. Every value carries rounding of the size of the values
    // added up between it and the anchor, so the anchor goes where F is largest: a kink, or
    // the vertex inside a piece of negative slope. Each piece is then expanded about its end
    // nearest the anchor. (Anchored far away, e.g. at a kink that training pushed out to 1e69,
    // F near the data would be a difference of numbers of size 1e138.)
    const auto rise = [&](std::size_t p, double from, double to) {
      const Piece& piece = pieces_[p];
      const double d = to - from;
      return d * (piece.slope * from + piece.intercept + 0.5 * piece.slope * d);
    };
    const auto log_at_kinks = [&](std::size_t anchor_piece, double anchor) {
      std::vector<double> values(kink_count, 0.0);
      if (anchor_piece < kink_count) {
        values[anchor_piece] = rise(anchor_piece, anchor, kinks[anchor_piece]);
      }
      for (std::size_t j = anchor_piece + 1; j < kink_count; ++j) {
        values[j] = values[j - 1] + rise(j, kinks[j - 1], kinks[j]);
      }
      if (anchor_piece > 0) {
        values[anchor_piece - 1] = rise(anchor_piece, anchor, kinks[anchor_piece - 1]);
        for (std::size_t j = anchor_piece - 1; j-- > 0;) {
          values[j] = values[j + 1] + rise(j + 1, kinks[j + 1], kinks[j]);
        }
      }
      return values;
    };
    // Where F is largest among the kinks and the interior vertices, given F at the kinks.
    const auto largest = [&](const std::vector<double>& values, std::size_t& piece, double& point) {
      const std::size_t best = static_cast<std::size_t>(
          std::max_element(values.begin(), values.end()) - values.begin());
      double best_value = values[best];
      piece = best;  // kink `best` is the upper end of piece `best`
      point = kinks[best];
      for (std::size_t p = 0; p <= kink_count; ++p) {
        const Piece& candidate = pieces_[p];
        if (!(candidate.slope < 0.0)) continue;
        const double vertex = -candidate.intercept / candidate.slope;
        if (!(vertex > candidate.lower && vertex < candidate.upper)) continue;
        const double value = p < kink_count ? values[p] + rise(p, kinks[p], vertex)
                                            : values[p - 1] + rise(p, kinks[p - 1], vertex);
        if (value > best_value) {
          best_value = value;
          piece = p;
          point = vertex;
        }
      }
    };
    std::size_t anchor_piece = 0;
    double anchor = kinks[0];
    std::vector<double> log_at = log_at_kinks(anchor_piece, anchor);
    // Each pass makes the values near its anchor accurate, and that is where the maximum is.
    for (int pass = 0; pass < 3; ++pass) {
      std::size_t piece = 0;
      double point = 0.0;
      largest(log_at, piece, point);
      if (piece == anchor_piece && point == anchor) break;
      anchor_piece = piece;
      anchor = point;
      log_at = log_at_kinks(anchor_piece, anchor);
    }
    for (std::size_t p = 0; p <= kink_count; ++p) {
      if (p == anchor_piece) {
        pieces_[p].reference = anchor;
        pieces_[p].log_at_reference = 0.0;
      } else {
        const std::size_t kink = p < anchor_piece ? p : p - 1;
        pieces_[p].reference = kinks[kink];
        pieces_[p].log_at_reference = log_at[kink];
      }
    }
  }

  std::vector<double> log_masses;
  for (Piece& piece : pieces_) {
    piece.log_mass = LogIntegral(piece, piece.lower, piece.upper);
    log_masses.push_back(piece.log_mass);
  }
  log_normaliser_ = LogSumExp(log_masses);
  if (!std::isfinite(log_normaliser_)) {
    throw Error(
        "the stationary law's normalising constant is not representable in double "
        "precision (log Z = " +
        FormatDouble(log_normaliser_) + ")");
  }
  log_mass_before_.assign(pieces_.size(), -kInfinity);
  log_mass_after_.assign(pieces_.size(), -kInfinity);
  for (std::size_t p = 1; p < pieces_.size(); ++p) {
    log_mass_before_[p] = LogAddExp(log_mass_before_[p - 1], pieces_[p - 1].log_mass);
  }
  for (std::size_t p = pieces_.size() - 1; p-- > 0;) {
    log_mass_after_[p] = LogAddExp(log_mass_after_[p + 1], pieces_[p + 1].log_mass);
  }

  // Moments: quadrature nodes of every segment, weighted by the normalised density; the
  // variance about the mean in a second pass (no cancellation of E[x^2] - E[x]^2).
  const auto for_each_weighted_point = [&](auto&& visit) {
    for (const Piece& piece : pieces_) {
      ForEachSegment(piece, piece.lower, piece.upper, [&](const Segment& segment) {
        const double scale = std::exp(segment.log_at_anchor - log_normaliser_);
        ForEachNode(segment.h, segment.curvature, segment.length, [&](double s, double weight) {
          visit(segment.anchor + segment.direction * s, weight * scale);
        });
      });
    }
  };
  // Divided by the quadrature's own total mass, which differs from 1 (the closed-form
  // normaliser) by rounding: far from the origin that difference would otherwise shift the
  // mean by |mean| times it.
  double mass = 0.0, mean = 0.0;
  for_each_weighted_point([&](double x, double probability) {
    mass += probability;
    mean += x * probability;
  });
  mean /= mass;
  double variance = 0.0;
  for_each_weighted_point(
      [&](double x, double probability) { variance += (x - mean) * (x - mean) * probability; });
  mean_ = mean;
  variance_ = variance / mass;
}

std::size_t StationaryLaw1D::Locate(double x) const {
  return static_cast<std::size_t>(std::upper_bound(score_.kinks.begin(), score_.kinks.end(), x) -
                                  score_.kinks.begin());
}

double StationaryLaw1D::LogDensity(double x) const {
  if (std::isnan(x)) return x;
  if (std::isinf(x)) return -kInfinity;
  return UnnormalisedLog(pieces_[Locate(x)], x) - log_normaliser_;
}

double StationaryLaw1D::Density(double x) const { return std::exp(LogDensity(x)); }

double StationaryLaw1D::Cdf(double x) const {
  if (std::isnan(x)) return x;
  if (x == -kInfinity) return 0.0;
  if (x == kInfinity) return 1.0;
  const std::size_t p = Locate(x);
  const Piece& piece = pieces_[p];
  const double log_mass = LogAddExp(log_mass_before_[p], LogIntegral(piece, piece.lower, x));
  return std::min(1.0, std::exp(log_mass - log_normaliser_));
}

double StationaryLaw1D::Survival(double x) const {
  if (std::isnan(x)) return x;
  if (x == -kInfinity) return 1.0;
  if (x == kInfinity) return 0.0;
  const std::size_t p = Locate(x);
  const Piece& piece = pieces_[p];
  const double log_mass = LogAddExp(log_mass_after_[p], LogIntegral(piece, x, piece.upper));
  return std::min(1.0, std::exp(log_mass - log_normaliser_));
}

double StationaryLaw1D::Quantile(double probability) const {
  if (std::isnan(probability) || probability < 0.0 || probability > 1.0) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (probability == 0.0) return -kInfinity;
  if (probability == 1.0) return kInfinity;
  const std::size_t last = pieces_.size() - 1;
  // The lower half is solved from the left, the upper half from the right (1 - p is exact
  // there), so both tails keep their relative accuracy.
  const bool from_left = probability <= 0.5;
  const double log_target = std::log(from_left ? probability : 1.0 - probability) + log_normaliser_;
  std::size_t p = 0;
  double log_outside = -kInfinity;  // mass of the pieces between the tail and piece p
  if (from_left) {
    p = 0;
    while (p < last && LogAddExp(log_mass_before_[p], pieces_[p].log_mass) < log_target) ++p;
    log_outside = log_mass_before_[p];
  } else {
    p = last;
    while (p > 0 && LogAddExp(log_mass_after_[p], pieces_[p].log_mass) < log_target) --p;
    log_outside = log_mass_after_[p];
  }
  const double log_in_piece = log_outside < log_target
                                  ? log_target + std::log1p(-std::exp(log_outside - log_target))
                                  : -kInfinity;
  const Piece& piece = pieces_[p];
  if (log_in_piece == -kInfinity) return from_left ? piece.lower : piece.upper;
  if (log_in_piece >= piece.log_mass) return from_left ? piece.upper : piece.lower;
  return SolveInPiece(piece, log_in_piece, from_left);
}

std::vector<double> StationaryLaw1D::Sample(std::int64_t count, std::uint64_t seed) const {
  if (count < 0) throw Error("the number of samples must not be negative");
  Xoshiro256StarStar rng(seed);
  std::vector<double> samples(static_cast<std::size_t>(count));
  for (double& x : samples) x = Sample(rng);
  return samples;
}

std::vector<double> StationaryLaw1D::PieceProbabilities() const {
  std::vector<double> probabilities;
  for (const Piece& piece : pieces_) {
    probabilities.push_back(std::exp(piece.log_mass - log_normaliser_));
  }
  return probabilities;
}

}  // namespace convexscore
