#include "lethe/cpu/random.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "lethe/core/philox.h"
#include "lethe/cpu/isa.h"

namespace lethe::cpu {

bool has_vector_philox() {
  static const bool available = cpu_supports_isa("avx512");
  return available;
}

uint32_t uniform_threshold(double keep) {
  // (m + 0.5) 2^-23 < keep  <=>  m < keep 2^23 - 0.5 (exact in double)  <=>  m < ceil of it
  const double bound = std::ceil(std::clamp(keep, 0.0, 1.0) * 8388608.0 - 0.5);
  return static_cast<uint32_t>(std::max(bound, 0.0));
}

void uniform_fill(float* out, int64_t n, uint64_t key, uint64_t block) {
  if (has_vector_philox()) {  // whole blocks 16 at a time, then the last partial block
    const int64_t whole_blocks = n / 4, chunk = 4096;
#pragma omp parallel for if (n > (1 << 16)) schedule(static)
    for (int64_t first = 0; first < whole_blocks; first += chunk) {
      philox_uniform_blocks(out + 4 * first, std::min(chunk, whole_blocks - first), key,
                            block + static_cast<uint64_t>(first));
    }
    if (n % 4 != 0) {
      const PhiloxBlock lanes = philox_block(key, block + static_cast<uint64_t>(whole_blocks));
      for (int64_t i = 4 * whole_blocks; i < n; ++i) out[i] = philox_uniform(lanes[i % 4]);
    }
    return;
  }
#pragma omp parallel for if (n > (1 << 16)) schedule(static)
  for (int64_t b = 0; b < (n + 3) / 4; ++b) {
    const PhiloxBlock lanes = philox_block(key, block + static_cast<uint64_t>(b));
    for (int lane = 0; lane < 4 && 4 * b + lane < n; ++lane) {
      out[4 * b + lane] = philox_uniform(lanes[lane]);
    }
  }
}

void uniform_fill(float* out, int64_t n, uint64_t key, uint64_t block, double low, double high) {
  uniform_fill(out, n, key, block);
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(low + (high - low) * out[i]);
}

void bernoulli_fill(float* out, int64_t n, uint64_t key, uint64_t block, double p) {
  uniform_fill(out, n, key, block);
  for (int64_t i = 0; i < n; ++i) out[i] = out[i] < p ? 1.0f : 0.0f;
}

void randint_fill(int64_t* out, int64_t n, uint64_t key, uint64_t block, int64_t low,
                  int64_t high) {
  const uint64_t range = static_cast<uint64_t>(high - low);
  for (int64_t i = 0; i < n; ++i) {
    const PhiloxBlock lanes = philox_block(key, block + static_cast<uint64_t>(i / 4));
    // 32-bit multiply-shift: bias below 2^-32 * range, negligible for label ranges.
    out[i] = low + static_cast<int64_t>((static_cast<uint64_t>(lanes[i % 4]) * range) >> 32);
  }
}

// Lanes (0, 1) and (2, 3) of each block give two normals each by Box-Muller.
void normal_fill(float* out, int64_t n, uint64_t key, uint64_t block) {
  constexpr float kTwoPi = 6.28318530717958647692f;
#pragma omp parallel for if (n > (1 << 16)) schedule(static)
  for (int64_t b = 0; b < (n + 3) / 4; ++b) {
    const PhiloxBlock lanes = philox_block(key, block + static_cast<uint64_t>(b));
    float values[4];
    for (int pair = 0; pair < 2; ++pair) {
      const float radius = std::sqrt(-2.0f * std::log(philox_uniform(lanes[2 * pair])));
      const float angle = kTwoPi * philox_uniform(lanes[2 * pair + 1]);
      values[2 * pair] = radius * std::cos(angle);
      values[2 * pair + 1] = radius * std::sin(angle);
    }
    for (int lane = 0; lane < 4 && 4 * b + lane < n; ++lane) out[4 * b + lane] = values[lane];
  }
}

template <class T>
void dropout_forward(const T* x, T* y, T* scaled_mask, int64_t n, uint64_t key, uint64_t block,
                     double keep, T scale) {
  constexpr int64_t kChunk = 4096;  // values per uniform draw, a multiple of 4 (one block)
  if constexpr (std::is_same_v<T, float>) {
    if (has_vector_philox()) {
      const uint32_t threshold = uniform_threshold(keep);
#pragma omp parallel for if (n > (1 << 16)) schedule(static)
      for (int64_t first = 0; first < n; first += kChunk) {
        detail::dropout_avx512(x + first, y + first, scaled_mask + first,
                               std::min(kChunk, n - first), key,
                               block + static_cast<uint64_t>(first / 4), threshold, scale);
      }
      return;
    }
  }
#pragma omp parallel for if (n > (1 << 16)) schedule(static)
  for (int64_t first = 0; first < n; first += kChunk) {
    const int64_t count = std::min(kChunk, n - first);
    float uniforms[kChunk];
    uniform_fill(uniforms, count, key, block + static_cast<uint64_t>(first / 4));
    for (int64_t i = 0; i < count; ++i) {
      const T kept = uniforms[i] < keep ? scale : T(0);
      scaled_mask[first + i] = kept;
      y[first + i] = x[first + i] * kept;
    }
  }
}

template void dropout_forward<float>(const float*, float*, float*, int64_t, uint64_t, uint64_t,
                                     double, float);
template void dropout_forward<double>(const double*, double*, double*, int64_t, uint64_t, uint64_t,
                                      double, double);

}  // namespace lethe::cpu
