#include "convexscore/data/distribution_spec.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/common.h"

namespace convexscore {
namespace {

using ::testing::HasSubstr;

std::string SpecError(std::string_view text) {
  try {
    ParseDistributionSpec(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(DistributionSpecTest, DefaultsOfEveryName) {
  const auto gaussian = std::get<GaussianSpec>(ParseDistributionSpec("gaussian").parameters);
  EXPECT_EQ(gaussian.mean, 0.0);
  EXPECT_EQ(gaussian.sd, 1.0);
  const auto laplace = std::get<LaplaceSpec>(ParseDistributionSpec("laplace").parameters);
  EXPECT_EQ(laplace.location, 0.0);
  EXPECT_EQ(laplace.scale, 1.0);
  const auto uniform = std::get<UniformSpec>(ParseDistributionSpec("uniform").parameters);
  EXPECT_EQ(uniform.lo, 0.0);
  EXPECT_EQ(uniform.hi, 1.0);
  const auto mixture = std::get<MixtureSpec>(ParseDistributionSpec("mixture").parameters);
  ASSERT_EQ(mixture.components.size(), 2u);
  EXPECT_EQ(mixture.components[0].weight, 0.4);
  EXPECT_EQ(mixture.components[0].mean, -2.0);
  EXPECT_EQ(mixture.components[1].sd, 0.7);
  EXPECT_EQ(std::get<MoonsSpec>(ParseDistributionSpec("moons").parameters).noise, 0.0);
  const auto circle = std::get<CircleSpec>(ParseDistributionSpec("circle").parameters);
  EXPECT_EQ(circle.radius, 1.0);
  EXPECT_EQ(circle.noise, 0.0);
  const auto spiral = std::get<SpiralSpec>(ParseDistributionSpec("spiral").parameters);
  EXPECT_EQ(spiral.points, 100);
  EXPECT_EQ(spiral.noise, 0.0);
  for (std::string_view name : DistributionNames()) {
    if (name == "gmm-d") continue;  // needs its components
    const DistributionSpec spec = ParseDistributionSpec(name);
    EXPECT_EQ(spec.Name(), name);
    EXPECT_EQ(spec.text, name);
    const bool shape = name == "moons" || name == "circle" || name == "spiral";
    EXPECT_EQ(spec.Dimension(), shape ? 2 : 1) << name;
  }
}

TEST(DistributionSpecTest, ParametersAreRead) {
  const auto gaussian =
      std::get<GaussianSpec>(ParseDistributionSpec(" gaussian: -1.5 : 2e-1 ").parameters);
  EXPECT_EQ(gaussian.mean, -1.5);
  EXPECT_EQ(gaussian.sd, 0.2);
  const auto uniform = std::get<UniformSpec>(ParseDistributionSpec("uniform:-1:1").parameters);
  EXPECT_EQ(uniform.lo, -1.0);
  EXPECT_EQ(uniform.hi, 1.0);
  const auto circle = std::get<CircleSpec>(ParseDistributionSpec("circle:2.5").parameters);
  EXPECT_EQ(circle.radius, 2.5);
  EXPECT_EQ(circle.noise, 0.0);
  const auto spiral = std::get<SpiralSpec>(ParseDistributionSpec("spiral:40:0.05").parameters);
  EXPECT_EQ(spiral.points, 40);
  EXPECT_EQ(spiral.noise, 0.05);
  EXPECT_EQ(ParseDistributionSpec("spiral:40:0.05").text, "spiral:40:0.05");
}

TEST(DistributionSpecTest, MixtureWeightsAreNormalised) {
  const auto mixture =
      std::get<MixtureSpec>(ParseDistributionSpec("mixture:1,-1,0.5;3,2,0.25").parameters);
  ASSERT_EQ(mixture.components.size(), 2u);
  EXPECT_EQ(mixture.components[0].weight, 0.25);
  EXPECT_EQ(mixture.components[1].weight, 0.75);
  EXPECT_EQ(mixture.components[1].mean, 2.0);
  EXPECT_EQ(mixture.components[1].sd, 0.25);
}

TEST(DistributionSpecTest, GaussianMixtureInDDimensions) {
  const DistributionSpec spec = ParseDistributionSpec("gmm-d:1,-1/0/2,0.5;1,1/0/2,0.1/0.2/0.3");
  EXPECT_EQ(spec.Name(), "gmm-d");
  EXPECT_EQ(spec.Dimension(), 3);
  const auto gmm = std::get<GaussianMixtureSpec>(spec.parameters);
  ASSERT_EQ(gmm.components.size(), 2u);
  EXPECT_EQ(gmm.components[0].weight, 0.5);
  EXPECT_EQ(gmm.components[0].mean, Eigen::Vector3d(-1, 0, 2));
  EXPECT_EQ(gmm.components[0].sd, Eigen::Vector3d(0.5, 0.5, 0.5));  // one SD for all
  EXPECT_EQ(gmm.components[1].sd, Eigen::Vector3d(0.1, 0.2, 0.3));
  EXPECT_EQ(ParseDistributionSpec("gmm-d:1,0,1").Dimension(), 1);
}

TEST(DistributionSpecTest, ErrorsAreOneLineAndNameTheProblem) {
  EXPECT_EQ(SpecError(""), "invalid distribution spec '': it is empty");
  EXPECT_EQ(SpecError("  "), "invalid distribution spec '': it is empty");
  EXPECT_EQ(SpecError("cauchy:0:1"),
            "invalid distribution spec 'cauchy:0:1': unknown distribution 'cauchy' (expected "
            "gaussian, laplace, uniform, mixture, moons, circle, spiral or gmm-d)");
  EXPECT_EQ(SpecError("Gaussian"),
            "invalid distribution spec 'Gaussian': unknown distribution 'Gaussian' (expected "
            "gaussian, laplace, uniform, mixture, moons, circle, spiral or gmm-d)");
  EXPECT_EQ(SpecError("gaussian:0"),
            "invalid distribution spec 'gaussian:0': gaussian takes MEAN:SD, got 1 parameter");
  EXPECT_EQ(SpecError("gaussian:0:1:2"),
            "invalid distribution spec 'gaussian:0:1:2': gaussian takes MEAN:SD, got 3 "
            "parameters");
  EXPECT_EQ(SpecError("gaussian:0:-1"),
            "invalid distribution spec 'gaussian:0:-1': SD must be > 0 (got -1)");
  EXPECT_EQ(SpecError("gaussian:zero:1"),
            "invalid distribution spec 'gaussian:zero:1': MEAN 'zero' is not a number");
  EXPECT_EQ(SpecError("gaussian:nan:1"),
            "invalid distribution spec 'gaussian:nan:1': MEAN 'nan' is not finite");
  EXPECT_EQ(SpecError("gaussian::1"),
            "invalid distribution spec 'gaussian::1': MEAN is missing");
  EXPECT_EQ(SpecError("gaussian:0,5:1"),
            "invalid distribution spec 'gaussian:0,5:1': MEAN '0,5' is not a number");
  EXPECT_EQ(SpecError("laplace:0:0"),
            "invalid distribution spec 'laplace:0:0': SCALE must be > 0 (got 0)");
  EXPECT_EQ(SpecError("uniform:1:1"),
            "invalid distribution spec 'uniform:1:1': need LO < HI (got 1 and 1)");
  EXPECT_EQ(SpecError("mixture:0.5,0"),
            "invalid distribution spec 'mixture:0.5,0': component 1 '0.5,0' is not "
            "WEIGHT,MEAN,SD");
  EXPECT_EQ(SpecError("mixture:0.5,0,1;"),
            "invalid distribution spec 'mixture:0.5,0,1;': component 2 '' is not WEIGHT,MEAN,SD");
  EXPECT_EQ(SpecError("mixture:0.5,0,1;0,1,1"),
            "invalid distribution spec 'mixture:0.5,0,1;0,1,1': component 2 weight must be > 0 "
            "(got 0)");
  EXPECT_EQ(SpecError("moons:-0.1"),
            "invalid distribution spec 'moons:-0.1': NOISE must be >= 0 (got -0.1)");
  EXPECT_EQ(SpecError("circle:0"),
            "invalid distribution spec 'circle:0': RADIUS must be > 0 (got 0)");
  EXPECT_EQ(SpecError("circle:1:0.1:5"),
            "invalid distribution spec 'circle:1:0.1:5': circle takes RADIUS[:NOISE], got 3 "
            "parameters");
  EXPECT_EQ(SpecError("spiral:2.5"),
            "invalid distribution spec 'spiral:2.5': POINTS '2.5' is not a positive integer");
  EXPECT_EQ(SpecError("spiral:0"),
            "invalid distribution spec 'spiral:0': POINTS '0' is not a positive integer");
  EXPECT_EQ(SpecError("gmm-d"),
            "invalid distribution spec 'gmm-d': gmm-d needs its components: W,M1/.../Md,SD;...");
  EXPECT_EQ(SpecError("gmm-d:1,0/0,1;1,0/0/0,1"),
            "invalid distribution spec 'gmm-d:1,0/0,1;1,0/0/0,1': component 2 is 3-dimensional "
            "but component 1 is 2-dimensional");
  EXPECT_EQ(SpecError("gmm-d:1,0/0,1/2/3"),
            "invalid distribution spec 'gmm-d:1,0/0,1/2/3': component 1 has a 2-dimensional "
            "mean but 3 SDs (give 1 or 2)");
  EXPECT_THAT(SpecError("gmm-d:1,0/x,1"), HasSubstr("component 1 mean coordinate 2 'x' is not"));
  EXPECT_THAT(SpecError("gmm-d:1,0/0,1/-1"), HasSubstr("component 1 SD coordinate 2 must be > 0"));
}

}  // namespace
}  // namespace convexscore
