// What the AVX-512 GEMM families (cpu/gemm_avx512.cpp: fp32 FMAs, cpu/gemm_avx512bf16.cpp: bf16
// dot products) share: the register-tiled micro-kernel, parameterised by its multiply-add step,
// the edge-tile tables, the store of a tile, and the 16 x 16 transpose of 32-bit lanes their
// packers use. Include only from files compiled with -mavx512f -mavx512bw.
//
// The kernels see both operands as 32-bit words: an fp32 value, or for bf16 a pair of bf16 values
// of consecutive k (k = 2 p in the low half, 2 p + 1 in the high half), so one kernel step is one
// k for fp32 and two for bf16. A tile of up to 8 rows x 3 zmm vectors (48 columns) of C is held
// in 24 zmm accumulators over the whole depth of its A and B panels, with a kernel specialised
// for every edge-tile shape.
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "lethe/cpu/gemm.h"

namespace lethe::cpu::detail::avx512_tile {

constexpr int kLanes = 16;
constexpr int kTileRows = 8;
constexpr int kTileVectors = 3;  // 8 x 48 tile: 24 accumulators + 3 B vectors + 1 broadcast

// Lanes of the last vector of a row that belong to C: cols in (16 * (vectors - 1), 16 * vectors].
inline __mmask16 last_vector_mask(int cols, int vectors) {
  const int lanes = cols - kLanes * (vectors - 1);
  return static_cast<__mmask16>((1u << lanes) - 1u);
}

// C(ROWS, cols) = alpha * acc + beta * C with masked stores on the last vector of each row.
template <int ROWS, int VECTORS>
inline void store_tile(const MicroTile& tile, const __m512 (&acc)[ROWS][VECTORS]) {
  const __mmask16 tail = last_vector_mask(tile.cols, VECTORS);
  const __m512 alpha = _mm512_set1_ps(tile.alpha);
  const __m512 beta = _mm512_set1_ps(tile.beta);
  const bool read_c = tile.beta != 0.0f;
#pragma GCC unroll 16
  for (int r = 0; r < ROWS; ++r) {
    float* c_row = tile.c + r * tile.ldc;
#pragma GCC unroll 4
    for (int v = 0; v < VECTORS; ++v) {
      const __mmask16 mask = v == VECTORS - 1 ? tail : static_cast<__mmask16>(0xFFFF);
      __m512 result = _mm512_mul_ps(alpha, acc[r][v]);
      if (read_c) {
        result = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(mask, c_row + kLanes * v), result);
      }
      _mm512_mask_storeu_ps(c_row + kLanes * v, mask, result);
    }
  }
}

// The 32-bit word at p, broadcast to every lane bit for bit (a bf16 pair is not a float).
inline __m512i broadcast_word(const float* p) {
  int32_t word;
  std::memcpy(&word, p, sizeof(word));
  return _mm512_set1_epi32(word);
}

// acc(ROWS x 16*VECTORS) = sum over steps of a(step, 0..ROWS) outer b(step, 0..16*VECTORS), where
// MultiplyAdd::broadcast(p) spreads the a word at p over a register and
// MultiplyAdd::step(acc, that register, b vector) adds one step's products.
template <class MultiplyAdd, int ROWS, int VECTORS, int A_STEP>
void tile_kernel(const MicroTile& tile) {
  __m512 acc[ROWS][VECTORS];
#pragma GCC unroll 16
  for (int r = 0; r < ROWS; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < VECTORS; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  const float* a = tile.a;
  const int segments = std::max(tile.segments, 1);
  for (int s = 0; s < segments; ++s) {
    const float* b = tile.b + (tile.b_segment_offsets != nullptr ? tile.b_segment_offsets[s] : 0);
    if (tile.a_segment_offsets != nullptr) a = tile.a + tile.a_segment_offsets[s];
    for (int64_t k = 0; k < tile.depth; ++k) {
      __m512i b_row[VECTORS];
#pragma GCC unroll 4
      for (int v = 0; v < VECTORS; ++v) b_row[v] = _mm512_loadu_si512(b + kLanes * v);
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; ++r) {
        const auto a_word = MultiplyAdd::broadcast(a + r * A_STEP);
#pragma GCC unroll 4
        for (int v = 0; v < VECTORS; ++v)
          acc[r][v] = MultiplyAdd::step(acc[r][v], a_word, b_row[v]);
      }
      a += tile.a_k_stride;
      b += tile.b_k_stride;
    }
  }
  store_tile<ROWS, VECTORS>(tile, acc);
}

