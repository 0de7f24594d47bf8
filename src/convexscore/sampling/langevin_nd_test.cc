// Tests of the d-D Langevin samplers: the chains are the update the header specifies (written
// out here step by step), bit-identical for any thread count, with the right stationary law
// for a linear score; starts, errors and divergence reports.

#include "convexscore/sampling/langevin_nd.h"

#include <cmath>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/common.h"
#include "convexscore/sampling/random.h"
#include "testutil/error_of.h"
#include "testutil/langevin_options.h"

namespace convexscore {
namespace {

using ::testing::HasSubstr;
using testutil::ErrorOf;

// f(x) = -(x - mu) built from ReLU pairs: relu(x_k - mu_k) (-e_k) + relu(mu_k - x_k) e_k, so
// that the neurons (not only the skip term) carry the score. Stationary law about N(mu, I).
NetworkND CenteringNetwork(const Eigen::VectorXd& mu) {
  const Eigen::Index d = mu.size();
  NetworkND net = NetworkND::Zero(Activation::kRelu, static_cast<int>(d));
  net.w = RowMatrixXd::Zero(2 * d, d);
  net.a = RowMatrixXd::Zero(2 * d, d);
  net.b.resize(2 * d);
  for (Eigen::Index k = 0; k < d; ++k) {
    net.w(2 * k, k) = 1.0;
    net.b[2 * k] = -mu[k];
    net.a(2 * k, k) = -1.0;
    net.w(2 * k + 1, k) = -1.0;
    net.b[2 * k + 1] = mu[k];
    net.a(2 * k + 1, k) = 1.0;
  }
  return net;
}

// A score with a nonlinear, rotating part: abs units in several directions plus -x.
NetworkND WigglyNetwork() {
  NetworkND net = NetworkND::Zero(Activation::kAbs, 2);
  net.w = RowMatrixXd{{1.0, 0.5}, {-0.3, 1.0}, {0.7, -0.7}};
  net.b = Eigen::Vector3d(0.2, -0.4, 0.1);
  net.a = RowMatrixXd{{0.3, -0.2}, {-0.1, 0.4}, {0.25, 0.25}};
  net.output_bias = Eigen::Vector2d(0.1, -0.3);
  net.skip = -Eigen::MatrixXd::Identity(2, 2);
  return net;
}

LangevinOptions Options(std::int64_t particles, std::int64_t steps, double step_size,
                        int threads = 1) {
  return testutil::MakeLangevinOptions(particles, steps, step_size, threads, 2024);
}

// Particle i written out as the header specifies it, for a uniform or gaussian start. Returns
// the final position, or the 0-based global step at which a coordinate left the bound.
struct HandChain {
  std::vector<double> x;
  std::int64_t escaped_at = -1;
};
HandChain RunHandChain(const std::vector<const NetworkND*>& levels,
                       const std::vector<double>& step_sizes, const LangevinOptions& options,
                       std::uint64_t particle) {
  Xoshiro256StarStar rng = ParticleStream(options.seed, particle);
  NormalSource normal;
  const int d = levels[0]->dimension();
  HandChain chain;
  chain.x.resize(d);
  for (int k = 0; k < d; ++k) {
    chain.x[k] = options.init.kind == LangevinInit::Kind::kUniform
                     ? options.init.low + (options.init.high - options.init.low) * rng.Uniform()
                     : options.init.mean + options.init.sd * normal.Next(rng);
  }
  std::vector<double> f(d);
  for (std::size_t l = 0; l < levels.size(); ++l) {
    for (std::int64_t t = 0; t < options.steps; ++t) {
      levels[l]->Score(chain.x.data(), f.data());
      for (int k = 0; k < d; ++k) {
        chain.x[k] = chain.x[k] + (0.5 * step_sizes[l]) * f[k] +
                     std::sqrt(step_sizes[l]) * normal.Next(rng);
        if (!(std::abs(chain.x[k]) <= kLangevinDivergenceBound) && chain.escaped_at < 0) {
          chain.escaped_at = static_cast<std::int64_t>(l) * options.steps + t;
        }
      }
      if (chain.escaped_at >= 0) return chain;
    }
  }
  return chain;
}

TEST(LangevinNDTest, ChainsAreTheSpecifiedUpdate) {
  const NetworkND net = WigglyNetwork();
  LangevinOptions options = Options(5, 30, 0.1);
  options.init = LangevinInit::Gaussian(0.5, 2.0);
  const LangevinResultND result = SampleLangevinND(net, options);
  ASSERT_EQ(result.samples.rows(), 5);
  ASSERT_EQ(result.samples.cols(), 2);
  for (std::uint64_t i = 0; i < 5; ++i) {
    const HandChain chain = RunHandChain({&net}, {0.1}, options, i);
    EXPECT_EQ(result.samples(i, 0), chain.x[0]) << "particle " << i;
    EXPECT_EQ(result.samples(i, 1), chain.x[1]) << "particle " << i;
  }
  EXPECT_EQ(result.summary.particle_steps, 150);
  EXPECT_EQ(result.summary.step_sizes, std::vector<double>{0.1});
  EXPECT_TRUE(result.summary.sigmas.empty());
}

TEST(LangevinNDTest, AnnealedChainsUseTheScaledStepAtEachLevel) {
  const NetworkND first = WigglyNetwork();
  const NetworkND last = CenteringNetwork(Eigen::Vector2d(1.0, -1.0));
  const std::vector<NoiseLevelScoreND> levels = {{1.0, first}, {0.5, last}};
  LangevinOptions options = Options(4, 10, 0.02);
  options.init = LangevinInit::Uniform(-2.0, 2.0);
  const LangevinResultND result = SampleAnnealedLangevinND(levels, options);
  // eps_1 = eps (1 / 0.5)^2 = 0.08, eps_2 = eps.
  EXPECT_EQ(result.summary.step_sizes, (std::vector<double>{0.08, 0.02}));
  EXPECT_EQ(result.summary.sigmas, (std::vector<double>{1.0, 0.5}));
  for (std::uint64_t i = 0; i < 4; ++i) {
    const HandChain chain = RunHandChain({&first, &last}, {0.08, 0.02}, options, i);
    EXPECT_EQ(result.samples(i, 0), chain.x[0]);
    EXPECT_EQ(result.samples(i, 1), chain.x[1]);
  }
}

TEST(LangevinNDTest, SamplesDoNotDependOnTheThreadCount) {
  const NetworkND net = WigglyNetwork();
  LangevinOptions options = Options(3001, 50, 0.05);  // not a multiple of any chunk size
  options.init = LangevinInit::Uniform(-3.0, 3.0);
  const Eigen::MatrixXd one = SampleLangevinND(net, options).samples;
  for (int threads : {2, 3, 0}) {
    options.threads = threads;
    EXPECT_TRUE(SampleLangevinND(net, options).samples == one) << threads << " threads";
  }
  const std::vector<NoiseLevelScoreND> levels = {{2.0, net}, {0.7, net}};
  options.threads = 1;
  const Eigen::MatrixXd annealed_one = SampleAnnealedLangevinND(levels, options).samples;
  options.threads = 2;
  EXPECT_TRUE(SampleAnnealedLangevinND(levels, options).samples == annealed_one);
  options.seed += 1;
  EXPECT_FALSE(SampleAnnealedLangevinND(levels, options).samples == annealed_one);
}

TEST(LangevinNDTest, LinearScoreGivesItsGaussianLaw) {
  // f = -(x - mu): the chain is x' = (1 - eps/2) x + eps/2 mu + sqrt(eps) z, whose stationary
  // law is N(mu, I / (1 - eps/4)), independent coordinates. 400 steps of eps = 0.05 are ten
  // relaxation times (2 / eps = 40 steps) from the box start.
  const Eigen::Vector3d mu(1.0, -2.0, 0.5);
  LangevinOptions options = Options(20000, 400, 0.05, 2);
  options.init = LangevinInit::Uniform(-4.0, 4.0);
  const LangevinResultND result = SampleLangevinND(CenteringNetwork(mu), options);
  const double variance = 1.0 / (1.0 - 0.05 / 4.0);
  for (int k = 0; k < 3; ++k) {
    // Standard errors: 1/sqrt(N) = 0.007 for the mean, sqrt(2/N) = 0.01 for the variance.
    EXPECT_NEAR(result.sample_mean[k], mu[k], 0.03) << k;
    EXPECT_NEAR(result.sample_variance[k], variance, 0.04) << k;
  }
  const Eigen::MatrixXd centered = result.samples.rowwise() - result.sample_mean.transpose();
  const double covariance_01 = centered.col(0).dot(centered.col(1)) / 20000.0;
  EXPECT_NEAR(covariance_01, 0.0, 0.03);
}

TEST(LangevinNDTest, UniformStartCoversTheBoxInEveryCoordinate) {
  // One step of a negligible size: the samples are the starts (to 1e-6).
  LangevinOptions options = Options(4000, 1, 1e-14);
  options.init = LangevinInit::Uniform(2.0, 3.0);
  const Eigen::MatrixXd x = SampleLangevinND(NetworkND::Zero(Activation::kRelu, 2), options).samples;
  for (int k = 0; k < 2; ++k) {
    EXPECT_GT(x.col(k).minCoeff(), 2.0 - 1e-6);
    EXPECT_LT(x.col(k).maxCoeff(), 3.0 + 1e-6);
    EXPECT_LT(x.col(k).minCoeff(), 2.01);
    EXPECT_GT(x.col(k).maxCoeff(), 2.99);
  }
  EXPECT_NE(x(0, 0), x(0, 1));  // coordinates drawn separately
}

TEST(LangevinNDTest, DataStartPicksRowsOfThePoints) {
  Eigen::MatrixXd points(3, 2);
  points << 10.0, 0.0, 0.0, 20.0, -30.0, -30.0;
  LangevinOptions options = Options(600, 1, 1e-14);
  options.init = LangevinInit::DataPoints(points);
  const Eigen::MatrixXd x = SampleLangevinND(NetworkND::Zero(Activation::kAbs, 2), options).samples;
  std::vector<int> counts(3, 0);
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    int matched = -1;
    for (int r = 0; r < 3; ++r) {
      if ((x.row(i) - points.row(r)).norm() < 1e-6) matched = r;
    }
    ASSERT_GE(matched, 0) << "sample " << i << " is not at a data point";
    ++counts[matched];
  }
  for (int r = 0; r < 3; ++r) EXPECT_GT(counts[r], 150) << "row " << r;
  EXPECT_EQ(options.init.Describe(), "data (3 points)");
}

TEST(LangevinNDTest, InvalidInputIsRefused) {
  const NetworkND net = WigglyNetwork();
  LangevinOptions options = Options(10, 10, 0.1);
  options.init = LangevinInit::DataPoints(Eigen::MatrixXd::Zero(4, 3));
  EXPECT_THAT(ErrorOf([&] { SampleLangevinND(net, options); }),
              HasSubstr("data start: the points have 3 coordinates but the model has dimension 2"));
  options.init = LangevinInit::DataPoints(Eigen::MatrixXd());
  EXPECT_THAT(ErrorOf([&] { SampleLangevinND(net, options); }), HasSubstr("no data points"));
  Eigen::MatrixXd nan_points = Eigen::MatrixXd::Zero(2, 2);
  nan_points(1, 1) = std::nan("");
  options.init = LangevinInit::DataPoints(nan_points);
  EXPECT_THAT(ErrorOf([&] { SampleLangevinND(net, options); }), HasSubstr("not finite"));
  options = Options(0, 10, 0.1);
  EXPECT_THAT(ErrorOf([&] { SampleLangevinND(net, options); }),
              HasSubstr("number of particles must be at least 1"));
  options = Options(10, 10, -0.1);
  EXPECT_THAT(ErrorOf([&] { SampleLangevinND(net, options); }), HasSubstr("step size"));
  NetworkND broken = net;
  broken.b.resize(2);
  EXPECT_THAT(ErrorOf([&] { SampleLangevinND(broken, Options(10, 10, 0.1)); }),
              HasSubstr("invalid network"));
  const std::vector<NoiseLevelScoreND> mixed = {{1.0, net},
                                                {0.5, NetworkND::Zero(Activation::kRelu, 3)}};
  EXPECT_THAT(ErrorOf([&] { SampleAnnealedLangevinND(mixed, Options(10, 10, 0.1)); }),
              HasSubstr("noise level 2 has dimension 3 but level 1 has 2"));
  const std::vector<NoiseLevelScoreND> increasing = {{0.5, net}, {1.0, net}};
  EXPECT_THAT(ErrorOf([&] { SampleAnnealedLangevinND(increasing, Options(10, 10, 0.1)); }),
              HasSubstr("decreasing sigma"));
}

// The first escaping step over all particles, and its particle, from the hand-written chains.
std::string ExpectedHeadline(const NetworkND& net, const LangevinOptions& options) {
  std::int64_t first_step = -1;
  std::uint64_t first_particle = 0;
  for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(options.particles); ++i) {
    const std::int64_t step = RunHandChain({&net}, {options.step_size}, options, i).escaped_at;
    if (step >= 0 && (first_step < 0 || step < first_step)) {
      first_step = step;
      first_particle = i;
    }
  }
  return "sampling diverged at step " + std::to_string(first_step + 1) + " of " +
         std::to_string(options.steps) + ": particle " + std::to_string(first_particle) +
         " went from (";
}

