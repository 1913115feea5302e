// AVX-512 Philox4x32-10 (see random.h): 16 blocks per step, their 64 values put in stream order
// (value 4 b + j is lane j of block b) by lane permutes, then as uniforms or as a dropout mask.
// Compiled with -mavx512f.
#include <immintrin.h>

#include <cstring>

#include "lethe/cpu/random.h"
#include "lethe/cpu/vector_avx512.h"

namespace lethe::cpu {
namespace {

using detail::first_lanes;
using detail::kLanes;

// 32 x 32 -> 64-bit products of every 32-bit lane by m: the high and low halves.
void multiply_wide(__m512i c, __m512i m, __m512i& high, __m512i& low) {
  const __m512i even = _mm512_mul_epu32(c, m);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(c, 32), m);
  high = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
  low = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

// The 64 values of blocks block .. block + 15 in stream order: bits[v] holds values 16 v ..
// 16 v + 15, those of blocks 4 v .. 4 v + 3.
void sixteen_blocks(uint64_t key, uint64_t block, __m512i (&bits)[4]) {
  const __m512i multiplier0 = _mm512_set1_epi64(0xD2511F53u);
  const __m512i multiplier1 = _mm512_set1_epi64(0xCD9E8D57u);
  const __m512i lane_offsets = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  // Counters of blocks block + 0..15: (low 32 bits, high 32 bits, 0, 0).
  const __m512i first = _mm512_add_epi64(_mm512_set1_epi64(block), lane_offsets);
  const __m512i second = _mm512_add_epi64(first, _mm512_set1_epi64(8));
  const __m512i pick_low =
      _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i pick_high =
      _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  __m512i c0 = _mm512_permutex2var_epi32(first, pick_low, second);
  __m512i c1 = _mm512_permutex2var_epi32(first, pick_high, second);
  __m512i c2 = _mm512_setzero_si512(), c3 = _mm512_setzero_si512();
  uint32_t key0 = static_cast<uint32_t>(key), key1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    __m512i high0, low0, high1, low1;
    multiply_wide(c0, multiplier0, high0, low0);
    multiply_wide(c2, multiplier1, high1, low1);
    c0 = _mm512_xor_si512(_mm512_xor_si512(high1, c1), _mm512_set1_epi32(key0));
    c1 = low1;
    c2 = _mm512_xor_si512(_mm512_xor_si512(high0, c3), _mm512_set1_epi32(key1));
    c3 = low0;
    key0 += 0x9E3779B9u;
    key1 += 0xBB67AE85u;
  }
  // Within each 128-bit lane L, u_k holds block 4 L + k as (c0, c1, c2, c3).
  const __m512i t0 = _mm512_unpacklo_epi32(c0, c1), t1 = _mm512_unpackhi_epi32(c0, c1);
  const __m512i t2 = _mm512_unpacklo_epi32(c2, c3), t3 = _mm512_unpackhi_epi32(c2, c3);
  const __m512i u0 = _mm512_unpacklo_epi64(t0, t2), u1 = _mm512_unpackhi_epi64(t0, t2);
  const __m512i u2 = _mm512_unpacklo_epi64(t1, t3), u3 = _mm512_unpackhi_epi64(t1, t3);
  // Transpose the 4 x 4 grid of 128-bit lanes: bits[v] = (u0, u1, u2, u3) lane v.
  const __m512i lanes_01 =
      _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
  const __m512i lanes_23 =
      _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
  const __m512i low_halves =
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  const __m512i high_halves =
      _mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  const __m512i a = _mm512_permutex2var_epi32(u0, lanes_01, u1);  // u0 L0, u1 L0, u0 L1, u1 L1
  const __m512i b = _mm512_permutex2var_epi32(u2, lanes_01, u3);
  const __m512i c = _mm512_permutex2var_epi32(u0, lanes_23, u1);  // u0 L2, u1 L2, u0 L3, u1 L3
  const __m512i d = _mm512_permutex2var_epi32(u2, lanes_23, u3);
  bits[0] = _mm512_permutex2var_epi32(a, low_halves, b);
  bits[1] = _mm512_permutex2var_epi32(a, high_halves, b);
  bits[2] = _mm512_permutex2var_epi32(c, low_halves, d);
  bits[3] = _mm512_permutex2var_epi32(c, high_halves, d);
}

// (bits >> 9) + 0.5, times 2^-23: philox_uniform on 16 lanes.
__m512 to_uniform(__m512i bits) {
  const __m512 mantissa = _mm512_cvtepi32_ps(_mm512_srli_epi32(bits, 9));
  return _mm512_mul_ps(_mm512_add_ps(mantissa, _mm512_set1_ps(0.5f)),
                       _mm512_set1_ps(1.0f / 8388608.0f));
}

}  // namespace

void philox_uniform_blocks(float* out, int64_t blocks, uint64_t key, uint64_t block) {
  for (int64_t b = 0; b < blocks; b += 16) {
    __m512i bits[4];
    sixteen_blocks(key, block + b, bits);
    const int64_t values = 4 * (blocks - b < 16 ? blocks - b : 16);
    for (int v = 0; v < 4; ++v) {
      _mm512_mask_storeu_ps(out + 4 * b + v * kLanes, first_lanes(values - v * kLanes),
                            to_uniform(bits[v]));
    }
  }
}

void detail::dropout_avx512(const float* x, float* y, float* scaled_mask, int64_t n, uint64_t key,
                            uint64_t block, uint32_t threshold, float scale) {
  const __m512i below = _mm512_set1_epi32(static_cast<int>(threshold));
  const __m512 scales = _mm512_set1_ps(scale);
  for (int64_t first = 0; first < n; first += 4 * kLanes) {
    __m512i bits[4];
    sixteen_blocks(key, block + static_cast<uint64_t>(first / 4), bits);
    for (int v = 0; v < 4; ++v) {
      const int64_t at = first + v * kLanes;
      const __mmask16 inside = first_lanes(n - at);
      const __mmask16 kept = _mm512_cmplt_epu32_mask(_mm512_srli_epi32(bits[v], 9), below);
      const __m512 mask = _mm512_maskz_mov_ps(kept, scales);
      _mm512_mask_storeu_ps(scaled_mask + at, inside, mask);
      _mm512_mask_storeu_ps(y + at, inside,
                            _mm512_mul_ps(_mm512_maskz_loadu_ps(inside, x + at), mask));
    }
  }
}

}  // namespace lethe::cpu
