#include "convexscore/solvers/recession_min_max.h"

#include <gtest/gtest.h>

#include <cmath>

#include "convexscore/arrangements/patterns.h"
#include "convexscore/programs/score_matching_nd.h"
#include "testutil/random_points.h"

namespace convexscore {
namespace {

// Both ends are checked independently of the solver: the upper end by pricing every block
// again at the returned lambda (which must be centred), the lower end by evaluating the
// returned direction directly (in the cones, zero on the data up to a constant, N(z) = 1,
// ratio -<g, z>).
TEST(RecessionMinMax, BoundsAreIndependentlyValid) {
  int certified = 0, total = 0;
  for (unsigned seed : {3u, 4u}) {
    const Eigen::MatrixXd x = testutil::RandomPoints(8, 2, seed);
    const PatternSet patterns = EnumeratePatterns(x);
    Eigen::MatrixXd xt(x.rows(), 3);
    xt << x, Eigen::VectorXd::Ones(x.rows());
    for (Activation act : {Activation::kRelu, Activation::kAbs}) {
      for (int coord = 0; coord < 2; ++coord) {
        const ConeGroupLassoProblem problem = ScoreMatchingNDProblem(x, patterns, act, coord, 1.0);
        const RecessionMinMaxResult r = SolveRecessionMinMax(problem);
        ++total;
        certified += r.certified ? 1 : 0;
        EXPECT_LE(r.lower, r.upper) << r.message;
        EXPECT_GT(r.lower, 0.99 * r.upper) << r.message;
        EXPECT_NEAR(r.lambda.sum(), 0.0, 1e-12);
        EXPECT_NEAR(RecessionMinMaxObjective(problem, r.lambda), r.upper, 1e-14);
        ASSERT_TRUE(r.direction.valid) << r.message;
        Eigen::VectorXd values = Eigen::VectorXd::Zero(x.rows());
        double norm = 0.0, linear = 0.0, violation = 0.0;
        for (int k = 0; k < patterns.size(); ++k) {
          const Eigen::VectorXd mask = patterns.Mask(k);
          const Eigen::VectorXd gate =
              act == Activation::kRelu ? mask : Eigen::VectorXd(2.0 * mask.array() - 1.0);
          const Eigen::VectorXd sign = 2.0 * mask.array() - 1.0;
          for (int s = 0; s < 2; ++s) {
            const Eigen::VectorXd z = (s == 0 ? r.direction.positive : r.direction.negative).col(k);
            const double sg = s == 0 ? 1.0 : -1.0;
            values += sg * gate.cwiseProduct(xt * z);
            norm += z.head(2).norm();
            linear += sg * problem.linear.col(k).dot(z);
            violation = std::max(violation, (-sign.cwiseProduct(xt * z)).maxCoeff());
          }
        }
        EXPECT_NEAR(norm, 1.0, 1e-12);
        EXPECT_LE(violation, 1e-12);
        EXPECT_LE((values.array() - values.mean()).matrix().norm(), 1e-11);
        EXPECT_NEAR(-linear, r.lower, 1e-12);
      }
    }
  }
  EXPECT_GE(certified, 4) << "of " << total;
}

}  // namespace
}  // namespace convexscore
