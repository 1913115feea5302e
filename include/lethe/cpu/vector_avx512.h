// What the AVX-512 kernels share: the lane count, the mask of a vector's first lanes, lane sums,
// and the 16-float vector as the `Vec` of activation_vector.h (static inline wrappers: width,
// load, store, set1, add, sub, mul, div, fma, fnma, min, max, round, exp2i) for the files that
// use its exp-based functions. Include only from files compiled with -mavx512f.
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

namespace lethe::cpu::detail {

inline constexpr int64_t kLanes = 16;

inline __mmask16 first_lanes(int64_t count) {
  return count >= kLanes ? static_cast<__mmask16>(0xFFFF)
                         : static_cast<__mmask16>((1u << std::max<int64_t>(count, 0)) - 1u);
}

// The lanes of v summed in lane order (GCC 12's _mm512_reduce_add_ps / _pd read an undefined
// register and warn).
inline float lane_sum(__m512 v) {
  alignas(64) float lanes[kLanes];
  _mm512_store_ps(lanes, v);
  float total = 0.0f;
  for (const float lane : lanes) total += lane;
  return total;
}
inline double lane_sum(__m512d v) {
  alignas(64) double lanes[kLanes / 2];
  _mm512_store_pd(lanes, v);
  double total = 0;
  for (const double lane : lanes) total += lane;
  return total;
}

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

}  // namespace lethe::cpu::detail
