// Counter-based hashing, value noise and a small portable RNG: every random quantity of the
// renderer is a pure function of (seed, position), so outputs do not depend on thread count,
// strip size or standard library. Internal to bw_datasets.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace bw::datasets::internal {

inline uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

inline uint64_t Hash(uint64_t seed, int64_t a, int64_t b = 0, int64_t c = 0) {
  uint64_t h = Mix64(seed ^ 0x5851F42D4C957F2DULL);
  h = Mix64(h ^ static_cast<uint64_t>(a));
  h = Mix64(h ^ (static_cast<uint64_t>(b) * 0x9E3779B97F4A7C15ULL));
  return Mix64(h ^ (static_cast<uint64_t>(c) * 0xC2B2AE3D27D4EB4FULL));
}

// [0, 1)
inline float Unit(uint64_t h) { return static_cast<float>(h >> 40) * (1.0f / 16777216.0f); }

// Smooth value noise in [-1, 1] on a unit lattice.
inline float ValueNoise(uint64_t seed, double x, double y) {
  const double fx = std::floor(x);
  const double fy = std::floor(y);
  const auto ix = static_cast<int64_t>(fx);
  const auto iy = static_cast<int64_t>(fy);
  float tx = static_cast<float>(x - fx);
  float ty = static_cast<float>(y - fy);
  tx = tx * tx * (3.0f - 2.0f * tx);
  ty = ty * ty * (3.0f - 2.0f * ty);
  const float v00 = Unit(Hash(seed, ix, iy));
  const float v10 = Unit(Hash(seed, ix + 1, iy));
  const float v01 = Unit(Hash(seed, ix, iy + 1));
  const float v11 = Unit(Hash(seed, ix + 1, iy + 1));
  const float a = v00 + (v10 - v00) * tx;
  const float b = v01 + (v11 - v01) * tx;
  return 2.0f * (a + (b - a) * ty) - 1.0f;
}

// Fractal Brownian motion, roughly in [-1, 1] (normalised by the amplitude sum).
inline float Fbm(uint64_t seed, double x, double y, int octaves, double gain = 0.5) {
  float sum = 0.0f;
  float norm = 0.0f;
  float amp = 1.0f;
  for (int o = 0; o < octaves; ++o) {
    // Rotate each octave a little so lattice artefacts do not line up.
    const double rx = 0.8 * x - 0.6 * y;
    const double ry = 0.6 * x + 0.8 * y;
    sum += amp * ValueNoise(seed + 977 * o, rx, ry);
    norm += amp;
    amp *= static_cast<float>(gain);
    x = rx * 2.03 + 17.1;
    y = ry * 2.03 - 5.3;
  }
  return sum / norm;
}

// splitmix64 stream: portable, deterministic.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(Mix64(seed)) {}
  uint64_t Next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    return Mix64(state_);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Integer in [lo, hi].
  int Int(int lo, int hi) {
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Bernoulli(double p) { return Uniform() < p; }
  double Normal() {
    const double u1 = std::max(Uniform(), 1e-300);
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t state_;
};

}  // namespace bw::datasets::internal
