#include "cpu/random.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "cpu/peak.h"
#include "lethe/rng.h"

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
    Generator::uniform_fill(uniforms, count, key, block + static_cast<uint64_t>(first / 4));
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
