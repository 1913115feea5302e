// The activation kernels over one SIMD width, shared by activation_avx512.cpp and
// activation_avx2.cpp: each includes this after defining `Vec` (a struct of static inline
// wrappers: width, load, store, set1, add, sub, mul, div, fma, min, max, round, exp2i).
// Tails run through a zero-padded buffer of one vector, so every element takes the same path.
#pragma once
#include <algorithm>
#include <cstdint>

#include "lethe/cpu/activation.h"

namespace lethe::cpu::detail {

// exp(x): x = n ln2 + r with |r| <= ln2 / 2 (ln2 split in two for exactness), a degree-7 Cephes
// polynomial for exp(r), times 2^n built in the exponent bits.
template <class V>
inline typename V::type vector_exp(typename V::type x) {
  x = V::min(V::max(x, V::set1(-87.3f)), V::set1(88.3f));
  const auto n = V::round(V::mul(x, V::set1(1.44269504088896341f)));
  auto r = V::fnma(n, V::set1(0.693359375f), x);
  r = V::fnma(n, V::set1(-2.12194440e-4f), r);
  auto p = V::set1(1.9875691500e-4f);
  p = V::fma(p, r, V::set1(1.3981999507e-3f));
  p = V::fma(p, r, V::set1(8.3334519073e-3f));
  p = V::fma(p, r, V::set1(4.1665795894e-2f));
  p = V::fma(p, r, V::set1(1.6666665459e-1f));
  p = V::fma(p, r, V::set1(5.0000001201e-1f));
  p = V::fma(V::mul(p, r), r, V::add(r, V::set1(1.0f)));
  return V::mul(p, V::exp2i(n));
}

template <class V>
inline typename V::type vector_sigmoid(typename V::type x) {
  const auto one = V::set1(1.0f);
  return V::div(one, V::add(one, vector_exp<V>(V::sub(V::set1(0.0f), x))));
}

template <class V>
inline typename V::type forward_lanes(Activation f, typename V::type x) {
  switch (f) {
    case Activation::exp:
      return vector_exp<V>(x);
    case Activation::sigmoid:
      return vector_sigmoid<V>(x);
    case Activation::silu:
      return V::mul(x, vector_sigmoid<V>(x));
  }
  return x;
}

// f'(x) * gy.
template <class V>
inline typename V::type backward_lanes(Activation f, typename V::type x, typename V::type gy) {
  const auto one = V::set1(1.0f);
  switch (f) {
    case Activation::exp:
      return V::mul(gy, vector_exp<V>(x));
    case Activation::sigmoid: {
      const auto s = vector_sigmoid<V>(x);
      return V::mul(gy, V::mul(s, V::sub(one, s)));
    }
    case Activation::silu: {  // s (1 + x (1 - s))
      const auto s = vector_sigmoid<V>(x);
      return V::mul(gy, V::mul(s, V::fma(x, V::sub(one, s), one)));
    }
  }
  return gy;
}

template <class V>
void forward_all(Activation f, const float* x, float* y, int64_t n) {
  constexpr int64_t w = V::width;
  int64_t i = 0;
  for (; i + w <= n; i += w) V::store(y + i, forward_lanes<V>(f, V::load(x + i)));
  if (i == n) return;
  float in[w] = {}, out[w];
  std::copy(x + i, x + n, in);
  V::store(out, forward_lanes<V>(f, V::load(in)));
  std::copy(out, out + (n - i), y + i);
}

template <class V>
void backward_all(Activation f, const float* x, const float* gy, float* gx, int64_t n) {
  constexpr int64_t w = V::width;
  int64_t i = 0;
  for (; i + w <= n; i += w) {
    V::store(gx + i, backward_lanes<V>(f, V::load(x + i), V::load(gy + i)));
  }
  if (i == n) return;
  float in[w] = {}, grad[w] = {}, out[w];
  std::copy(x + i, x + n, in);
  std::copy(gy + i, gy + n, grad);
  V::store(out, backward_lanes<V>(f, V::load(in), V::load(grad)));
  std::copy(out, out + (n - i), gx + i);
}

}  // namespace lethe::cpu::detail
