// AVX-512 row moves of cpu/phase_rows.h: 16 outputs per masked load, (permute) and store, so
// that a 14-pixel row is one step. Compile with -mavx512f.
#include <immintrin.h>

#include <algorithm>

#include "cpu/phase_rows.h"
#include "cpu/vector_avx512.h"

namespace lethe::cpu::detail {
namespace {

// _mm512_permutex2var_ps indices (index i picks lane i of the first operand for i < 16, lane
// i - 16 of the second otherwise): lane j of the even / odd phase is float 2j / 2j + 1 of the 32
// read.
struct ShuffleIndexTable {
  alignas(64) int32_t even[kLanes];
  alignas(64) int32_t odd[kLanes];
};

constexpr ShuffleIndexTable make_shuffle_index_table() {
  ShuffleIndexTable table{};
  for (int j = 0; j < kLanes; ++j) {
    table.even[j] = 2 * j;
    table.odd[j] = 2 * j + 1;
  }
  return table;
}

constexpr ShuffleIndexTable kShuffleIndex = make_shuffle_index_table();

}  // namespace

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

void split_row_pairs_avx512(const float* source, int64_t source_stride, int64_t rows, int64_t n,
                            int64_t pad, float* even, float* odd, int64_t phase_stride) {
  const __m512i even_lanes = _mm512_load_si512(kShuffleIndex.even);
  const __m512i odd_lanes = _mm512_load_si512(kShuffleIndex.odd);
  const int64_t total = n + pad;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = source + r * source_stride;
    float* even_row = even + r * phase_stride;
    float* odd_row = odd + r * phase_stride;
    for (int64_t v = 0; v < total; v += kLanes) {
      // Pixels v .. v + 15 of each phase are row floats 2v .. 2v + 31, zero past 2n.
      const int64_t floats = 2 * (n - v);
      const __m512 low = _mm512_maskz_loadu_ps(first_lanes(floats), row + 2 * v);
      const __m512 high = _mm512_maskz_loadu_ps(first_lanes(floats - kLanes), row + 2 * v + kLanes);
      const __mmask16 store = first_lanes(total - v);
      _mm512_mask_storeu_ps(even_row + v, store, _mm512_permutex2var_ps(low, even_lanes, high));
      _mm512_mask_storeu_ps(odd_row + v, store, _mm512_permutex2var_ps(low, odd_lanes, high));
    }
  }
}

}  // namespace lethe::cpu::detail
