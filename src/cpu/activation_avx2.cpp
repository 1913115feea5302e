// AVX2+FMA activation kernels (see activation_vector.h). Compiled with -mavx2 -mfma.
#include <immintrin.h>

#include "lethe/cpu/activation_vector.h"

namespace lethe::cpu::detail {
namespace {

struct Avx2 {
  using type = __m256;
  static constexpr int64_t width = 8;
  static type load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, type v) { _mm256_storeu_ps(p, v); }
  static type set1(float v) { return _mm256_set1_ps(v); }
  static type add(type a, type b) { return _mm256_add_ps(a, b); }
  static type sub(type a, type b) { return _mm256_sub_ps(a, b); }
  static type mul(type a, type b) { return _mm256_mul_ps(a, b); }
  static type div(type a, type b) { return _mm256_div_ps(a, b); }
  static type fma(type a, type b, type c) { return _mm256_fmadd_ps(a, b, c); }
  static type fnma(type a, type b, type c) { return _mm256_fnmadd_ps(a, b, c); }
  static type min(type a, type b) { return _mm256_min_ps(a, b); }
  static type max(type a, type b) { return _mm256_max_ps(a, b); }
  static type round(type a) {
    return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  // 2^n for integral n in [-126, 127].
  static type exp2i(type n) {
    const __m256i biased = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(biased, 23));
  }
};

}  // namespace

void activation_forward_avx2(Activation f, const float* x, float* y, int64_t n) {
  forward_all<Avx2>(f, x, y, n);
}

void activation_backward_avx2(Activation f, const float* x, const float* gy, float* gx, int64_t n) {
  backward_all<Avx2>(f, x, gy, gx, n);
}

}  // namespace lethe::cpu::detail
