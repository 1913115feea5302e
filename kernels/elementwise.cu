// Elementwise kernels (fp32): unary ops and their derivatives, binary ops with numpy broadcasting,
// and the fused bias + SiLU the U-Net applies after its convolutions. Grid-stride loops, one
// element per thread per step, so any grid covers any size.
#pragma once
#include "kernels/activation.cuh"
#include "kernels/simt.cuh"
#include "lethe/core/op_geometry.h"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

using lethe::BinaryOp;
using lethe::UnaryOp;

constexpr int kBroadcastRank = 5;

// Offsets of the two operands of a broadcast op, for an output of up to five axes (padded at the
// front with extent 1); a stride is 0 where its operand broadcasts along the axis.
struct BroadcastIndex {
  long long extents[kBroadcastRank];
  long long a_strides[kBroadcastRank];
  long long b_strides[kBroadcastRank];
};

__device__ __forceinline__ long long first_index() {
  return static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ long long grid_stride() {
  return static_cast<long long>(gridDim.x) * blockDim.x;
}

__device__ __forceinline__ float apply_unary(UnaryOp op, float x, float p0, float p1) {
  switch (op) {
    case UnaryOp::neg:
      return -x;
    case UnaryOp::exp:
      return expf(x);
    case UnaryOp::log:
      return logf(x);
    case UnaryOp::sqrt:
      return sqrtf(x);
    case UnaryOp::rsqrt:
      return 1.0f / sqrtf(x);
    case UnaryOp::abs:
      return fabsf(x);
    case UnaryOp::square:
      return x * x;
    case UnaryOp::sigmoid:
      return sigmoid(x);
    case UnaryOp::silu:
      return silu(x);
    case UnaryOp::tanh:
      return tanhf(x);
    case UnaryOp::pow:
      return powf(x, p0);
    case UnaryOp::clamp:
      return x < p0 ? p0 : (x > p1 ? p1 : x);
    case UnaryOp::add_scalar:
      return x + p0;
    case UnaryOp::mul_scalar:
      return x * p0;
    case UnaryOp::rsub_scalar:
      return p0 - x;
    case UnaryOp::rdiv_scalar:
      return p0 / x;
  }
  return x;
}

// d op(x) / dx, given x and y = op(x).
__device__ __forceinline__ float unary_derivative(UnaryOp op, float x, float y, float p0,
                                                  float p1) {
  switch (op) {
    case UnaryOp::neg:
      return -1.0f;
    case UnaryOp::exp:
      return y;
    case UnaryOp::log:
      return 1.0f / x;
    case UnaryOp::sqrt:
      return 0.5f / y;
    case UnaryOp::rsqrt:
      return -0.5f * y * y * y;
    case UnaryOp::abs:
      return x > 0 ? 1.0f : (x < 0 ? -1.0f : 0.0f);
    case UnaryOp::square:
      return 2.0f * x;
    case UnaryOp::sigmoid:
      return y * (1.0f - y);
    case UnaryOp::silu:
      return silu_derivative(x);
    case UnaryOp::tanh:
      return 1.0f - y * y;
    case UnaryOp::pow:
      return p0 * powf(x, p0 - 1.0f);
    case UnaryOp::clamp:
      return (x >= p0 && x <= p1) ? 1.0f : 0.0f;
    case UnaryOp::add_scalar:
      return 1.0f;
    case UnaryOp::mul_scalar:
      return p0;
    case UnaryOp::rsub_scalar:
      return -1.0f;
    case UnaryOp::rdiv_scalar:
      return -y / x;
  }
  return 0.0f;
}

__device__ __forceinline__ float apply_binary(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::add:
      return a + b;
    case BinaryOp::sub:
      return a - b;
    case BinaryOp::mul:
      return a * b;
    case BinaryOp::div:
      return a / b;
  }
  return a;
}

// x, y: (n)
__global__ void unary_forward_kernel(UnaryOp op, const float* __restrict__ x, float* __restrict__ y,
                                     long long n, float p0, float p1) {
  for (long long i = first_index(); i < n; i += grid_stride()) y[i] = apply_unary(op, x[i], p0, p1);
}

// x, y, grad_y, grad_x: (n)
__global__ void unary_backward_kernel(UnaryOp op, const float* __restrict__ x,
                                      const float* __restrict__ y, const float* __restrict__ grad_y,
                                      float* __restrict__ grad_x, long long n, float p0, float p1) {
  for (long long i = first_index(); i < n; i += grid_stride()) {
    grad_x[i] = grad_y[i] * unary_derivative(op, x[i], y[i], p0, p1);
  }
}

// a, b, out: (n), the same shape.
__global__ void binary_same_shape_kernel(BinaryOp op, const float* __restrict__ a,
                                         const float* __restrict__ b, float* __restrict__ out,
                                         long long n) {
  for (long long i = first_index(); i < n; i += grid_stride())
    out[i] = apply_binary(op, a[i], b[i]);
}

// out[i] = op(a[i], b[i / inner]) when b_broadcast, else op(a[i / inner], b[i]): one operand
// broadcast along out's trailing axes ((B, C, 1, 1) against (B, C, H, W)), n < 2^31. Grid-stride.
__global__ void binary_trailing_broadcast_kernel(BinaryOp op, const float* __restrict__ a,
                                                 const float* __restrict__ b,
                                                 float* __restrict__ out, int inner,
                                                 bool b_broadcast, int n) {
  const int stride = gridDim.x * blockDim.x;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int j = i / inner;
    out[i] = b_broadcast ? apply_binary(op, a[i], b[j]) : apply_binary(op, a[j], b[i]);
  }
}

// out: index.extents (n elements); a and b read through their broadcast strides.
__global__ void binary_broadcast_kernel(BinaryOp op, const float* __restrict__ a,
                                        const float* __restrict__ b, float* __restrict__ out,
                                        BroadcastIndex index, long long n) {
  for (long long i = first_index(); i < n; i += grid_stride()) {
    long long rest = i, a_offset = 0, b_offset = 0;
    for (int axis = kBroadcastRank - 1; axis >= 0; --axis) {
      const long long coordinate = rest % index.extents[axis];
      rest /= index.extents[axis];
      a_offset += coordinate * index.a_strides[axis];
      b_offset += coordinate * index.b_strides[axis];
    }
    out[i] = apply_binary(op, a[a_offset], b[b_offset]);
  }
}

// x, y: (B, C, S), bias: (C); y = silu(x + bias[c]). n = B * C * S < 2^31, so indices are 32-bit.
// With `quads` (S a multiple of 4, x and y 16-byte aligned) each step moves a float4 of one
// plane, with one channel lookup for the four. Grid-stride, block: 256.
__global__ void bias_silu_kernel(const float* __restrict__ x, const float* __restrict__ bias,
                                 float* __restrict__ y, int channels, int spatial, int n,
                                 bool quads) {
  const int first = blockIdx.x * blockDim.x + threadIdx.x, stride = gridDim.x * blockDim.x;
  if (quads) {
    const int quad_count = n / 4;
    for (int q = first; q < quad_count; q += stride) {
      const float shift = bias[(4 * q / spatial) % channels];
      const float4 in = reinterpret_cast<const float4*>(x)[q];
      reinterpret_cast<float4*>(y)[q] = make_float4(silu(in.x + shift), silu(in.y + shift),
                                                    silu(in.z + shift), silu(in.w + shift));
    }
    return;
  }
  for (int i = first; i < n; i += stride) y[i] = silu(x[i] + bias[(i / spatial) % channels]);
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
