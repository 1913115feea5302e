// AVX-512 row copies of cpu/padded_rows.h: 16 outputs per masked load and store, so that a
// 14-pixel row is one step. Compile with -mavx512f.
#include <immintrin.h>

#include "lethe/cpu/padded_rows.h"
#include "lethe/cpu/vector_avx512.h"

namespace lethe::cpu::detail {

void copy_padded_rows_avx512(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                             int64_t pad, float* target, int64_t target_stride) {
  const int64_t total = n + pad;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = source + r * source_stride;
    float* target_row = target + r * target_stride;
    for (int64_t v = 0; v < total; v += kLanes) {
      _mm512_mask_storeu_ps(target_row + v, first_lanes(total - v),
                            _mm512_maskz_loadu_ps(first_lanes(n - v), row + v));
    }
  }
}

}  // namespace lethe::cpu::detail
