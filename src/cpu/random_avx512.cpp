// AVX-512 Philox4x32-10 (see random.h). Compiled with -mavx512f.
#include <immintrin.h>

#include <cstring>

#include "cpu/random.h"

namespace lethe::cpu {
namespace {

// 32 x 32 -> 64-bit products of every 32-bit lane by m: the high and low halves.
void multiply_wide(__m512i c, __m512i m, __m512i& high, __m512i& low) {
  const __m512i even = _mm512_mul_epu32(c, m);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(c, 32), m);
  high = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
  low = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

// (bits >> 9) + 0.5, times 2^-23: philox_uniform on 16 lanes.
__m512 to_uniform(__m512i bits) {
  const __m512 mantissa = _mm512_cvtepi32_ps(_mm512_srli_epi32(bits, 9));
  return _mm512_mul_ps(_mm512_add_ps(mantissa, _mm512_set1_ps(0.5f)),
                       _mm512_set1_ps(1.0f / 8388608.0f));
}

}  // namespace

void philox_uniform_blocks(float* out, int64_t blocks, uint64_t key, uint64_t block) {
  const __m512i multiplier0 = _mm512_set1_epi64(0xD2511F53u);
  const __m512i multiplier1 = _mm512_set1_epi64(0xCD9E8D57u);
  const __m512i lane_offsets =
      _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);  // blocks of the low / high 8 counters
  for (int64_t b = 0; b < blocks; b += 16) {
    // Counters of blocks block + b + 0..15: (low 32 bits, high 32 bits, 0, 0).
    const __m512i first = _mm512_add_epi64(_mm512_set1_epi64(block + b), lane_offsets);
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
    // Interleave to block order: within each 128-bit lane L (blocks 4L .. 4L+3), u_k holds block
    // 4L + k as (c0, c1, c2, c3).
    const __m512i t0 = _mm512_unpacklo_epi32(c0, c1), t1 = _mm512_unpackhi_epi32(c0, c1);
    const __m512i t2 = _mm512_unpacklo_epi32(c2, c3), t3 = _mm512_unpackhi_epi32(c2, c3);
    alignas(64) float u[4][16];
    _mm512_store_ps(u[0], to_uniform(_mm512_unpacklo_epi64(t0, t2)));
    _mm512_store_ps(u[1], to_uniform(_mm512_unpackhi_epi64(t0, t2)));
    _mm512_store_ps(u[2], to_uniform(_mm512_unpacklo_epi64(t1, t3)));
    _mm512_store_ps(u[3], to_uniform(_mm512_unpackhi_epi64(t1, t3)));
    const int64_t count = blocks - b < 16 ? blocks - b : 16;
    for (int64_t i = 0; i < count; ++i) {
      std::memcpy(out + 4 * (b + i), &u[i % 4][4 * (i / 4)], 4 * sizeof(float));
    }
  }
}

}  // namespace lethe::cpu
