// AVX-512 FMA chains for measure_fma_peak_gflops.  Compile with -mavx512f -mfma.
#include <immintrin.h>

#include "lethe/cpu/peak.h"

namespace lethe::cpu::detail {

float fma_chains_avx512(int64_t rounds) {
  constexpr int kChains = static_cast<int>(kAvx512MultiplyAddsPerRound / 16);
  const __m512 decay = _mm512_set1_ps(0.999999f);
  const __m512 drift = _mm512_set1_ps(1e-6f);
  __m512 chain[kChains];
#pragma GCC unroll 16
  for (int i = 0; i < kChains; ++i) chain[i] = _mm512_set1_ps(0.5f + 0.01f * i);
  for (int64_t round = 0; round < rounds; ++round) {
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i) chain[i] = _mm512_fmadd_ps(chain[i], decay, drift);
  }
  __m512 sum = _mm512_setzero_ps();
  for (int i = 0; i < kChains; ++i) sum = _mm512_add_ps(sum, chain[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  float total = 0.0f;
  for (float lane : lanes) total += lane;
  return total;
}

}  // namespace lethe::cpu::detail
