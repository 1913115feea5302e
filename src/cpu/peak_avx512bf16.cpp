// AVX-512 BF16 dot-product chains for measure_bf16_peak_gflops. Compile with -mavx512f
// -mavx512bf16.
#include <immintrin.h>

#include "lethe/cpu/peak.h"

namespace lethe::cpu::detail {

float dpbf16_chains_avx512(int64_t rounds) {
  constexpr int kChains = static_cast<int>(kBf16MultiplyAddsPerRound / 32);
  // Each vdpbf16ps adds, per fp32 lane, the products of two bf16 pairs: 32 multiply-adds.
  const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.999f), _mm512_set1_ps(0.998f));
  const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(-1e-3f));
  __m512 chain[kChains];
#pragma GCC unroll 16
  for (int i = 0; i < kChains; ++i) chain[i] = _mm512_set1_ps(0.5f + 0.01f * i);
  for (int64_t round = 0; round < rounds; ++round) {
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i) chain[i] = _mm512_dpbf16_ps(chain[i], a, b);
  }
  __m512 sum = _mm512_setzero_ps();
  for (int i = 0; i < kChains; ++i) sum = _mm512_add_ps(sum, chain[i]);
  return _mm512_reduce_add_ps(sum);
}

}  // namespace lethe::cpu::detail
