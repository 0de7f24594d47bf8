// The cone group lasso without a linear term (DSM) on exact planar patterns, in its atom form
// (docs/theory.md, "Planar atoms").
//
// In the plane, the set {z = (w, b) in the cone of a pattern : ||w|| <= 1} is compact (for every
// pattern but the full and the empty one) and its extreme points are the neurons whose line
// passes through a data point: z = (u, -u . x_i), ||u|| = 1. So every block of the pattern
// program is a non-negative combination of such "atoms" at no extra penalty, and the program
// equals a group lasso over atoms: for each data point x_i, the circle of directions u(theta)
// is cut by the 2 (n - 1) angles where u is orthogonal to some x_j - x_i into arcs; on one arc
// the set S of points with u . (x_j - x_i) > 0 is fixed, so the atom's feature is linear in
// w = t u: F w = [j in S] (x_j - x_i) . w (ReLU) or sign_S(j) (x_j - x_i) . w (abs), with w
// constrained to the arc's sector. The full pattern adds a linear block X w (penalty ||w||)
// and a free constant.
//
// Walking the arcs of one point changes S by one point at a time, so F^T r for every atom and
// F W for all atoms at once cost O(n) per point: O(n^2) in all, against O(n^3) for the K ~ n^2
// patterns. The prox of beta ||w|| plus the sector constraint is exact (project onto the
// sector, then shrink), so no augmented Lagrangian is needed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "convexscore/arrangements/patterns.h"
#include "convexscore/common.h"

namespace convexscore {

class PlanarAtoms {
 public:
  // x: n x 2 (finite). Duplicated points are allowed (a point never cuts its own circle).
  PlanarAtoms(const Eigen::Ref<const Eigen::MatrixXd>& x, Activation gate);

  int points() const { return n_; }
  int size() const { return static_cast<int>(pivot_.size()); }  // arcs over every point
  const Eigen::MatrixXd& x() const { return x_; }
  Activation gate() const { return gate_; }

  // sum_a F_a w_a (size n); w is 2 x size().
  Eigen::VectorXd Apply(const Eigen::Matrix2Xd& w) const;
  // Column a: F_a^T r.
  Eigen::Matrix2Xd ApplyTranspose(const Eigen::VectorXd& r) const;

  // F_a as an n x 2 matrix.
  Eigen::MatrixXd Features(int a) const;
  // max over the unit vectors u of arc a of u . v.
  double ArcMax(int a, const Eigen::Vector2d& v) const;
  // The Euclidean projection of w onto the sector of arc a.
  Eigen::Vector2d ProjectOntoSector(int a, const Eigen::Vector2d& w) const;
  // The unit vectors of the arc's two ends (edge 0: start, 1: end).
  Eigen::Vector2d EdgeRay(int a, int edge) const { return edge == 0 ? start_ray_.col(a) : end_ray_.col(a); }
  bool Degenerate(int a) const { return width_[a] <= kMinimumWidth; }
  int Pivot(int a) const { return pivot_[a]; }

  // The closed half-space pattern of the line through the pivot at the arc's middle direction,
  // with the pivot (and its duplicates) on the active side (PatternSet's bit layout).
  std::vector<std::uint64_t> PatternBits(int a) const;

 private:
  static constexpr double kMinimumWidth = 1e-12;
  int n_ = 0;
  Eigen::MatrixXd x_;
  Activation gate_;
  // Per point i: its arcs are [offset_[i], offset_[i + 1]); entry p of the point's events is
  // the p-th angle in increasing order, event_point_ the point that enters or leaves S there.
  std::vector<int> offset_;
  std::vector<int> event_point_;
  std::vector<char> event_enter_;
  std::vector<int> pivot_;
  std::vector<double> start_angle_, width_;
  Eigen::Matrix2Xd start_ray_, end_ray_;
  // Per (i, j), row-major: the positions of j's entering and leaving events on i's circle
  // (-1 when x_j = x_i), and whether j is in S just before i's first event.
  std::vector<int> enter_position_, leave_position_;
  std::vector<char> initially_in_;
};

// The largest dual norm psi over every cell of the planar arrangement (full pattern included)
// at a dual point lambda with sum(lambda) = 0: max(||X^T lambda||, max over atoms of
// |u . F_a^T lambda| over the arc). Exact (no optimisation), so it certifies dual feasibility.
double PlanarWorstDualNorm(const PlanarAtoms& atoms, const Eigen::VectorXd& lambda);

// A factor C with C C^T the inverse of the symmetric 2 x 2 matrix along r r^T + across r' r'^T +
// sum_k weights[k] normals[k] normals[k]^T (r a unit vector, r' = r turned by a right angle,
// along and across positive, weights non-negative, one or two normals): a block Hessian of the
// barrier method in SolvePlanarAtoms, whose Newton systems use the factor (one symmetric rank
// update instead of a general product). The edge terms of a narrow sector can exceed the
// curvature along r by more than the double precision, and then the inverse of the summed matrix
// is singular or indefinite; this one is formed from the pieces' adjugates and determinant,
// where no term cancels (docs/theory.md, "Planar atoms").
Eigen::Matrix2d FactorOfInverseOfNormPlusEdges(const Eigen::Vector2d& radial, double along,
                                               double across,
                                               std::span<const Eigen::Vector2d> normals,
                                               std::span<const double> weights);

// A point of the atom program and its certificate: the free constant is eliminated (residuals
// are centred).
struct PlanarAtomPoint {
  Eigen::Matrix2Xd positive, negative;  // 2 x atoms, each column in its arc's sector
  Eigen::Vector2d linear = Eigen::Vector2d::Zero();
  double constant = 0.0;
  std::vector<std::pair<int, int>> working;  // (atom, sign) blocks of the column generation
  double primal = 0.0, dual = 0.0;  // gap = primal - dual, dual from the centred scaled residual
  int iterations = 0;  // descent sweeps and Newton steps

  double relative_gap() const { return (primal - dual) / std::max(1.0, std::abs(primal)); }
};

// Column generation on the atom program with target y and weight beta, from `point` (updated in
// place): the blocks in play are the nonzero ones and the most violated ones under the O(n^2)
// pricing; the program restricted to them gets up to 200 sweeps of block coordinate descent,
// then a primal barrier method (Newton steps) if descent did not reach its target;
// repeated until the relative gap is <= tolerance, no atom is violated after a restricted solve
// that rounding stopped, or max_steps Newton steps were taken in all. On return, blocks priced
// clearly below beta are zeroed when that costs at most the gap (the polish works on the rest).
void SolvePlanarAtoms(const PlanarAtoms& atoms, const Eigen::VectorXd& y, double beta,
                      double tolerance, int max_steps, PlanarAtomPoint& point);

// The atom point as pattern blocks (q x K, q = 3): each atom's z = (w, -w . x_i) joins its
// pattern's block, the linear block and the constant join the full pattern's. Returns false
// when an atom's pattern is not in `patterns` (not an exact enumeration of these points).
bool PlanarAtomsToPatternBlocks(const PlanarAtoms& atoms, const PatternSet& patterns,
                                const PlanarAtomPoint& point, Eigen::MatrixXd& positive,
                                Eigen::MatrixXd& negative);

}  // namespace convexscore