TEST(LangevinNDTest, DivergenceNamesTheFirstStepAndParticleForAnyThreadCount) {
  // f = +x pushes particles out: |x| grows by 1 + eps/2 = 1.5 per step and passes 1e150
  // after about 850 steps, long before it overflows.
  NetworkND repelling = NetworkND::Zero(Activation::kRelu, 2);
  repelling.skip = Eigen::MatrixXd::Identity(2, 2);
  LangevinOptions options = Options(30, 2000, 1.0);
  const std::string headline = ExpectedHeadline(repelling, options);
  std::string message;
  for (int threads : {1, 2, 3}) {
    options.threads = threads;
    const std::string error = ErrorOf([&] { SampleLangevinND(repelling, options); });
    EXPECT_THAT(error, HasSubstr(headline)) << threads << " threads";
    EXPECT_THAT(error, HasSubstr("does not confine the particles"));
    if (message.empty()) message = error;
    EXPECT_EQ(error, message) << "the message depends on the thread count";
  }
  // f = -100 x with eps = 0.1: x <- -4 x + noise, an unstable step.
  NetworkND stiff = NetworkND::Zero(Activation::kRelu, 2);
  stiff.skip = -100.0 * Eigen::MatrixXd::Identity(2, 2);
  options = Options(30, 1000, 0.1, 2);
  const std::string error = ErrorOf([&] { SampleLangevinND(stiff, options); });
  EXPECT_THAT(error, HasSubstr(ExpectedHeadline(stiff, options)));
  EXPECT_THAT(error, HasSubstr("the step size may be too large"));
  // Annealed: the message names the level (level 1, eps_1 = 1.44 on f = -x, is stable).
  const std::vector<NoiseLevelScoreND> levels = {{0.6, CenteringNetwork(Eigen::Vector2d::Zero())},
                                                 {0.5, repelling}};
  EXPECT_THAT(ErrorOf([&] { SampleAnnealedLangevinND(levels, Options(10, 2000, 1.0)); }),
              HasSubstr("of noise level 2 of 2 (sigma = 0.5, step size 1)"));
}

}  // namespace
}  // namespace convexscore
