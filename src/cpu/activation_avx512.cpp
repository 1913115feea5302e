// AVX-512 activation kernels (see activation_vector.h). Compiled with -mavx512f.
#include <immintrin.h>

#include "cpu/activation_vector.h"

namespace lethe::cpu::detail {
namespace {

struct Avx512 {
  using type = __m512;
  static constexpr int64_t width = 16;
  static type load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, type v) { _mm512_storeu_ps(p, v); }
  static type set1(float v) { return _mm512_set1_ps(v); }
  static type add(type a, type b) { return _mm512_add_ps(a, b); }
  static type sub(type a, type b) { return _mm512_sub_ps(a, b); }
  static type mul(type a, type b) { return _mm512_mul_ps(a, b); }
  static type div(type a, type b) { return _mm512_div_ps(a, b); }
  static type fma(type a, type b, type c) { return _mm512_fmadd_ps(a, b, c); }
  static type fnma(type a, type b, type c) { return _mm512_fnmadd_ps(a, b, c); }
  static type min(type a, type b) { return _mm512_min_ps(a, b); }
  static type max(type a, type b) { return _mm512_max_ps(a, b); }
  static type round(type a) {
    return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  // 2^n for integral n in [-126, 127].
  static type exp2i(type n) {
    const __m512i biased = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(biased, 23));
  }
};

}  // namespace

void activation_forward_avx512(Activation f, const float* x, float* y, int64_t n) {
  forward_all<Avx512>(f, x, y, n);
}

void activation_backward_avx512(Activation f, const float* x, const float* gy, float* gx,
                                int64_t n) {
  backward_all<Avx512>(f, x, gy, gx, n);
}

}  // namespace lethe::cpu::detail
