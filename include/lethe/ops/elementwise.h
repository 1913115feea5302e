// Elementwise ops with numpy broadcasting (f32, f64; all operands on one device), and
// stop_gradient.
#pragma once
#include "lethe/core/tensor.h"

namespace lethe {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double scalar);
Tensor mul(const Tensor& a, double scalar);
Tensor rsub(double scalar, const Tensor& a);  // scalar - a
Tensor rdiv(double scalar, const Tensor& a);  // scalar / a

inline Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
inline Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
inline Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
inline Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
inline Tensor operator+(const Tensor& a, double s) {
  return add(a, s);
}
inline Tensor operator-(const Tensor& a, double s) {
  return add(a, -s);
}
inline Tensor operator*(const Tensor& a, double s) {
  return mul(a, s);
}
inline Tensor operator/(const Tensor& a, double s) {
  return mul(a, 1.0 / s);
}
inline Tensor operator+(double s, const Tensor& a) {
  return add(a, s);
}
inline Tensor operator-(double s, const Tensor& a) {
  return rsub(s, a);
}
inline Tensor operator*(double s, const Tensor& a) {
  return mul(a, s);
}
inline Tensor operator/(double s, const Tensor& a) {
  return rdiv(s, a);
}

Tensor neg(const Tensor& a);
inline Tensor operator-(const Tensor& a) {
  return neg(a);
}
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor rsqrt(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor square(const Tensor& a);
Tensor sigmoid(const Tensor& a);
Tensor silu(const Tensor& a);  // a * sigmoid(a)
Tensor tanh(const Tensor& a);
Tensor pow(const Tensor& a, double exponent);
Tensor clamp(const Tensor& a, double low, double high);  // gradient 0 outside [low, high]
Tensor minimum(const Tensor& a, double value);
Tensor maximum(const Tensor& a, double value);

inline Tensor stop_gradient(const Tensor& a) {
  return a.detach();
}

}  // namespace lethe
