// Distances between a univariate sample and another sample or a law known in closed form
// (metrics/known_laws.h). Samples need not be sorted; every function sorts a copy. Every
// function throws Error for an empty sample or a NaN or infinite value.
//
// Estimators, with F_n and G_m the empirical CDFs of x (n points) and y (m points) and F the
// law's CDF:
//   W1      integral |F_n - G_m| dx (or |F_n - F|): the exact W1 between the empirical laws
//           (or the empirical law and the law), in O(n log n); no tuning, biased upwards as an
//           estimate of W1 between the underlying laws (E W1(F_n, F) ~ n^{-1/2}).
//   KS      sup |F_n - G_m| (or |F_n - F|), exact.
//   energy  D^2 = 2 E|X - Y| - E|X - X'| - E|Y - Y'| with all three expectations over the
//           empirical laws (the V-statistic), which in 1-D equals 2 integral (F_n - G_m)^2 dx
//           and is computed that way in O(n log n); against a law the expectations over Y are
//           closed forms. The V-statistic is >= 0 and biased upwards by E|X - X'|/n +
//           E|Y - Y'|/m.
//   KL      KL(P || Q) from a sample of P and the density q of Q:
//           KL = -H(P) - E_P log q(X), with H(P) estimated by the Kozachenko-Leonenko k-nearest-
//           neighbour estimator H = psi(n) - psi(k) + log 2 + (1/n) sum_i log eps_i (eps_i the
//           distance from x_i to its k-th nearest other point) and E_P log q by the sample mean.
//           Consistent for k fixed or growing slowly; see docs/data.md for bias and variance.
//   Fisher  E_P (s_model(X) - s_true(X))^2, the sample mean.
#pragma once

#include <functional>
#include <span>

#include "convexscore/metrics/known_laws.h"

namespace convexscore {

double Wasserstein1(std::span<const double> x, std::span<const double> y);
double Wasserstein1(std::span<const double> x, const UnivariateLaw& law);

double KolmogorovSmirnov(std::span<const double> x, std::span<const double> y);
double KolmogorovSmirnov(std::span<const double> x, const UnivariateLaw& law);

double EnergyDistance(std::span<const double> x, std::span<const double> y);
double EnergyDistance(std::span<const double> x, const UnivariateLaw& law);

// The Kozachenko-Leonenko entropy estimate (nats) with k neighbours, 1 <= k < n. Throws Error
// when some point has k other points at distance 0 (repeated values: no density).
double KozachenkoLeonenkoEntropy(std::span<const double> x, int k);

// The number of neighbours KlDivergence uses by default for n points: round(sqrt(n) / 4),
// at least 1 and at most n - 1 (see docs/data.md for why).
int DefaultKlNeighbours(std::size_t n);

// KL(sample's law || law) as above; +inf when a sample lies where the law's density is 0.
// k = 0 means DefaultKlNeighbours(n). Needs n >= 2.
double KlDivergence(std::span<const double> x, const UnivariateLaw& law, int k = 0);

// E (model(X) - truth(X))^2 over the sample.
double FisherDivergence(std::span<const double> x, const std::function<double(double)>& model,
                        const std::function<double(double)>& truth);

// digamma(x) for x > 0 (the k-NN entropy constants).
double Digamma(double x);

}  // namespace convexscore
