#include "lethe/cpu/padded_rows.h"

#include <algorithm>

#include "lethe/cpu/isa.h"

namespace lethe::cpu {
namespace detail {

void copy_padded_rows_portable(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                               int64_t pad, float* target, int64_t target_stride) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = source + r * source_stride;
    float* target_row = target + r * target_stride;
    std::copy(row, row + n, target_row);
    std::fill(target_row + n, target_row + n + pad, 0.0f);
  }
}

}  // namespace detail

void copy_padded_rows(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                      int64_t pad, float* target, int64_t target_stride) {
  static const auto copy =
      cpu_runs_avx512() ? &detail::copy_padded_rows_avx512 : &detail::copy_padded_rows_portable;
  copy(source, source_stride, rows, n, pad, target, target_stride);
}

}  // namespace lethe::cpu
