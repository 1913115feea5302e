// AVX2 + FMA sgemm kernel family: a register tile of up to 6 rows x 2 ymm vectors (16 floats) of
// C held in 12 ymm accumulators over the whole depth of its A and B panels, with a kernel
// specialised for every edge-tile shape.  Compile with -mavx2 -mfma.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>

#include "lethe/cpu/gemm.h"

namespace lethe::cpu::detail {
namespace {

constexpr int kLanes = 8;
constexpr int kTileRows = 6;
constexpr int kTileVectors = 2;  // 6 x 16 tile: 12 accumulators + 2 B vectors + 1 broadcast

// All-ones in the lanes of the last vector of a row that belong to C.
inline __m256i last_vector_mask(int cols, int vectors) {
  const int lanes = cols - kLanes * (vectors - 1);
  const __m256i lane_index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), lane_index);
}

// C(ROWS, cols) = alpha * acc + beta * C; full vectors use plain moves, the last one a mask.
template <int ROWS, int VECTORS>
inline void store_tile(const MicroTile& tile, const __m256 (&acc)[ROWS][VECTORS]) {
  const bool full_width = tile.cols == kLanes * VECTORS;
  const __m256i tail = last_vector_mask(tile.cols, VECTORS);
  const __m256 alpha = _mm256_set1_ps(tile.alpha);
  const __m256 beta = _mm256_set1_ps(tile.beta);
  const bool read_c = tile.beta != 0.0f;
#pragma GCC unroll 8
  for (int r = 0; r < ROWS; ++r) {
    float* c_row = tile.c + r * tile.ldc;
#pragma GCC unroll 4
    for (int v = 0; v < VECTORS; ++v) {
      float* c_vector = c_row + kLanes * v;
      const bool masked = v == VECTORS - 1 && !full_width;
      __m256 result = _mm256_mul_ps(alpha, acc[r][v]);
      if (read_c) {
        const __m256 old = masked ? _mm256_maskload_ps(c_vector, tail) : _mm256_loadu_ps(c_vector);
        result = _mm256_fmadd_ps(beta, old, result);
      }
      if (masked) {
        _mm256_maskstore_ps(c_vector, tail, result);
      } else {
        _mm256_storeu_ps(c_vector, result);
      }
    }
  }
}

// acc(ROWS x 8*VECTORS) = sum over k of a(k, 0..ROWS) outer b(k, 0..8*VECTORS).
template <int ROWS, int VECTORS, int A_STEP>
void tile_kernel(const MicroTile& tile) {
  __m256 acc[ROWS][VECTORS];
#pragma GCC unroll 8
  for (int r = 0; r < ROWS; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < VECTORS; ++v) acc[r][v] = _mm256_setzero_ps();
  }
  const float* a = tile.a;
  const int segments = std::max(tile.segments, 1);
  for (int s = 0; s < segments; ++s) {
    const float* b = tile.b + (tile.b_segment_offsets != nullptr ? tile.b_segment_offsets[s] : 0);
    if (tile.a_segment_offsets != nullptr) a = tile.a + tile.a_segment_offsets[s];
    for (int64_t k = 0; k < tile.depth; ++k) {
      __m256 b_row[VECTORS];
#pragma GCC unroll 4
      for (int v = 0; v < VECTORS; ++v) b_row[v] = _mm256_loadu_ps(b + kLanes * v);
#pragma GCC unroll 8
      for (int r = 0; r < ROWS; ++r) {
        const __m256 a_value = _mm256_broadcast_ss(a + r * A_STEP);
#pragma GCC unroll 4
        for (int v = 0; v < VECTORS; ++v) acc[r][v] = _mm256_fmadd_ps(a_value, b_row[v], acc[r][v]);
      }
      a += tile.a_k_stride;
      b += tile.b_k_stride;
    }
  }
  store_tile<ROWS, VECTORS>(tile, acc);
}

using KernelRow = std::array<MicroKernel, kTileVectors>;
using KernelTable = std::array<KernelRow, kTileRows>;

template <int A_STEP, int ROWS, int... VECTOR_INDEX>
constexpr KernelRow kernels_for_rows(std::integer_sequence<int, VECTOR_INDEX...>) {
  return {&tile_kernel<ROWS, VECTOR_INDEX + 1, A_STEP>...};
}

template <int A_STEP, int... ROW_INDEX>
constexpr KernelTable make_kernel_table(std::integer_sequence<int, ROW_INDEX...>) {
  return {
      kernels_for_rows<A_STEP, ROW_INDEX + 1>(std::make_integer_sequence<int, kTileVectors>{})...};
}

// kTable[rows - 1][vectors - 1] is the kernel specialised for that edge tile, kStridedTable the
// same with A's rows two floats apart.
constexpr KernelTable kTable = make_kernel_table<1>(std::make_integer_sequence<int, kTileRows>{});
constexpr KernelTable kStridedTable =
    make_kernel_table<2>(std::make_integer_sequence<int, kTileRows>{});

void avx2_micro_kernel(const MicroTile& tile) {
  const int vectors = (tile.cols + kLanes - 1) / kLanes;
  kTable[tile.rows - 1][vectors - 1](tile);
}

void avx2_strided_a_micro_kernel(const MicroTile& tile) {
  const int vectors = (tile.cols + kLanes - 1) / kLanes;
  kStridedTable[tile.rows - 1][vectors - 1](tile);
}

}  // namespace

const KernelFamily& avx2_kernel_family() {
  constexpr int64_t kRowBlock = 144;
  constexpr int64_t kDepthBlock = 256;
  constexpr int64_t kColumnBlock = 1536;
  static const KernelFamily family{"avx2",
                                   kTileRows,
                                   kTileVectors * kLanes,
                                   kRowBlock,
                                   kDepthBlock,
                                   kColumnBlock,
                                   1,
                                   &avx2_micro_kernel,
                                   &avx2_strided_a_micro_kernel,
                                   &pack_transposed_panel_portable,
                                   &pack_row_panel_portable};
  return family;
}

}  // namespace lethe::cpu::detail
