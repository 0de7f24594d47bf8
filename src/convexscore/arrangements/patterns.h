// Activation patterns of a point set with bias (theory.md section 3): for a direction u = (w, b),
// the pattern is D = 1[X~ u >= 0] with X~ = [X, 1], i.e. the subset of the points in the closed
// half-space {x : w . x + b >= 0}. The convex programs sum over the distinct patterns.
//
// A pattern is stored as a bitset over the n points (64 points per word), so K patterns take
// K * ceil(n / 64) words; solvers read the bits and apply the mask on the fly.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <Eigen/Dense>

namespace convexscore {

enum class PatternMethod {
  kExact,    // every distinct closed half-space subset (d <= 3)
  kSampled,  // the patterns of random directions: a subset of the exact set
};
std::string_view PatternMethodName(PatternMethod method);

class PatternSet {
 public:
  explicit PatternSet(int points);

  int points() const { return points_; }
  int size() const { return static_cast<int>(bits_.size() / words_); }
  int words() const { return words_; }

  bool Active(int k, int i) const {
    return (bits_[static_cast<std::size_t>(k) * words_ + (i >> 6)] >> (i & 63)) & 1u;
  }
  const std::uint64_t* Bits(int k) const { return &bits_[static_cast<std::size_t>(k) * words_]; }
  int ActiveCount(int k) const;
  std::vector<int> ActiveIndices(int k) const;
  // The mask as 0/1 doubles (size n).
  Eigen::VectorXd Mask(int k) const;

  // Adds the pattern (words() words, bits beyond points() zero) unless it is already present.
  // Returns whether it was added.
  bool Insert(const std::uint64_t* bits);
  // The index of a pattern, or -1.
  int Find(const std::uint64_t* bits) const;

  PatternMethod method = PatternMethod::kExact;
  std::uint64_t seed = 0;      // kSampled: the seed of the directions
  int sampled_directions = 0;  // kSampled: how many directions were drawn (each with -u too)

 private:
  std::uint64_t Hash(const std::uint64_t* bits) const;

  int points_;
  int words_;
  std::vector<std::uint64_t> bits_;
  std::unordered_multimap<std::uint64_t, int> index_;  // hash -> pattern
};

// Exact enumeration of every distinct pattern, including the empty and the full one.
// d = 1 and d = 2: any data (duplicates and collinear points are handled; the count is then
// below the general-position count n(n-1)+2 in the plane). In the plane, directions closer than
// 1e-9 rad are treated as one (points that are collinear to that angular precision).
// d = 3: points in general position (no duplicates, no three collinear, no four coplanar);
// otherwise throws Error naming the degeneracy. d > 3 throws Error (use SamplePatterns).
PatternSet EnumeratePatterns(const Eigen::Ref<const Eigen::MatrixXd>& x);

// The general-position counts: 2 * sum_{i=0..d} C(n-1, i) (n(n-1)+2 for d = 2).
std::int64_t GeneralPositionPatternCount(int n, int d);

// Patterns of `directions` random directions and their negatives: u = (w, b) standard normal in
// the coordinates of the standardised data, so every direction cuts through the data cloud.
// De-duplicated; reproducible from the seed. Throws Error for directions < 1.
PatternSet SamplePatterns(const Eigen::Ref<const Eigen::MatrixXd>& x, int directions,
                          std::uint64_t seed);

}  // namespace convexscore
