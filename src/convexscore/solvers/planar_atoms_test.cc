#include "convexscore/solvers/planar_atoms.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "convexscore/arrangements/patterns.h"
#include "convexscore/data/portable_random.h"
#include "convexscore/solvers/cone_group_lasso.h"
#include "testutil/random_points.h"

namespace convexscore {
namespace {

// Random points with a duplicate (a point never cuts its own circle; its duplicate neither).
Eigen::MatrixXd PointsWithDuplicate(int n, unsigned seed) {
  Eigen::MatrixXd x = testutil::RandomPoints(n, 2, seed);
  x.row(n - 1) = x.row(0);
  return x;
}

Eigen::Matrix2Xd RandomSectorWeights(const PlanarAtoms& atoms, std::mt19937_64& engine) {
  Eigen::Matrix2Xd w(2, atoms.size());
  for (int a = 0; a < atoms.size(); ++a)
    w.col(a) = Eigen::Vector2d(StandardNormal(engine), StandardNormal(engine));
  return w;
}

class PlanarAtomsTest : public ::testing::TestWithParam<Activation> {};

TEST_P(PlanarAtomsTest, ApplyIsTheSumOfTheAtomFeaturesAndTransposeItsAdjoint) {
  const Eigen::MatrixXd x = PointsWithDuplicate(9, 3);
  const PlanarAtoms atoms(x, GetParam());
  // Each other point at a new location cuts a circle twice: the duplicated pair (0, 8) sees 7
  // such points, the other 7 points see 8 others (the pair twice, at equal angles).
  EXPECT_EQ(atoms.size(), 2 * 14 + 7 * 16);
  std::mt19937_64 engine(4);
  const Eigen::Matrix2Xd w = RandomSectorWeights(atoms, engine);
  Eigen::VectorXd brute = Eigen::VectorXd::Zero(9);
  for (int a = 0; a < atoms.size(); ++a) brute += atoms.Features(a) * w.col(a);
  const Eigen::VectorXd applied = atoms.Apply(w);
  EXPECT_LE((applied - brute).norm(), 1e-12 * (1.0 + brute.norm()));
  Eigen::VectorXd r(9);
  for (int i = 0; i < 9; ++i) r[i] = StandardNormal(engine);
  const Eigen::Matrix2Xd g = atoms.ApplyTranspose(r);
  for (int a = 0; a < atoms.size(); ++a)
    EXPECT_LE((g.col(a) - atoms.Features(a).transpose() * r).norm(), 1e-12 * (1.0 + r.norm()));
}

TEST_P(PlanarAtomsTest, EveryAtomLiesInTheConeOfAnEnumeratedPattern) {
  const Eigen::MatrixXd x = PointsWithDuplicate(8, 11);
  const PlanarAtoms atoms(x, GetParam());
  const PatternSet patterns = EnumeratePatterns(x);
  Eigen::MatrixXd xt(8, 3);
  xt << x, Eigen::VectorXd::Ones(8);
  for (int a = 0; a < atoms.size(); ++a) {
    if (atoms.Degenerate(a)) continue;
    const int k = patterns.Find(atoms.PatternBits(a).data());
    ASSERT_GE(k, 0) << "atom " << a;
    const Eigen::Vector2d xi = x.row(atoms.Pivot(a)).transpose();
    for (int edge = 0; edge < 2; ++edge) {
      const Eigen::Vector2d u = atoms.EdgeRay(a, edge);
      const Eigen::Vector3d z(u[0], u[1], -u.dot(xi));
      const Eigen::VectorXd rows = (2.0 * patterns.Mask(k).array() - 1.0).matrix().cwiseProduct(xt * z);
      EXPECT_GE(rows.minCoeff(), -1e-12) << "atom " << a << " edge " << edge;
      // The atom's feature is the gated network unit of z.
      const Eigen::VectorXd unit = GetParam() == Activation::kRelu
                                       ? Eigen::VectorXd((xt * z).cwiseMax(0.0))
                                       : Eigen::VectorXd((xt * z).cwiseAbs());
      EXPECT_LE((atoms.Features(a) * u - unit).norm(), 1e-12);
    }
  }
}

// The extreme-point argument of docs/theory.md: the largest psi over every pattern (by the
// pattern program's own dual norm, a non-negative least-squares problem per pattern) equals the
// sweep over the atoms.
TEST_P(PlanarAtomsTest, WorstDualNormEqualsTheLargestPatternDualNorm) {
  for (unsigned seed : {1u, 2u, 3u}) {
    const Eigen::MatrixXd x = testutil::RandomPoints(8, 2, seed);
    const PlanarAtoms atoms(x, GetParam());
    const PatternSet patterns = EnumeratePatterns(x);
    std::mt19937_64 engine(seed + 100);
    Eigen::VectorXd lambda(8);
    for (int i = 0; i < 8; ++i) lambda[i] = StandardNormal(engine);
    lambda.array() -= lambda.mean();
    Eigen::MatrixXd xt(8, 3);
    xt << x, Eigen::VectorXd::Ones(8);
    double largest = 0.0;
    for (int k = 0; k < patterns.size(); ++k) {
      const Eigen::VectorXd mask = patterns.Mask(k);
      const Eigen::VectorXd gate = GetParam() == Activation::kRelu
                                       ? mask
                                       : Eigen::VectorXd(2.0 * mask.array() - 1.0);
      const Eigen::VectorXd t = xt.transpose() * gate.cwiseProduct(lambda);
      if (GetParam() == Activation::kRelu && patterns.ActiveCount(k) == 0) continue;
      for (double sign : {1.0, -1.0})
        largest = std::max(largest, PatternDualNorm(x, patterns, k, sign * t));
    }
    EXPECT_NEAR(PlanarWorstDualNorm(atoms, lambda), largest, 1e-9 * largest) << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Activations, PlanarAtomsTest,
                         ::testing::Values(Activation::kRelu, Activation::kAbs));

// The planar path of SolveConeGroupLasso (exact patterns, no linear term) against the general
// working-set path on the same patterns (marked sampled, which sends the solve down the general
// path): the same optimal value, both certified.
TEST(PlanarAtomsSolve, AgreesWithTheGeneralPathAndIsCertified) {
  for (Activation gate : {Activation::kRelu, Activation::kAbs}) {
    const Eigen::MatrixXd x = testutil::RandomPoints(12, 2, 21);
    std::mt19937_64 engine(22);
    Eigen::VectorXd y(12);
    for (int i = 0; i < 12; ++i) y[i] = std::sin(2.0 * x(i, 0)) + 0.3 * StandardNormal(engine);
    const PatternSet exact = EnumeratePatterns(x);
    PatternSet marked = exact;
    marked.method = PatternMethod::kSampled;
    ConeGroupLassoProblem problem;
    problem.x = x;
    problem.gate = gate;
    problem.target = y;
    problem.beta = 0.05;
    problem.patterns = &exact;
    const ConeGroupLassoSolution planar = SolveConeGroupLasso(problem, {});
    problem.patterns = &marked;
    const ConeGroupLassoSolution general = SolveConeGroupLasso(problem, {});
    ASSERT_EQ(planar.summary.status, SolveStatus::kOptimal) << planar.summary.message;
    ASSERT_EQ(general.summary.status, SolveStatus::kOptimal) << general.summary.message;
    EXPECT_NEAR(planar.summary.objective, general.summary.objective,
                1e-8 * std::abs(general.summary.objective));
    // The planar certificate recomputed independently of the solver.
    problem.patterns = &marked;
    const ConeGroupLassoCertificate check = EvaluateConeGroupLasso(problem, planar.positive, planar.negative);
    EXPECT_LE(check.gap, 1e-8 * std::abs(check.primal_objective));
    EXPECT_LE(check.primal_infeasibility, 1e-10);
  }
}

// Small-noise DSM data: five copies of each point within 0.01 of it, targets -z / sigma. The
// atoms separating one point's copies are nearly parallel, which stalls descent alone (section
// 18); with the barrier method and the polish the solve must be certified. (Doubling the
// barrier gradient makes this fail: no test exercised the barrier path before.)
TEST(PlanarAtomsSolve, CertifiesClusteredSmallNoiseCopies) {
  const Eigen::MatrixXd centres = testutil::RandomPoints(8, 2, 31);
  std::mt19937_64 engine(32);
  const double sigma = 0.01;
  Eigen::MatrixXd x(40, 2);
  Eigen::VectorXd y(40);
  for (int i = 0; i < 40; ++i) {
    const double z0 = StandardNormal(engine), z1 = StandardNormal(engine);
    x(i, 0) = centres(i / 5, 0) + sigma * z0;
    x(i, 1) = centres(i / 5, 1) + sigma * z1;
    y[i] = -z0 / sigma;
  }
  const PatternSet exact = EnumeratePatterns(x);
  ConeGroupLassoProblem problem;
  problem.x = x;
  problem.gate = Activation::kRelu;
  problem.target = y;
  problem.beta = 0.1;
  problem.patterns = &exact;
  ConeGroupLassoOptions options;
  options.max_iterations = 20000;
  const ConeGroupLassoSolution planar = SolveConeGroupLasso(problem, options);
  ASSERT_EQ(planar.summary.status, SolveStatus::kOptimal) << planar.summary.message;
  EXPECT_LE(planar.summary.relative_gap, 1e-10);
  // The same point priced pattern by pattern (the general path's pricing, independent of the
  // atoms): the gap stays at the certified level. Before the pricing's active-set finish it
  // overestimated psi on clustered points and reported a gap of 172 on 2822.
  PatternSet marked = exact;
  marked.method = PatternMethod::kSampled;
  problem.patterns = &marked;
  const ConeGroupLassoCertificate check = EvaluateConeGroupLasso(problem, planar.positive, planar.negative);
  EXPECT_LE(check.gap, 1e-9 * std::abs(check.primal_objective));
}

// A sector 1e-10 rad wide around the direction phi, w on its bisector, d = mu / (a . w)^2 ~ 4e18:
// the Hessian's entries are near 4e18 and its determinant near 3e17, far below the rounding of
// the entries' products in double (about 2e21), so inverting the summed matrix gives a wrong
// matrix. The reference inverse is computed from the same double inputs in quadruple precision
// (113-bit significand: the products' rounding is then about 1e3, against 3e17).
TEST(PlanarAtomsBarrier, InvertsANarrowSectorsHessianFromItsPieces) {
  const double phi = 0.7, width = 1e-10, along = 1e-2, across = 3e-2, mu = 0.1, radius = 3.0;
  const double s = std::sin(width / 2), c = std::cos(width / 2);
  const Eigen::Vector2d radial(std::cos(phi), std::sin(phi)), turned(radial[1], -radial[0]);
  // Inward normals of the edges phi -+ width / 2.
  const std::vector<Eigen::Vector2d> normals = {s * radial - c * turned, s * radial + c * turned};
  const double d = mu / std::pow(normals[0].dot(radius * radial), 2);
  const std::vector<double> weights = {d, d};
  using Quad = __float128;
  Quad h00 = Quad(along) * radial[0] * radial[0] + Quad(across) * turned[0] * turned[0];
  Quad h01 = Quad(along) * radial[0] * radial[1] + Quad(across) * turned[0] * turned[1];
  Quad h11 = Quad(along) * radial[1] * radial[1] + Quad(across) * turned[1] * turned[1];
  for (int k = 0; k < 2; ++k) {
    h00 += Quad(weights[k]) * normals[k][0] * normals[k][0];
    h01 += Quad(weights[k]) * normals[k][0] * normals[k][1];
    h11 += Quad(weights[k]) * normals[k][1] * normals[k][1];
  }
  const Quad det = h00 * h11 - h01 * h01;
  Eigen::Matrix2d exact;
  exact << static_cast<double>(h11 / det), static_cast<double>(-h01 / det),
      static_cast<double>(-h01 / det), static_cast<double>(h00 / det);
  const Eigen::Matrix2d factor = FactorOfInverseOfNormPlusEdges(radial, along, across, normals, weights);
  const Eigen::Matrix2d inverse = factor * factor.transpose();
  EXPECT_LE((inverse - exact).norm(), 1e-12 * exact.norm());
  // Along w the inverse is about 1 / (along + 2 mu / radius^2).
  EXPECT_NEAR(radial.dot(inverse * radial) * (along + 2 * mu / (radius * radius)), 1.0, 1e-6);
  // The case really is beyond the summed matrix in double: its inverse is far off.
  Eigen::Matrix2d summed = along * radial * radial.transpose() + across * turned * turned.transpose();
  for (int k = 0; k < 2; ++k) summed += weights[k] * normals[k] * normals[k].transpose();
  const Eigen::Matrix2d naive = summed.inverse();
  EXPECT_FALSE((naive - exact).norm() <= 1e-3 * exact.norm());
}

// A half-plane (one edge) and a wide sector: the inverse times the summed matrix is the
// identity (well-conditioned cases, where both ways agree).
TEST(PlanarAtomsBarrier, InverseOfWellConditionedBlocksIsTheMatrixInverse) {
  const Eigen::Vector2d radial = Eigen::Vector2d(0.6, 0.8), turned(radial[1], -radial[0]);
  const std::vector<std::vector<Eigen::Vector2d>> cases = {
      {Eigen::Vector2d(-0.8, 0.6)},
      {Eigen::Vector2d(0.28, 0.96), Eigen::Vector2d(0.96, -0.28)}};
  for (const auto& normals : cases) {
    const std::vector<double> weights(normals.size(), 2.5);
    Eigen::Matrix2d summed = 0.3 * radial * radial.transpose() + 1.7 * turned * turned.transpose();
    for (std::size_t k = 0; k < normals.size(); ++k)
      summed += weights[k] * normals[k] * normals[k].transpose();
    const Eigen::Matrix2d factor = FactorOfInverseOfNormPlusEdges(radial, 0.3, 1.7, normals, weights);
    const Eigen::Matrix2d inverse = factor * factor.transpose();
    EXPECT_LE((inverse * summed - Eigen::Matrix2d::Identity()).norm(), 1e-14);
  }
}

TEST(PlanarAtomsSolve, RejectsDataThatIsNotPlanar) {
  EXPECT_THROW(PlanarAtoms(Eigen::MatrixXd::Zero(4, 3), Activation::kRelu), Error);
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(4, 2);
  x(1, 0) = NAN;
  EXPECT_THROW(PlanarAtoms(x, Activation::kRelu), Error);
}

}  // namespace
}  // namespace convexscore