using KernelRow = std::array<MicroKernel, kTileVectors>;
using KernelTable = std::array<KernelRow, kTileRows>;

template <class MultiplyAdd, int A_STEP, int ROWS, int... VECTOR_INDEX>
constexpr KernelRow kernels_for_rows(std::integer_sequence<int, VECTOR_INDEX...>) {
  return {&tile_kernel<MultiplyAdd, ROWS, VECTOR_INDEX + 1, A_STEP>...};
}

// table[rows - 1][vectors - 1] is the kernel specialised for that edge tile, A's rows A_STEP
// words apart.
template <class MultiplyAdd, int A_STEP, int... ROW_INDEX>
constexpr KernelTable make_kernel_table(std::integer_sequence<int, ROW_INDEX...>) {
  return {kernels_for_rows<MultiplyAdd, A_STEP, ROW_INDEX + 1>(
      std::make_integer_sequence<int, kTileVectors>{})...};
}

template <class MultiplyAdd, int A_STEP>
void micro_kernel(const MicroTile& tile) {
  static constexpr KernelTable table =
      make_kernel_table<MultiplyAdd, A_STEP>(std::make_integer_sequence<int, kTileRows>{});
  const int vectors = (tile.cols + kLanes - 1) / kLanes;
  table[tile.rows - 1][vectors - 1](tile);
}

// Lane indices for _mm512_permutex2var_ps that swap the off-diagonal d x d blocks of every
// 2d x 2d block between rows i and i + d (i with bit d clear), d = 8, 4, 2, 1 for stage 0 .. 3:
//   new row i    [j] = j & d ? row (i + d)[j - d] : row i[j]
//   new row i + d[j] = j & d ? row (i + d)[j]     : row i[j + d]
// Index 0..15 picks from the first operand, 16..31 from the second.
struct TransposeIndexTable {
  alignas(64) int32_t upper[4][16];
  alignas(64) int32_t lower[4][16];
};

constexpr TransposeIndexTable make_transpose_index_table() {
  TransposeIndexTable table{};
  for (int stage = 0; stage < 4; ++stage) {
    const int d = 8 >> stage;
    for (int j = 0; j < 16; ++j) {
      table.upper[stage][j] = (j & d) != 0 ? 16 + j - d : j;
      table.lower[stage][j] = (j & d) != 0 ? 16 + j : j + d;
    }
  }
  return table;
}

inline constexpr TransposeIndexTable kTransposeIndex = make_transpose_index_table();

// Stages [first_stage, 4) of the block swaps over the first Rows rows (Rows >= 16 >> first_stage).
template <int Rows>
inline void swap_blocks(__m512 (&rows)[Rows], int first_stage) {
#pragma GCC unroll 4
  for (int stage = first_stage; stage < 4; ++stage) {
    const int d = 8 >> stage;
    const __m512i upper_index = _mm512_load_si512(kTransposeIndex.upper[stage]);
    const __m512i lower_index = _mm512_load_si512(kTransposeIndex.lower[stage]);
#pragma GCC unroll 16
    for (int i = 0; i < Rows; ++i) {
      if ((i & d) != 0) continue;
      const __m512 upper = _mm512_permutex2var_ps(rows[i], upper_index, rows[i + d]);
      const __m512 lower = _mm512_permutex2var_ps(rows[i], lower_index, rows[i + d]);
      rows[i] = upper;
      rows[i + d] = lower;
    }
  }
}

// rows[i][j] becomes rows[j][i]: swapping off-diagonal blocks at every scale transposes.
inline void transpose_16x16(__m512 (&rows)[16]) {
  swap_blocks(rows, 0);
}

}  // namespace lethe::cpu::detail::avx512_tile
