// AVX2 + FMA chains for measure_fma_peak_gflops.  Compile with -mavx2 -mfma.
#include <immintrin.h>

#include "lethe/cpu/peak.h"

namespace lethe::cpu::detail {

float fma_chains_avx2(int64_t rounds) {
  constexpr int kChains = static_cast<int>(kAvx2MultiplyAddsPerRound / 8);
  const __m256 decay = _mm256_set1_ps(0.999999f);
  const __m256 drift = _mm256_set1_ps(1e-6f);
  __m256 chain[kChains];
#pragma GCC unroll 16
  for (int i = 0; i < kChains; ++i) chain[i] = _mm256_set1_ps(0.5f + 0.01f * i);
  for (int64_t round = 0; round < rounds; ++round) {
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i) chain[i] = _mm256_fmadd_ps(chain[i], decay, drift);
  }
  __m256 sum = _mm256_setzero_ps();
  for (int i = 0; i < kChains; ++i) sum = _mm256_add_ps(sum, chain[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0.0f;
  for (float lane : lanes) total += lane;
  return total;
}

}  // namespace lethe::cpu::detail
