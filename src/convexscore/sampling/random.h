// Random numbers for the samplers, written out here so that a seed means the same numbers with
// any standard library: SplitMix64 (seeding), xoshiro256** (the stream), uniform draws from the
// top 53 bits, and standard normals by the ziggurat method. Only std::exp, std::log, std::sqrt
// and (for the layer table) std::erfc come from the C library; all but sqrt may differ by an
// ulp between libms, so a seed reproduces bit for bit on one platform and to rounding across
// platforms.
//
// Every particle of a sampler owns a stream derived from (seed, particle index) alone, so the
// samples do not depend on how particles are shared among threads.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace convexscore {

// SplitMix64 (Steele, Lea and Flood 2014): a 64-bit counter passed through a mixing function.
// Used to expand one seed into the 256-bit state of xoshiro256**.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix(state_);
  }
  // The output function alone: a bijective hash of 64-bit words.
  static std::uint64_t Mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

// xoshiro256** 1.0 (Blackman and Vigna 2018): 256-bit state, period 2^256 - 1.
class Xoshiro256StarStar {
 public:
  // State from four SplitMix64 outputs, the seeding its authors recommend.
  explicit Xoshiro256StarStar(std::uint64_t seed) {
    SplitMix64 expander(seed);
    for (std::uint64_t& word : s_) word = expander.Next();
  }
  // An explicit state (tests against the reference implementation); not all zero.
  Xoshiro256StarStar(std::uint64_t s0, std::uint64_t s1, std::uint64_t s2, std::uint64_t s3)
      : s_{s0, s1, s2, s3} {}

  std::uint64_t Next() {
    const std::uint64_t result = RotateLeft(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = RotateLeft(s_[3], 45);
    return result;
  }

  // Uniform on [0, 1): the top 53 bits scaled by 2^-53.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform on (0, 1): the midpoints of the 2^53 cells, never 0 or 1 (for inverse CDFs).
  double UniformOpen() { return (static_cast<double>(Next() >> 11) + 0.5) * 0x1.0p-53; }

 private:
  static std::uint64_t RotateLeft(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// The stream of particle `index` under `seed`. Seed and index are hashed separately and the
// results hashed together, so neighbouring indices (or seeds) give unrelated states rather
// than shifted copies of one SplitMix64 sequence.
inline Xoshiro256StarStar ParticleStream(std::uint64_t seed, std::uint64_t index) {
  const std::uint64_t key =
      SplitMix64::Mix(SplitMix64::Mix(seed) ^ SplitMix64::Mix(index + 0x632be59bd9b4e019ULL));
  return Xoshiro256StarStar(key);
}

// An index drawn uniformly below `count` (> 0) from one Uniform() draw.
inline std::size_t UniformIndex(Xoshiro256StarStar& rng, std::size_t count) {
  const auto index = static_cast<std::size_t>(rng.Uniform() * static_cast<double>(count));
  return index < count ? index : count - 1;
}

// Standard normal draws by the ziggurat method of Marsaglia and Tsang (2000) with 256 layers
// of equal area under exp(-x^2/2). One 64-bit draw usually suffices: its low 8 bits pick a
// layer, its top 53 bits a signed position in it, accepted at once 98.5% of the time; the rest
// go through the wedge test or the tail (Marsaglia's exponential method beyond r = 3.654...).
// The draws are a fixed function of the stream; the layer table is computed once.
class NormalSource {
 public:
  NormalSource();

  double Next(Xoshiro256StarStar& rng) const {
    while (true) {
      const std::uint64_t bits = rng.Next();
      const unsigned layer = static_cast<unsigned>(bits & 0xff);
      const double u = static_cast<double>(bits >> 11) * 0x1.0p-52 - 1.0;  // in [-1, 1)
      const double x = u * table_->x[layer];
      if (std::abs(x) < table_->x[layer + 1]) return x;  // inside the layer's core rectangle
      if (layer == 0) return Tail(rng, u < 0.0);
      const double y = table_->f[layer] + rng.Uniform() * (table_->f[layer + 1] - table_->f[layer]);
      if (y < std::exp(-0.5 * x * x)) return x;
    }
  }

  // The layers: x[0] = v / f(r) (the base strip with the tail folded in), x[1] = r, ...,
  // x[256] = 0, and f[i] = exp(-x[i]^2 / 2).
  struct Table {
    double x[257];
    double f[257];
  };

 private:
  static double Tail(Xoshiro256StarStar& rng, bool negative);
  const Table* table_;
};

}  // namespace convexscore
