// AVX-512 sgemm kernel family: the register-tiled micro-kernel of cpu/gemm_tile_avx512.h on fp32
// FMAs (8 rows x 48 columns of C in 24 zmm accumulators), and a packer that transposes 16 x 16
// blocks in registers.
// Compile with -mavx512f -mavx512dq -mavx512vl -mavx512bw -mfma.
#include <immintrin.h>

#include <algorithm>

#include "lethe/cpu/gemm.h"
#include "lethe/cpu/gemm_tile_avx512.h"

namespace lethe::cpu::detail {
namespace {

using namespace avx512_tile;

// One step of the tile: acc += a * b in fp32, a broadcast from memory.
struct Fma {
  static __m512 broadcast(const float* a) { return _mm512_set1_ps(*a); }
  static __m512 step(__m512 acc, __m512 a, __m512i b) {
    return _mm512_fmadd_ps(a, _mm512_castsi512_ps(b), acc);
  }
};

void avx512_micro_kernel(const MicroTile& tile) {
  micro_kernel<Fma, 1>(tile);
}

void avx512_strided_a_micro_kernel(const MicroTile& tile) {
  micro_kernel<Fma, 2>(tile);
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
                                   1,
                                   &avx512_micro_kernel,
                                   &avx512_strided_a_micro_kernel,
                                   &avx512_pack_transposed,
                                   &pack_row_panel_portable};
  return family;
}

}  // namespace lethe::cpu::detail
