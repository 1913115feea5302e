#include "cpu/random.h"

#include <algorithm>

#include "cpu/peak.h"
#include "lethe/rng.h"

namespace lethe::cpu {

bool has_vector_philox() {
  static const bool available = cpu_supports_isa("avx512");
  return available;
}

template <class T>
void dropout_forward(const T* x, T* y, T* scaled_mask, int64_t n, uint64_t key, uint64_t block,
                     double keep, T scale) {
  constexpr int64_t kChunk = 4096;  // values per uniform draw, a multiple of 4 (one block)
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
