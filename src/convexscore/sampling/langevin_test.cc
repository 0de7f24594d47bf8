#include "convexscore/sampling/langevin.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/common.h"
#include "convexscore/model/network1d.h"
#include "convexscore/sampling/random.h"
#include "convexscore/sampling/stationary_law.h"
#include "testutil/langevin_options.h"

namespace convexscore {
namespace {

using ::testing::HasSubstr;
using testutil::MakeLangevinOptions;

PiecewiseLinear1D LinearScore(double mean, double variance) {
  PiecewiseLinear1D score;
  score.slopes = {-1.0 / variance};
  score.intercepts = {mean / variance};
  return score;
}

// A fitted-looking bimodal score: negative skip term plus a few ReLUs (8 kinks).
PiecewiseLinear1D NetworkScore() {
  Network1D network;
  network.activation = Activation::kRelu;
  network.skip = -1.0;
  network.output_bias = 0.2;
  network.neurons = {{1.0, 1.5, 0.9},   {1.0, 0.5, -0.6},  {-1.0, 0.3, -0.4}, {1.0, -0.4, 0.5},
                     {-1.0, -1.2, 0.7}, {1.0, -1.0, -0.3}, {-0.5, 0.9, 0.2},  {2.0, -3.0, -0.5}};
  return ToPiecewiseLinear(network);
}

// Particle i of the annealed sampler written out step by step, as the header specifies it:
// start drawn from the particle's stream, then x <- x + (eps_l / 2) f_l(x) + sqrt(eps_l) z.
double HandWrittenChain(const std::vector<NoiseLevelScore>& levels,
                        const std::vector<double>& step_sizes, const LangevinOptions& options,
                        std::uint64_t particle) {
  Xoshiro256StarStar rng = ParticleStream(options.seed, particle);
  NormalSource normal;
  double x = options.init.low + (options.init.high - options.init.low) * rng.Uniform();
  for (std::size_t l = 0; l < levels.size(); ++l) {
    const double eps = step_sizes[l];
    for (std::int64_t t = 0; t < options.steps; ++t) {
      x = x + (0.5 * eps) * levels[l].score(x) + std::sqrt(eps) * normal.Next(rng);
    }
  }
  return x;
}

TEST(LangevinTest, SameSeedGivesBitIdenticalSamplesForAnyThreadCount) {
  const PiecewiseLinear1D score = NetworkScore();
  std::vector<double> reference;
  for (int threads : {1, 2, 3}) {
    LangevinOptions options = MakeLangevinOptions(1001, 300, 0.05, threads);
    const LangevinResult result = SampleLangevin(score, options);
    ASSERT_EQ(result.samples.size(), 1001u);
    if (reference.empty()) {
      reference = result.samples;
    } else {
      EXPECT_EQ(result.samples, reference) << threads << " threads";
    }
    EXPECT_EQ(result.summary.threads, threads);
    EXPECT_EQ(result.summary.particle_steps, 1001 * 300);
  }
  LangevinOptions other = MakeLangevinOptions(1001, 300, 0.05, 2);
  other.seed = 12346;
  EXPECT_NE(SampleLangevin(score, other).samples, reference);
}

TEST(LangevinTest, AnnealedSamplesAreBitIdenticalForAnyThreadCount) {
  const std::vector<NoiseLevelScore> levels = {
      {1.0, LinearScore(0.0, 2.0)}, {0.5, NetworkScore()}, {0.25, NetworkScore()}};
  std::vector<double> reference;
  for (int threads : {1, 2, 3}) {
    LangevinOptions options = MakeLangevinOptions(257, 100, 0.01, threads);
    options.init = LangevinInit::Gaussian(0.0, 2.0);
    const LangevinResult result = SampleAnnealedLangevin(levels, options);
    if (reference.empty())
      reference = result.samples;
    else
      EXPECT_EQ(result.samples, reference) << threads << " threads";
  }
}

TEST(LangevinTest, AnnealedStepSchedule) {
  const std::vector<double> sigmas = {4.0, 2.0, 1.0};
  EXPECT_EQ(AnnealedStepSizes(sigmas, 0.01), (std::vector<double>{0.16, 0.04, 0.01}));
  const std::vector<double> uneven = {1.0, 0.3};
  const std::vector<double> steps = AnnealedStepSizes(uneven, 2e-3);
  EXPECT_DOUBLE_EQ(steps[0], 2e-3 / 0.09);
  EXPECT_DOUBLE_EQ(steps[1], 2e-3);
  EXPECT_THAT(
      [] {
        AnnealedStepSizes(std::vector<double>{1.0, 1.0}, 0.1);
      },
      ::testing::ThrowsMessage<Error>(HasSubstr("decreasing sigma")));
  EXPECT_THAT(
      [] {
        AnnealedStepSizes(std::vector<double>{1.0, -1.0}, 0.1);
      },
      ::testing::ThrowsMessage<Error>(HasSubstr("positive")));
  EXPECT_THROW(AnnealedStepSizes(std::vector<double>{}, 0.1), Error);
  EXPECT_THROW(AnnealedStepSizes(std::vector<double>{1e200, 1e-200}, 0.1), Error);
}

TEST(LangevinTest, AnnealedSamplerFollowsTheUpdateRuleAndScheduleExactly) {
  const std::vector<NoiseLevelScore> levels = {
      {0.8, LinearScore(1.0, 3.0)}, {0.4, NetworkScore()}, {0.2, NetworkScore()}};
  LangevinOptions options = MakeLangevinOptions(6, 50, 0.02, 2);
  options.init = LangevinInit::Uniform(-3.0, 3.0);
  const LangevinResult result = SampleAnnealedLangevin(levels, options);
  const std::vector<double> step_sizes = {0.02 * 16, 0.02 * 4, 0.02};
  EXPECT_EQ(result.summary.step_sizes, step_sizes);
  EXPECT_EQ(result.summary.sigmas, (std::vector<double>{0.8, 0.4, 0.2}));
  for (std::uint64_t i = 0; i < 6; ++i) {
    EXPECT_EQ(result.samples[i], HandWrittenChain(levels, step_sizes, options, i)) << i;
  }
}

TEST(LangevinTest, LinearScoreReachesTheDiscretisedOrnsteinUhlenbeckLaw) {
  // With f = -(x - m)/v the chain is x' - m = rho (x - m) + sqrt(eps) z, rho = 1 - eps/(2v),
  // whose stationary law is N(m, eps / (1 - rho^2)) = N(m, v / (1 - eps/(4v))).
  const double m = 0.5, v = 1.0, eps = 0.8;
  const double rho = 1.0 - eps / (2.0 * v);
  const double variance = eps / (1.0 - rho * rho);
  const int n = 20000;
  LangevinOptions options = MakeLangevinOptions(n, 120, eps, 2);  // rho^120 ~ 1e-27: the start is forgotten
  options.init = LangevinInit::Uniform(5.0, 6.0);
  const LangevinResult result = SampleLangevin(LinearScore(m, v), options);
  const double mean_tolerance = 5.0 * std::sqrt(variance / n);
  const double variance_tolerance = 5.0 * variance * std::sqrt(2.0 / n);
  EXPECT_NEAR(result.summary.sample_mean, m, mean_tolerance);
  EXPECT_NEAR(result.summary.sample_variance, variance, variance_tolerance);
  // The test can tell the discretised law from the continuous one.
  EXPECT_GT(std::abs(variance - v), 3.0 * variance_tolerance);
}

TEST(LangevinTest, SmallStepsApproachTheStationaryLaw) {
  const PiecewiseLinear1D score = NetworkScore();
  const StationaryLaw1D law(score);
  const int n = 8000;
  LangevinOptions options = MakeLangevinOptions(n, 1500, 0.01, 2);
  options.init = LangevinInit::Gaussian(law.Mean(), std::sqrt(law.Variance()));
  std::vector<double> samples = SampleLangevin(score, options).samples;
  std::sort(samples.begin(), samples.end());
  double ks = 0.0;
  for (int i = 0; i < n; ++i) {
    const double cdf = law.Cdf(samples[i]);
    ks = std::max({ks, cdf - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - cdf});
  }
  // Sampling noise (1% level 0.018) plus a discretisation bias of order eps.
  EXPECT_LT(ks, 0.03);
}

TEST(LangevinTest, StartingLaws) {
  // With eps = 1e-300 and f = 0 a step moves a particle by 1e-150 z: the samples are the
  // starting points to double precision.
  PiecewiseLinear1D zero;
  zero.slopes = {0.0};
  zero.intercepts = {0.0};
  LangevinOptions options = MakeLangevinOptions(4000, 1, 1e-300, 2);
  options.init = LangevinInit::Data({-2.0, 0.5, 3.0, 7.25});
  std::vector<int> counts(4, 0);
  for (double x : SampleLangevin(zero, options).samples) {
    const auto found = std::find(options.init.data.begin(), options.init.data.end(), x);
    ASSERT_NE(found, options.init.data.end()) << x;
    ++counts[found - options.init.data.begin()];
  }
  for (int count : counts) EXPECT_NEAR(count, 1000, 5 * std::sqrt(1000 * 0.75));

  options.init = LangevinInit::Uniform(2.0, 3.0);
  const LangevinResult uniform = SampleLangevin(zero, options);
  EXPECT_GE(*std::min_element(uniform.samples.begin(), uniform.samples.end()), 2.0);
  EXPECT_LT(*std::max_element(uniform.samples.begin(), uniform.samples.end()), 3.0);
  EXPECT_NEAR(uniform.summary.sample_mean, 2.5, 5 * std::sqrt(1.0 / 12 / 4000));

  options.init = LangevinInit::Gaussian(-1.0, 0.5);
  const LangevinResult gaussian = SampleLangevin(zero, options);
  EXPECT_NEAR(gaussian.summary.sample_mean, -1.0, 5 * 0.5 / std::sqrt(4000));
  EXPECT_NEAR(gaussian.summary.sample_variance, 0.25, 5 * 0.25 * std::sqrt(2.0 / 4000));
}

TEST(LangevinTest, ParsesStartingLaws) {
  EXPECT_EQ(LangevinInit::Parse("uniform:-2:3.5").Describe(), "uniform:-2:3.5");
  EXPECT_EQ(LangevinInit::Parse("gaussian").Describe(), "gaussian:0:1");
  EXPECT_EQ(LangevinInit::Parse("gaussian:1:0.5").Describe(), "gaussian:1:0.5");
  EXPECT_EQ(LangevinInit::Parse("data").kind, LangevinInit::Kind::kData);
  const auto fails = [](const std::string& text, const std::string& words) {
    EXPECT_THAT([&] { LangevinInit::Parse(text); },
                ::testing::ThrowsMessage<Error>(HasSubstr(words)))
        << text;
  };
  fails("uniform:3:2", "need LO < HI");
  fails("uniform:0", "expected uniform:LO:HI");
  fails("uniform:a:1", "LO 'a' is not a finite number");
  fails("uniform:0:inf", "HI 'inf' is not a finite number");
  fails("gaussian:0:-1", "need SD > 0");
  fails("gaussian:0", "expected gaussian or gaussian:MEAN:SD");
  fails("cauchy", "unknown start 'cauchy'");
  fails("", "unknown start ''");
}

// First step (0-based) at which each hand-written chain becomes non-finite, or -1.
std::int64_t FirstEscapeStep(const PiecewiseLinear1D& score, const LangevinOptions& options,
                                std::uint64_t particle) {
  Xoshiro256StarStar rng = ParticleStream(options.seed, particle);
  NormalSource normal;
  double x = options.init.mean + options.init.sd * normal.Next(rng);
  for (std::int64_t t = 0; t < options.steps; ++t) {
    x = x + (0.5 * options.step_size) * score(x) + std::sqrt(options.step_size) * normal.Next(rng);
    if (!(std::abs(x) <= kLangevinDivergenceBound)) return t;  // escaped (or NaN)
  }
  return -1;
}

TEST(LangevinTest, DivergenceStopsWithTheFirstFailingStep) {
  // f = -1000 x with eps = 0.01: x <- -4 x + noise, which passes 1e150 after ~250 steps.
  const PiecewiseLinear1D stiff = LinearScore(0.0, 1e-3);
  LangevinOptions options = MakeLangevinOptions(40, 1000, 0.01);
  std::int64_t first_step = 1 << 30;
  std::uint64_t first_particle = 0;
  for (std::uint64_t i = 0; i < 40; ++i) {
    const std::int64_t step = FirstEscapeStep(stiff, options, i);
    ASSERT_GE(step, 0);
    if (step < first_step) {
      first_step = step;
      first_particle = i;
    }
  }
  const std::string expected = "sampling diverged at step " + std::to_string(first_step + 1) +
                               " of 1000: particle " + std::to_string(first_particle) + " ";
  std::string message;
  for (int threads : {1, 2, 3}) {
    options.threads = threads;
    try {
      SampleLangevin(stiff, options);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr(expected)) << threads << " threads";
      EXPECT_THAT(e.what(), HasSubstr("the step size is too large"));
      if (message.empty()) message = e.what();
      EXPECT_EQ(e.what(), message) << "the message depends on the thread count";
    }
  }

