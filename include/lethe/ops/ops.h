// Device-neutral differentiable ops. Each checks its arguments (lethe::Error naming the op and the
// shapes), dispatches to the tensor's backend and records its VJP for autograd.
// Floating ops accept f32 and f64 (f64 serves the finite-difference gradient checks); all float
// inputs of one op must share a dtype and a device.
#pragma once
#include <cstdint>
#include <vector>

#include "lethe/core/tensor.h"
#include "lethe/ops/random.h"

namespace lethe {

// ---- elementwise, numpy broadcasting --------------------------------------------------------
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

// Reduces `a` by summation to `shape` (the inverse of broadcasting `shape` to a's shape).
Tensor sum_to(const Tensor& a, const Shape& shape);

// ---- reductions -----------------------------------------------------------------------------
Tensor sum(const Tensor& a);  // all elements, rank 0
Tensor mean(const Tensor& a);
Tensor sum(const Tensor& a, const std::vector<int>& axes, bool keepdim = false);
Tensor mean(const Tensor& a, const std::vector<int>& axes, bool keepdim = false);

// ---- linear algebra -------------------------------------------------------------------------
// a: (..., M, K) (or (..., K, M) when trans_a), b: (..., K, N) (or (..., N, K) when trans_b),
// equal batch dims, or one operand 2-D and broadcast over the other's batch -> (..., M, N).
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);
// x: (B, in), weight: (out, in), bias: (out) or undefined -> (B, out). PyTorch's layout.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

// ---- convolution and resampling -------------------------------------------------------------
// x: (B, Cin, H, W), weight: (Cout, Cin, KH, KW), bias: (Cout) or undefined
// -> (B, Cout, (H + 2p - KH) / s + 1, (W + 2p - KW) / s + 1). Zero padding.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride = 1,
              int padding = 0);
// x: (B, C, H, W) -> (B, C, 2H, 2W), each pixel repeated 2x2.
Tensor upsample_nearest2x(const Tensor& x);

// ---- shape ----------------------------------------------------------------------------------
Tensor concat(const std::vector<Tensor>& parts, int axis);
std::vector<Tensor> split(const Tensor& a, const std::vector<int64_t>& sizes, int axis);
Tensor narrow(const Tensor& a, int axis, int64_t start, int64_t length);  // a copy, recorded

// ---- normalisation and activations ----------------------------------------------------------
// x: (B, C, ...), weight/bias: (C) or undefined. Statistics over (C / groups, ...) per sample.
Tensor group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias,
                  double eps);
// silu(group_norm(...)) in one pass (CPU and cuda), without the normalised tensor in between.
Tensor group_norm_silu(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias,
                       double eps);
Tensor softmax(const Tensor& a, int axis = -1);
Tensor log_softmax(const Tensor& a, int axis = -1);

// ---- attention ------------------------------------------------------------------------------
// Single-head attention over positions, channels first: q, k, v (B, C, N) -> (B, C, N) with
// out[b, :, i] = sum_j softmax_j(q[b, :, i] . k[b, :, j] / sqrt(C)) v[b, :, j]. On cuda (up to
// cuda::kMaxFusedAttentionPositions positions, unless --kernels vendor) it runs the fused kernels
// of kernels/attention.cu; otherwise matmul, softmax, matmul.
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v);

// ---- lookup, regularisation, losses ---------------------------------------------------------
// weight: (N, D), indices: i64 or i32 of any shape S with values in [0, N) -> S + (D). For a
// weight on cuda the indices may live on either device.
Tensor embedding(const Tensor& weight, const Tensor& indices);
// Inverted dropout: keeps each element with probability 1 - p and scales it by 1 / (1 - p).
// Identity when !training or p == 0. The mask comes from `generator` (Philox stream).
Tensor dropout(const Tensor& a, double p, bool training, Generator& generator);
Tensor mse_loss(const Tensor& prediction, const Tensor& target);  // mean over all elements
// mean over all elements of w_b (prediction - target)^2, b the leading index; sample_weights (B)
// or undefined (all 1). The DSM loss, likelihood-weighted or not; one fused reduction on cuda.
Tensor weighted_mse_loss(const Tensor& prediction, const Tensor& target,
                         const Tensor& sample_weights);
// logits: (B, C), labels: i64 (B) with values in [0, C) -> mean negative log-likelihood.
Tensor cross_entropy(const Tensor& logits, const Tensor& labels);
inline Tensor stop_gradient(const Tensor& a) {
  return a.detach();
}

}  // namespace lethe
