// Tests of the univariate two-layer network: evaluation, the kink conventions, the
// score-matching objective and the piecewise-linear form. Every expected value is computed by
// hand (exact rational arithmetic, shown in the comments) or by an independent method (finite
// differences, direct evaluation), never by the code under test.

#include "convexscore/model/network1d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace convexscore {
namespace {

// f(x) = 0.5 relu(2x - 1) - 3 relu(1 - x) + 0.25 + 0.1 x   (kinks at 0.5 and 1).
// The pre-activations 2*0.5 - 1 and -1*1 + 1 are exactly 0 in floating point, so the
// convention relu'(0) = 1 is exercised at x = 0.5 and x = 1.
Network1D HandRelu() {
  Network1D net;
  net.activation = Activation::kRelu;
  net.neurons = {{2.0, -1.0, 0.5}, {-1.0, 1.0, -3.0}};
  net.output_bias = 0.25;
  net.skip = 0.1;
  return net;
}

// g(x) = 2 |x - 0.5| - |2 - 2x| - 0.5   (kinks at 0.5 and 1, no skip).
// abs'(0) = sign(0) = +1 applies to the pre-activation: the derivative of a * |w x + b| at its
// kink is a * w, so for the second neuron (w = -2, a = -1) it is +2 at x = 1.
Network1D HandAbs() {
  Network1D net;
  net.activation = Activation::kAbs;
  net.neurons = {{1.0, -0.5, 2.0}, {-2.0, 2.0, -1.0}};
  net.output_bias = -0.5;
  net.skip = 0.0;
  return net;
}

TEST(Network1DTest, ReluScoreByHand) {
  const Network1D net = HandRelu();
  // x = 0:   0.5*relu(-1) - 3*relu(1) + 0.25 + 0        = -2.75
  // x = 0.5: 0.5*relu(0)  - 3*relu(0.5) + 0.25 + 0.05   = -1.2
  // x = 1:   0.5*relu(1)  - 3*relu(0) + 0.25 + 0.1      =  0.85
  // x = 2:   0.5*relu(3)  - 3*relu(-1) + 0.25 + 0.2     =  1.95
  // x = -4:  0 - 3*5 + 0.25 - 0.4                       = -15.15
  EXPECT_NEAR(net.Score(0.0), -2.75, 1e-14);
  EXPECT_NEAR(net.Score(0.5), -1.2, 1e-14);
  EXPECT_NEAR(net.Score(1.0), 0.85, 1e-14);
  EXPECT_NEAR(net.Score(2.0), 1.95, 1e-14);
  EXPECT_NEAR(net.Score(-4.0), -15.15, 1e-13);
}

TEST(Network1DTest, ReluDerivativeByHandIncludingReluPrimeOfZeroIsOne) {
  const Network1D net = HandRelu();
  // f'(x) = 0.5*2*1[2x-1 >= 0] + (-3)*(-1)*1[1-x >= 0] + 0.1
  EXPECT_NEAR(net.ScoreDerivative(0.0), 3.1, 1e-14);   // 0 + 3 + 0.1
  EXPECT_NEAR(net.ScoreDerivative(0.5), 4.1, 1e-14);   // relu'(0) = 1: 1 + 3 + 0.1
  EXPECT_NEAR(net.ScoreDerivative(1.0), 4.1, 1e-14);   // relu'(0) = 1: 1 + 3 + 0.1
  EXPECT_NEAR(net.ScoreDerivative(2.0), 1.1, 1e-14);   // 1 + 0 + 0.1
  EXPECT_NEAR(net.ScoreDerivative(-7.0), 3.1, 1e-14);  // 0 + 3 + 0.1
  // Just beside the kinks, on their inactive sides.
  EXPECT_NEAR(net.ScoreDerivative(0.5 - 1e-9), 3.1, 1e-14);
  EXPECT_NEAR(net.ScoreDerivative(1.0 + 1e-9), 1.1, 1e-14);
}

TEST(Network1DTest, AbsScoreByHand) {
  const Network1D net = HandAbs();
  // x = 0:   2*0.5 - 2 - 0.5 = -1.5;  x = 0.5: 0 - 1 - 0.5 = -1.5
  // x = 1:   2*0.5 - 0 - 0.5 =  0.5;  x = 3:   5 - 4 - 0.5 =  0.5
  EXPECT_NEAR(net.Score(0.0), -1.5, 1e-14);
  EXPECT_NEAR(net.Score(0.5), -1.5, 1e-14);
  EXPECT_NEAR(net.Score(1.0), 0.5, 1e-14);
  EXPECT_NEAR(net.Score(3.0), 0.5, 1e-14);
  EXPECT_NEAR(net.Score(0.75), -0.5, 1e-14);  // 0.5 - 0.5 - 0.5
  EXPECT_NEAR(net.Score(-100.0), -1.5, 1e-12);
  EXPECT_NEAR(net.Score(100.0), 0.5, 1e-12);
}

TEST(Network1DTest, AbsDerivativeByHandIncludingSignOfZeroIsPlusOne) {
  const Network1D net = HandAbs();
  // g'(x) = 2*1*sign(x - 0.5) + (-1)*(-2)*sign(2 - 2x), sign(0) = +1
  EXPECT_NEAR(net.ScoreDerivative(0.0), 0.0, 1e-14);   // -2 + 2
  EXPECT_NEAR(net.ScoreDerivative(0.5), 4.0, 1e-14);   // sign(0)=+1: 2 + 2
  EXPECT_NEAR(net.ScoreDerivative(1.0), 4.0, 1e-14);   // 2 + 2*sign(0) = 2 + 2
  EXPECT_NEAR(net.ScoreDerivative(3.0), 0.0, 1e-14);   // 2 - 2
  EXPECT_NEAR(net.ScoreDerivative(0.5 - 1e-9), 0.0, 1e-14);
  EXPECT_NEAR(net.ScoreDerivative(1.0 + 1e-9), 0.0, 1e-14);
}

TEST(Network1DTest, ScoreMatchingObjectiveReluByHand) {
  const Network1D net = HandRelu();
  const std::vector<double> x = {0.0, 0.5, 1.0, 2.0};
  // f  = -2.75, -1.2, 0.85, 1.95;  f' = 3.1, 4.1, 4.1, 1.1
  // mean f' = 3.1;  mean f^2/2 = (7.5625 + 1.44 + 0.7225 + 3.8025)/8 = 1.6909375
  // (beta/2) sum (w^2 + a^2) = 0.15 * (4 + 0.25 + 1 + 9) = 2.1375
  // J = 3.1 + 1.6909375 + 2.1375 = 6.9284375 (= 22171/3200)
  EXPECT_NEAR(ScoreMatchingObjective(net, x, 0.3), 6.9284375, 1e-13);
  // With repeated points (ties count with their multiplicity), including at both kinks:
  // x = {0, .5, .5, 1, 2, 2, 2}: J = 5137/800 = 6.42125.
  const std::vector<double> x_ties = {0.0, 0.5, 0.5, 1.0, 2.0, 2.0, 2.0};
  EXPECT_NEAR(ScoreMatchingObjective(net, x_ties, 0.3), 6.42125, 1e-13);
  // The weight decay is linear in beta: J(beta=0) = 6.9284375 - 2.1375.
  EXPECT_NEAR(ScoreMatchingObjective(net, x, 0.0), 4.7909375, 1e-13);
}

TEST(Network1DTest, ScoreMatchingObjectiveAbsByHand) {
  const Network1D net = HandAbs();
  const std::vector<double> x = {0.0, 0.5, 1.0, 3.0};
  // g = -1.5, -1.5, 0.5, 0.5;  g' = 0, 4, 4, 0;  mean g' = 2;  mean g^2/2 = 2.5/4 = 0.625
  // (beta/2) sum (w^2 + a^2) = 0.25 * (1 + 4 + 4 + 1) = 2.5;  J = 5.125
  EXPECT_NEAR(ScoreMatchingObjective(net, x, 0.5), 5.125, 1e-13);
}

TEST(Network1DTest, EmptyNetworkIsAffine) {
  Network1D net;
  net.output_bias = 0.5;
  net.skip = -2.0;
  EXPECT_NEAR(net.Score(3.0), -5.5, 1e-15);
  EXPECT_NEAR(net.ScoreDerivative(3.0), -2.0, 1e-15);
  EXPECT_TRUE(net.Kinks().empty());
  // J = mean(-2) + mean((0.5 - 2x)^2)/2 on x = {0, 1}: -2 + (0.25 + 2.25)/4 = -1.375
  const std::vector<double> x = {0.0, 1.0};
  EXPECT_NEAR(ScoreMatchingObjective(net, x, 0.7), -1.375, 1e-15);
  const PiecewiseLinear1D pl = ToPiecewiseLinear(net);
  EXPECT_TRUE(pl.kinks.empty());
  ASSERT_EQ(pl.slopes.size(), 1u);
  ASSERT_EQ(pl.intercepts.size(), 1u);
  EXPECT_NEAR(pl(10.0), -19.5, 1e-13);
  EXPECT_NEAR(pl(-10.0), 20.5, 1e-13);
}

TEST(Network1DTest, KinksAreSortedAndSkipZeroWeights) {
  Network1D net;
  net.activation = Activation::kRelu;
  // kinks -b/w: 1.5, -2, (none: w = 0), 0.25, -0.75
  net.neurons = {{2.0, -3.0, 1.0}, {-1.0, -2.0, 0.5}, {0.0, 1.0, 4.0}, {4.0, -1.0, -1.0},
                 {-4.0, -3.0, 2.0}};
  const std::vector<double> kinks = net.Kinks();
  const std::vector<double> expected = {-2.0, -0.75, 0.25, 1.5};
  ASSERT_EQ(kinks.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(kinks[i], expected[i], 1e-15) << i;
  EXPECT_TRUE(std::is_sorted(kinks.begin(), kinks.end()));
  // A zero-weight neuron contributes the constant a * act(b) = 4 * relu(1) = 4.
  // f(0) = 1*relu(-3) + 0.5*relu(-2) + 4 + (-1)*relu(-1) + 2*relu(-3) = 4
  EXPECT_NEAR(net.Score(0.0), 4.0, 1e-15);
  net.activation = Activation::kAbs;
  // f(0) = 3 + 0.5*2 + 4*1 - 1*1 + 2*3 = 13
  EXPECT_NEAR(net.Score(0.0), 13.0, 1e-14);
}

// The header promises strictly increasing kinks t_1 < ... < t_K: neurons sharing a kink (as a
// left and a right ramp at the same data point do in fitted networks) give one kink.
TEST(Network1DTest, PiecewiseLinearMergesCoincidingKinks) {
  Network1D net;
  net.activation = Activation::kRelu;
  // 1.5 relu(x - 1) - 0.5 relu(1 - x) + relu(2x - 2): all three kinks at x = 1.
  net.neurons = {{1.0, -1.0, 1.5}, {-1.0, 1.0, -0.5}, {2.0, -2.0, 1.0}};
  const PiecewiseLinear1D pl = ToPiecewiseLinear(net);
  ASSERT_EQ(pl.kinks.size(), 1u);
  EXPECT_EQ(pl.kinks[0], 1.0);
  ASSERT_EQ(pl.slopes.size(), 2u);
  // left of 1: -0.5 * (1 - x) -> slope 0.5;  right of 1: 1.5 + 2 = 3.5
  EXPECT_NEAR(pl.slopes[0], 0.5, 1e-15);
  EXPECT_NEAR(pl.slopes[1], 3.5, 1e-15);
  EXPECT_NEAR(pl(0.0), -0.5, 1e-15);
  EXPECT_NEAR(pl(3.0), 7.0, 1e-15);  // 1.5*2 + 0 + 4
}

// ---------------------------------------------------------------------------------------------
// Random networks: derivative vs finite differences, piecewise-linear form vs direct evaluation.

double Uniform(std::mt19937_64& rng) {  // portable uniform in [0, 1)
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

Network1D RandomNetwork(std::uint64_t seed, Activation activation, int width, bool with_skip) {
  std::mt19937_64 rng(seed);
  Network1D net;
  net.activation = activation;
  for (int j = 0; j < width; ++j) {
    Neuron1D neuron;
    neuron.w = 4.0 * Uniform(rng) - 2.0;
    if (j % 7 == 3) neuron.w = 0.0;  // a few constant neurons
    const double kink = 6.0 * Uniform(rng) - 3.0;
    neuron.b = -neuron.w * kink + (neuron.w == 0.0 ? Uniform(rng) - 0.5 : 0.0);
    neuron.a = 4.0 * Uniform(rng) - 2.0;
    net.neurons.push_back(neuron);
  }
  net.output_bias = Uniform(rng) - 0.5;
  net.skip = with_skip ? Uniform(rng) - 0.5 : 0.0;
  return net;
}

double Magnitude(const Network1D& net) {  // bounds |f'| everywhere
  double m = std::abs(net.skip);
  for (const Neuron1D& n : net.neurons) m += std::abs(n.a * n.w);
  return m;
}

class Network1DRandomTest : public ::testing::TestWithParam<Activation> {};

TEST_P(Network1DRandomTest, DerivativeMatchesCentralDifferencesAwayFromKinks) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const Network1D net = RandomNetwork(seed, GetParam(), 3 + static_cast<int>(seed) % 9,
                                        seed % 2 == 0);
    const std::vector<double> kinks = net.Kinks();
    const double h = 1e-6;
    const double tol = 1e-7 * (1.0 + Magnitude(net));
    int checked = 0;
    for (double x = -5.0; x <= 5.0; x += 0.0137) {
      bool near_kink = false;
      for (double k : kinks) near_kink = near_kink || std::abs(x - k) < 10 * h;
      if (near_kink) continue;
      const double fd = (net.Score(x + h) - net.Score(x - h)) / (2 * h);
      ASSERT_NEAR(net.ScoreDerivative(x), fd, tol) << "seed " << seed << " x " << x;
      ++checked;
    }
    EXPECT_GT(checked, 500);
  }
}

TEST_P(Network1DRandomTest, PiecewiseLinearFormMatchesScore) {
  for (std::uint64_t seed = 100; seed < 120; ++seed) {
    const Network1D net = RandomNetwork(seed, GetParam(), 1 + static_cast<int>(seed) % 13,
                                        seed % 3 != 0);
    const PiecewiseLinear1D pl = ToPiecewiseLinear(net);
    ASSERT_EQ(pl.slopes.size(), pl.kinks.size() + 1);
    ASSERT_EQ(pl.intercepts.size(), pl.kinks.size() + 1);
    for (size_t i = 1; i < pl.kinks.size(); ++i) ASSERT_LT(pl.kinks[i - 1], pl.kinks[i]);
    // Every kink of the piecewise-linear form is a kink of a neuron.
    const std::vector<double> neuron_kinks = net.Kinks();
    for (double t : pl.kinks) {
      double nearest = INFINITY;
      for (double k : neuron_kinks) nearest = std::min(nearest, std::abs(t - k));
      EXPECT_LE(nearest, 1e-12 * (1.0 + std::abs(t))) << "seed " << seed;
    }
    const double mag = Magnitude(net);
    auto check = [&](double x) {
      const double tol = 1e-11 * (1.0 + std::abs(x)) * (1.0 + mag) + 1e-11 * std::abs(net.Score(x));
      ASSERT_NEAR(pl(x), net.Score(x), tol) << "seed " << seed << " x " << x;
    };
    for (double x = -4.0; x <= 4.0; x += 0.001) check(x);  // dense grid over all kinks
    for (double t : neuron_kinks) {                       // at and beside each kink
      check(t);
      check(t - 1e-7);
      check(t + 1e-7);
    }
    for (double x : {-1e6, -1e3, -50.0, 50.0, 1e3, 1e6}) check(x);  // far outside
    // The slope of each piece is the derivative inside it.
    for (size_t i = 0; i + 1 < pl.kinks.size(); ++i) {
      const double mid = 0.5 * (pl.kinks[i] + pl.kinks[i + 1]);
      EXPECT_NEAR(pl.slopes[i + 1], net.ScoreDerivative(mid), 1e-11 * (1.0 + mag));
    }
    if (!pl.kinks.empty()) {
      EXPECT_NEAR(pl.slopes.front(), net.ScoreDerivative(pl.kinks.front() - 1.0),
                  1e-11 * (1.0 + mag));
      EXPECT_NEAR(pl.slopes.back(), net.ScoreDerivative(pl.kinks.back() + 1.0),
                  1e-11 * (1.0 + mag));
    }
  }
}

TEST_P(Network1DRandomTest, ScoreMatchingObjectiveMatchesDirectSum) {
  // The objective against its definition, evaluated here term by term.
  for (std::uint64_t seed = 200; seed < 210; ++seed) {
    const Network1D net = RandomNetwork(seed, GetParam(), 5, true);
    std::mt19937_64 rng(seed);
    std::vector<double> x;
    for (int i = 0; i < 37; ++i) x.push_back(std::round(40.0 * Uniform(rng) - 20.0) / 8.0);
    const double beta = 0.37;
    double sum = 0.0;
    for (double xi : x) {
      double f = net.output_bias + net.skip * xi, df = net.skip;
      for (const Neuron1D& n : net.neurons) {
        const double z = n.w * xi + n.b;
        if (net.activation == Activation::kRelu) {
          f += n.a * std::max(z, 0.0);
          df += z >= 0.0 ? n.a * n.w : 0.0;
        } else {
          f += n.a * std::abs(z);
          df += n.a * n.w * (z >= 0.0 ? 1.0 : -1.0);
        }
      }
      sum += df + 0.5 * f * f;
    }
    double decay = 0.0;
    for (const Neuron1D& n : net.neurons) decay += n.w * n.w + n.a * n.a;
    const double expected = sum / static_cast<double>(x.size()) + 0.5 * beta * decay;
    EXPECT_NEAR(ScoreMatchingObjective(net, x, beta), expected,
                1e-12 * std::max(1.0, std::abs(expected)))
        << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Activations, Network1DRandomTest,
                         ::testing::Values(Activation::kRelu, Activation::kAbs),
                         [](const ::testing::TestParamInfo<Activation>& info) {
                           return std::string(ActivationName(info.param));
                         });

}  // namespace
}  // namespace convexscore
