// Random numbers for the samplers, written out here so that a seed means the same numbers with
// any standard library: SplitMix64 (seeding), xoshiro256** (the stream), uniform draws from the
// top 53 bits, and standard normals by Marsaglia's polar method. Only std::log and std::sqrt
// are taken from the C library (correctly rounded sqrt; log may differ by an ulp between libms).
//
// Every particle of a sampler owns a stream derived from (seed, particle index) alone, so the
// samples do not depend on how particles are shared among threads.
#pragma once

#include <cmath>
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

// Standard normal draws by the polar method: pairs of uniforms in the unit disc give two
// independent normals; the second is kept for the next call. The kept value is part of the
// generator's state, so draws are a fixed function of the stream.
class NormalSource {
 public:
  double Next(Xoshiro256StarStar& rng) {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, r2;
    do {
      u = 2.0 * rng.Uniform() - 1.0;
      v = 2.0 * rng.Uniform() - 1.0;
      r2 = u * u + v * v;
    } while (r2 >= 1.0 || r2 == 0.0);
    const double scale = std::sqrt(-2.0 * std::log(r2) / r2);
    spare_ = v * scale;
    has_spare_ = true;
    return u * scale;
  }

 private:
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace convexscore