  // Annealed: the failure names the level; a score pushing particles out names that cause.
  PiecewiseLinear1D repelling = LinearScore(0.0, 1.0);
  repelling.slopes = {1.0};
  const std::vector<NoiseLevelScore> levels = {{2.0, LinearScore(0.0, 1.0)}, {1.0, repelling}};
  LangevinOptions annealed = MakeLangevinOptions(10, 4000, 0.5, 2);  // x <- 1.25 x + ...: overflows
  EXPECT_THAT([&] { SampleAnnealedLangevin(levels, annealed); },
              ::testing::ThrowsMessage<Error>(
                  ::testing::AllOf(HasSubstr("of noise level 2 of 2 (sigma = 1, step size 0.5)"),
                                   HasSubstr("does not confine the particles"))));
}

TEST(LangevinTest, BadOptionsAreErrors) {
  const PiecewiseLinear1D score = LinearScore(0.0, 1.0);
  const auto fails = [&](LangevinOptions options, const std::string& words) {
    EXPECT_THAT([&] { SampleLangevin(score, options); },
                ::testing::ThrowsMessage<Error>(HasSubstr(words)));
  };
  fails(MakeLangevinOptions(10, 10, 0.0), "step size must be positive");
  fails(MakeLangevinOptions(10, 10, -0.1), "step size must be positive");
  fails(MakeLangevinOptions(10, 10, std::nan("")), "step size must be positive");
  fails(MakeLangevinOptions(10, 10, INFINITY), "step size must be positive");
  fails(MakeLangevinOptions(0, 10, 0.1), "number of particles must be at least 1");
  fails(MakeLangevinOptions(10, 0, 0.1), "number of steps must be at least 1");
  fails(MakeLangevinOptions(10, 10, 0.1, -1), "number of threads");
  LangevinOptions bad_start = MakeLangevinOptions(10, 10, 0.1);
  bad_start.init = LangevinInit::Uniform(1.0, 1.0);
  fails(bad_start, "need finite LO < HI");
  bad_start.init = LangevinInit::Data({});
  fails(bad_start, "no data points");
  bad_start.init = LangevinInit::Gaussian(0.0, 0.0);
  fails(bad_start, "positive finite sd");
  PiecewiseLinear1D malformed = score;
  malformed.kinks = {0.0};
  EXPECT_THAT([&] { SampleLangevin(malformed, MakeLangevinOptions(10, 10, 0.1)); },
              ::testing::ThrowsMessage<Error>(HasSubstr("invalid score")));
  const std::vector<NoiseLevelScore> increasing = {{1.0, score}, {2.0, score}};
  EXPECT_THAT([&] { SampleAnnealedLangevin(increasing, MakeLangevinOptions(10, 10, 0.1)); },
              ::testing::ThrowsMessage<Error>(HasSubstr("decreasing sigma")));
}

TEST(LangevinTest, ProgressIsReportedUpToTheTotal) {
  LangevinOptions options = MakeLangevinOptions(64, 20000, 0.01, 2);
  options.progress_interval_seconds = 0.001;
  std::vector<std::pair<std::int64_t, std::int64_t>> calls;
  options.progress = [&](std::int64_t done, std::int64_t total) {
    calls.emplace_back(done, total);
  };
  SampleLangevin(LinearScore(0.0, 1.0), options);
  ASSERT_FALSE(calls.empty());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].second, 64 * 20000);
    EXPECT_LE(calls[i].first, calls[i].second);
    if (i > 0) EXPECT_GE(calls[i].first, calls[i - 1].first);
  }
  EXPECT_EQ(calls.back().first, 64 * 20000);
}

}  // namespace
}  // namespace convexscore
