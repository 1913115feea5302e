#include "cpu/phase_rows.h"

#include <algorithm>

#include "cpu/peak.h"

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

void split_row_pairs_portable(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                              int64_t pad, float* even, float* odd, int64_t phase_stride) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = source + r * source_stride;
    float* even_row = even + r * phase_stride;
    float* odd_row = odd + r * phase_stride;
    for (int64_t v = 0; v < n; ++v) {
      even_row[v] = row[2 * v];
      odd_row[v] = row[2 * v + 1];
    }
    for (int64_t v = n; v < n + pad; ++v) even_row[v] = odd_row[v] = 0.0f;
  }
}

}  // namespace detail

namespace {

struct Kernels {
  decltype(&detail::copy_padded_rows_portable) copy;
  decltype(&detail::split_row_pairs_portable) split;
};

const Kernels& best_kernels() {
  static const Kernels kernels = [] {
    if (cpu_runs_avx512()) {
      return Kernels{&detail::copy_padded_rows_avx512, &detail::split_row_pairs_avx512};
    }
    return Kernels{&detail::copy_padded_rows_portable, &detail::split_row_pairs_portable};
  }();
  return kernels;
}

}  // namespace

void copy_padded_rows(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                      int64_t pad, float* target, int64_t target_stride) {
  best_kernels().copy(source, source_stride, rows, n, pad, target, target_stride);
}

void split_row_pairs(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                     int64_t pad, float* even, float* odd, int64_t phase_stride) {
  best_kernels().split(source, source_stride, rows, n, pad, even, odd, phase_stride);
}

}  // namespace lethe::cpu
