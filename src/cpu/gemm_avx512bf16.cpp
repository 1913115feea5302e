// AVX-512 BF16 sgemm kernel family (MatmulMath::bf16): the register-tiled micro-kernel of
// cpu/gemm_tile_avx512.h on vdpbf16ps, which adds to each fp32 lane of C the products of one
// pair of bf16 values from A and one from B (two k per step, twice the multiply-adds of an fp32
// FMA), and packers that round fp32 operands to bf16 (to nearest even) as they pack them into
// such pairs.
// Compile with -mavx512f -mavx512dq -mavx512vl -mavx512bw -mavx512bf16 -mfma.
#include <immintrin.h>

#include <algorithm>

#include "lethe/cpu/gemm.h"
#include "lethe/cpu/gemm_tile_avx512.h"
#include "lethe/cpu/vector_avx512.h"

namespace lethe::cpu::detail {
namespace {

using avx512_tile::broadcast_word;
using avx512_tile::micro_kernel;
using avx512_tile::transpose_16x16;

// One step of the tile: acc += a.lo * b.lo + a.hi * b.hi per lane, the products of bf16 pairs
// summed in fp32; a is a pair broadcast from memory.
struct Bf16Dot {
  static __m512i broadcast(const float* a) { return broadcast_word(a); }
  static __m512 step(__m512 acc, __m512i a, __m512i b) {
    return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b);
  }
};

void bf16_micro_kernel(const MicroTile& tile) {
  micro_kernel<Bf16Dot, 1>(tile);
}

void bf16_strided_a_micro_kernel(const MicroTile& tile) {
  micro_kernel<Bf16Dot, 2>(tile);
}

// The 16 lanes of `even` and `odd` rounded to bf16 and paired: word j = (even[j], odd[j]).
inline __m512i pair_lanes(__m512 even, __m512 odd) {
  // _mm512_cvtne2ps_pbh(odd, even) holds even[0..16] then odd[0..16] as 16-bit elements;
  // element 2 j of the result takes element j, element 2 j + 1 element 16 + j.
  alignas(64) static constexpr int16_t kInterleave[32] = {
      0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
      8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  const __m512i halves = (__m512i)_mm512_cvtne2ps_pbh(odd, even);
  return _mm512_permutexvar_epi16(_mm512_load_si512(kInterleave), halves);
}

// RowPacker: panel word (p, w) = (src[2 p][w], src[2 p + 1][w]) in bf16, rows src_k_stride
// floats apart; zero past `depth` rows and past `width` columns.
void pack_row_pairs(const float* src, int64_t src_k_stride, int64_t depth, int width,
                    int panel_width, float* dst) {
  const int64_t pairs = (depth + 1) / 2;
  for (int64_t p = 0; p < pairs; ++p) {
    const float* even_row = src + 2 * p * src_k_stride;
    const bool has_odd = 2 * p + 1 < depth;
    for (int w0 = 0; w0 < panel_width; w0 += kLanes) {
      const __mmask16 valid = first_lanes(width - w0);
      const __m512 even = _mm512_maskz_loadu_ps(valid, even_row + w0);
      const __m512 odd = has_odd ? _mm512_maskz_loadu_ps(valid, even_row + src_k_stride + w0)
                                 : _mm512_setzero_ps();
      _mm512_mask_storeu_epi32(dst + p * panel_width + w0, first_lanes(panel_width - w0),
                               pair_lanes(even, odd));
    }
  }
}

// TransposingPacker: panel word (p, w) = (src[w][2 p], src[w][2 p + 1]) in bf16, lines
// src_w_stride floats apart; zero past `depth` and past `width` lines. Blocks of 16 lines x 32 k:
// each line's 32 floats become 16 words, and the 16 x 16 words are transposed in registers.
void pack_line_pairs(const float* src, int64_t src_w_stride, int64_t depth, int width,
                     int panel_width, float* dst) {
  constexpr int64_t kBlockDepth = 2 * kLanes;
  for (int w0 = 0; w0 < panel_width; w0 += kLanes) {
    const int lines = std::clamp(width - w0, 0, static_cast<int>(kLanes));
    const __mmask16 store_mask = first_lanes(panel_width - w0);
    for (int64_t k0 = 0; k0 < depth; k0 += kBlockDepth) {
      const int64_t steps = std::min(kBlockDepth, depth - k0);
      const __mmask16 low = first_lanes(steps), high = first_lanes(steps - kLanes);
      __m512 block[kLanes];
      for (int w = 0; w < kLanes; ++w) {
        if (w >= lines) {
          block[w] = _mm512_setzero_ps();
          continue;
        }
        const float* line = src + (w0 + w) * src_w_stride + k0;
        // Consecutive floats rounded in order: word j holds k0 + 2 j and k0 + 2 j + 1.
        const __m512bh words = _mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(high, line + kLanes),
                                                   _mm512_maskz_loadu_ps(low, line));
        block[w] = (__m512)words;
      }
      transpose_16x16(block);
      const int64_t block_pairs = (steps + 1) / 2;
      for (int64_t p = 0; p < block_pairs; ++p) {
        _mm512_mask_storeu_ps(dst + (k0 / 2 + p) * panel_width + w0, store_mask, block[p]);
      }
    }
  }
}

}  // namespace

const KernelFamily& avx512bf16_kernel_family() {
  // The fp32 family's blocks in words: an 8 x 640-word A panel (20 KiB) stays in L1, the
  // 640 x 48-word B panel in L2, and a 3x3 convolution's depth of 9 x 128 = 1,152 fits one slice.
  constexpr int64_t kRowBlock = 192;
  constexpr int64_t kDepthBlock = 1280;
  constexpr int64_t kColumnBlock = 1536;
  static const KernelFamily family{"avx512bf16",
                                   avx512_tile::kTileRows,
                                   avx512_tile::kTileVectors * avx512_tile::kLanes,
                                   kRowBlock,
                                   kDepthBlock,
                                   kColumnBlock,
                                   2,
                                   &bf16_micro_kernel,
                                   &bf16_strided_a_micro_kernel,
                                   &pack_line_pairs,
                                   &pack_row_pairs};
  return family;
}

}  // namespace lethe::cpu::detail
