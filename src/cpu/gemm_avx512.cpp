// AVX-512 sgemm kernel family: a register tile of up to 8 rows x 3 zmm vectors (48 floats) of C
// held in 24 zmm accumulators over the whole depth of its A and B panels, with a kernel
// specialised for every edge-tile shape; and a packer that transposes 16 x 16 blocks in registers.
// Compile with -mavx512f -mavx512dq -mavx512vl -mavx512bw -mfma.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>

#include "lethe/cpu/gemm.h"

namespace lethe::cpu::detail {
namespace {

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

// acc(ROWS x 16*VECTORS) = sum over k of a(k, 0..ROWS) outer b(k, 0..16*VECTORS).
template <int ROWS, int VECTORS, int A_STEP>
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
      __m512 b_row[VECTORS];
#pragma GCC unroll 4
      for (int v = 0; v < VECTORS; ++v) b_row[v] = _mm512_loadu_ps(b + kLanes * v);
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; ++r) {
        const __m512 a_value = _mm512_set1_ps(a[r * A_STEP]);
#pragma GCC unroll 4
        for (int v = 0; v < VECTORS; ++v) acc[r][v] = _mm512_fmadd_ps(a_value, b_row[v], acc[r][v]);
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

void avx512_micro_kernel(const MicroTile& tile) {
  const int vectors = (tile.cols + kLanes - 1) / kLanes;
  kTable[tile.rows - 1][vectors - 1](tile);
}

void avx512_strided_a_micro_kernel(const MicroTile& tile) {
  const int vectors = (tile.cols + kLanes - 1) / kLanes;
  kStridedTable[tile.rows - 1][vectors - 1](tile);
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

constexpr TransposeIndexTable kTransposeIndex = make_transpose_index_table();

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

// dst[k * dst_k_stride + w] = src[w * src_w_stride + k] for a full 16 x 16 block.
inline void pack_full_block(const float* src, int64_t src_w_stride, float* dst,
                            int64_t dst_k_stride) {
  __m512 block[16];
#pragma GCC unroll 16
  for (int w = 0; w < 16; ++w) block[w] = _mm512_loadu_ps(src + w * src_w_stride);
  transpose_16x16(block);
#pragma GCC unroll 16
  for (int k = 0; k < 16; ++k) _mm512_storeu_ps(dst + k * dst_k_stride, block[k]);
}

// An edge block: reads `lines` lines of `steps` floats, stores `steps` rows of `lanes` floats
// (lanes >= lines; the lanes past `lines` get zeros).
void pack_partial_block(const float* src, int64_t src_w_stride, int lines, int steps, int lanes,
                        float* dst, int64_t dst_k_stride) {
  const __mmask16 load_mask = static_cast<__mmask16>((1u << steps) - 1u);
  const __mmask16 store_mask = static_cast<__mmask16>((1u << lanes) - 1u);
  __m512 block[16];
  for (int w = 0; w < 16; ++w) {
    const float* line = src + w * src_w_stride;
    block[w] = w < lines ? _mm512_maskz_loadu_ps(load_mask, line) : _mm512_setzero_ps();
  }
  transpose_16x16(block);
  for (int k = 0; k < steps; ++k) {
    _mm512_mask_storeu_ps(dst + k * dst_k_stride, store_mask, block[k]);
  }
}

// An 8-wide panel's block of 16 steps (the A panels, mr = 8): dst[k * 8 + w] =
// src[w * src_w_stride + k] for w < lines <= 8, zero for lines <= w < 8, k < 16. The 8 x 8
// halves are transposed in place by the stages d = 4, 2, 1 of transpose_16x16 (row i then holds
// step i, then step 8 + i), and rows i, i + 1 give the 128 floats of dst as 8 full vectors.
// Against the 16 x 16 route (half of it zeros) with its masked stores of 8 lanes: 15-18 -> 8-9 ns
// per 16 steps in cache; in the downsample's weight gradient, where grad_y comes from memory, the
// packing went from 21 % to 8 % of the profile but the wall time moved by under 4 %.
void pack_eight_lines_block(const float* src, int64_t src_w_stride, int lines, float* dst) {
  constexpr int kLines = 8;
  __m512 rows[kLines];
#pragma GCC unroll 8
  for (int w = 0; w < kLines; ++w) {
    rows[w] = w < lines ? _mm512_loadu_ps(src + w * src_w_stride) : _mm512_setzero_ps();
  }
  swap_blocks(rows, 1);
  // (_mm512_shuffle_f32x4 would do, but GCC 12's reads an undefined register and warns.)
  const __m512i low_halves =
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  const __m512i high_halves =
      _mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
#pragma GCC unroll 4
  for (int j = 0; j < kLines / 2; ++j) {
    _mm512_storeu_ps(dst + j * kLanes,
                     _mm512_permutex2var_ps(rows[2 * j], low_halves, rows[2 * j + 1]));
    _mm512_storeu_ps(dst + (j + kLines / 2) * kLanes,
                     _mm512_permutex2var_ps(rows[2 * j], high_halves, rows[2 * j + 1]));
  }
}

// TransposingPacker working on 16 x 16 blocks (16 lines x 16 steps of depth).
void avx512_pack_transposed(const float* src, int64_t src_w_stride, int64_t depth, int width,
                            int panel_width, float* dst) {
  for (int w0 = 0; w0 < panel_width; w0 += kLanes) {
    const int lanes = std::min(kLanes, panel_width - w0);
    const int lines = std::max(0, std::min(lanes, width - w0));
    const float* src_lines = src + w0 * src_w_stride;
    for (int64_t k0 = 0; k0 < depth; k0 += kLanes) {
      const int steps = static_cast<int>(std::min<int64_t>(kLanes, depth - k0));
      float* dst_block = dst + k0 * panel_width + w0;
      if (lines == kLanes && steps == kLanes) {
        pack_full_block(src_lines + k0, src_w_stride, dst_block, panel_width);
      } else if (panel_width == 8 && steps == kLanes) {
        pack_eight_lines_block(src_lines + k0, src_w_stride, lines, dst_block);
      } else {
        pack_partial_block(src_lines + k0, src_w_stride, lines, steps, lanes, dst_block,
                           panel_width);
      }
    }
  }
}

}  // namespace

const KernelFamily& avx512_kernel_family() {
  // Tuned on a Zen 5 core (48 KiB L1d, 1 MiB L2): the 8 x 640 A panel (20 KiB) stays in L1, the
  // 640 x 48 B panel in L2. 640 rather than 384 keeps the 3x3 convolutions' depth of 9 x 64 = 576
  // in one slice, so C is loaded and stored once: im2col passes at 7x7 70-76 -> 72-77 % of peak,
  // the 64 -> 64 downsample's forward 61.1 -> 62.6 %, 1x1 passes and sgemm 512^3 unchanged (bench
  // ops, four or five alternating rounds).
  constexpr int64_t kRowBlock = 192;
  constexpr int64_t kDepthBlock = 640;
  constexpr int64_t kColumnBlock = 1536;
  static const KernelFamily family{"avx512",
                                   kTileRows,
                                   kTileVectors * kLanes,
                                   kRowBlock,
                                   kDepthBlock,
                                   kColumnBlock,
                                   &avx512_micro_kernel,
                                   &avx512_strided_a_micro_kernel,
                                   &avx512_pack_transposed};
  return family;
}

}  // namespace lethe::cpu::detail
