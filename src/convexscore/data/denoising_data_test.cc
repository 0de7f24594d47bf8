#include "convexscore/data/denoising_data.h"

#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "convexscore/common.h"
#include "convexscore/model/network1d.h"
#include "testutil/error_of.h"

namespace convexscore {
namespace {

using testutil::ErrorOf;

TEST(DenoisingData, TargetIsTheGaussianKernelScoreOfEachCopy) {
  const std::vector<double> x = {-1.0, 0.5, 2.0};
  const double sigma = 0.3;
  const DenoisingData1D data = MakeDenoisingData1D(x, sigma, 4, 7);
  ASSERT_EQ(data.inputs.size(), 12u);
  ASSERT_EQ(data.targets.size(), 12u);
  for (std::size_t i = 0; i < x.size(); ++i) {
    for (int c = 0; c < 4; ++c) {
      const std::size_t k = i * 4 + c;
      // x~ = x + sigma z and y = -z / sigma, so x~ - x = -sigma^2 y.
      EXPECT_NEAR(data.inputs[k] - x[i], -sigma * sigma * data.targets[k], 1e-15);
    }
  }
}

TEST(DenoisingData, SameSeedSameNumbersOtherSeedOthers) {
  const std::vector<double> x = {0.0, 1.0};
  const DenoisingData1D a = MakeDenoisingData1D(x, 0.1, 3, 5);
  const DenoisingData1D b = MakeDenoisingData1D(x, 0.1, 3, 5);
  const DenoisingData1D c = MakeDenoisingData1D(x, 0.1, 3, 6);
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.targets, b.targets);
  EXPECT_NE(a.inputs, c.inputs);
}

TEST(DenoisingData, NoiseIsStandardNormalInTheMean) {
  const std::vector<double> x(2000, 0.0);
  const DenoisingData1D data = MakeDenoisingData1D(x, 1.0, 5, 11);
  double mean = 0.0, second = 0.0;
  for (double y : data.targets) {
    mean += y;
    second += y * y;
  }
  mean /= static_cast<double>(data.targets.size());
  second /= static_cast<double>(data.targets.size());
  // 10^4 draws: standard errors 0.01 (mean) and 0.014 (second moment); 5 sigma bounds.
  EXPECT_NEAR(mean, 0.0, 0.05);
  EXPECT_NEAR(second, 1.0, 0.07);
}

TEST(DenoisingData, MultivariateRowsArePointMajor) {
  Eigen::MatrixXd x(2, 3);
  x << 1, 2, 3, 4, 5, 6;
  const DenoisingDataND data = MakeDenoisingDataND(x, 0.5, 2, 3);
  ASSERT_EQ(data.inputs.rows(), 4);
  ASSERT_EQ(data.inputs.cols(), 3);
  for (int row = 0; row < 4; ++row) {
    const Eigen::RowVectorXd clean = x.row(row / 2);
    EXPECT_LT((data.inputs.row(row) - clean + 0.25 * data.targets.row(row)).norm(), 1e-14);
  }
  // The first column of a one-column run is the 1-D draw.
  const Eigen::MatrixXd column = x.col(0);
  const DenoisingDataND nd = MakeDenoisingDataND(column, 0.5, 2, 3);
  const DenoisingData1D one = MakeDenoisingData1D(std::vector<double>{1.0, 4.0}, 0.5, 2, 3);
  for (int row = 0; row < 4; ++row) EXPECT_EQ(nd.inputs(row, 0), one.inputs[row]);
}

TEST(DenoisingData, BadInputIsNamed) {
  const std::vector<double> x = {0.0, 1.0};
  EXPECT_NE(ErrorOf([&] { MakeDenoisingData1D(x, 0.0, 1, 1); }).find("sigma"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { MakeDenoisingData1D(x, std::nan(""), 1, 1); }).find("sigma"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { MakeDenoisingData1D(x, 0.1, 0, 1); }).find("copies"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { MakeDenoisingData1D({}, 0.1, 1, 1); }).find("no data"), std::string::npos);
  const std::vector<double> bad = {0.0, std::numeric_limits<double>::infinity()};
  EXPECT_NE(ErrorOf([&] { MakeDenoisingData1D(bad, 0.1, 1, 1); }).find("infinite"), std::string::npos);
}

TEST(DenoisingObjective, IsHalfMeanSquaredResidualPlusDecay) {
  Network1D net;
  net.neurons = {{1.0, 0.0, 2.0}};  // f(x) = 2 relu(x) + 1
  net.output_bias = 1.0;
  const std::vector<double> inputs = {-1.0, 1.0};
  const std::vector<double> targets = {0.0, 0.0};
  // residuals 1 and 3: (1 + 9) / 2 / 2 = 2.5; decay (0.5/2)(1 + 4) = 1.25.
  EXPECT_DOUBLE_EQ(DenoisingScoreMatchingObjective(net, inputs, targets, 0.5), 3.75);
  EXPECT_NE(ErrorOf([&] { DenoisingScoreMatchingObjective(net, inputs, std::vector<double>{1.0}, 0.5); })
                .find("targets"),
            std::string::npos);
}

}  // namespace
}  // namespace convexscore
