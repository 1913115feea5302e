// What a backend kernel is told about its operands: the geometry of a convolution, a GroupNorm
// or an axis reduction, and the names of the elementwise ops. The CPU kernels (lethe/cpu/) and
// the CUDA launchers (lethe/cuda/) take the same structs, so neither backend includes the other.
#pragma once
#include <cstdint>

namespace lethe {

// 2-D convolution, NCHW, zero padding, square stride.
struct ConvGeometry {
  int64_t batch, in_channels, height, width;
  int64_t out_channels, kernel_h, kernel_w;
  int64_t stride, padding;
  int64_t out_h() const { return (height + 2 * padding - kernel_h) / stride + 1; }
  int64_t out_w() const { return (width + 2 * padding - kernel_w) / stride + 1; }
  int64_t patch() const { return in_channels * kernel_h * kernel_w; }  // rows of the im2col matrix
  bool is_pointwise() const {
    return kernel_h == 1 && kernel_w == 1 && stride == 1 && padding == 0;
  }
};

// x: (B, C, S) with S the flattened spatial extent; groups of C / G consecutive channels share a
// mean and variance per sample.
struct GroupNormGeometry {
  int64_t batch, channels, spatial, groups;
  int64_t group_channels() const { return channels / groups; }
};

// A tensor viewed as (outer, length, inner): the reduced axis has extent `length` and stride
// `inner` (softmax, log-softmax).
struct AxisGeometry {
  int64_t outer, length, inner;
};

enum class UnaryOp {
  neg,
  exp,
  log,
  sqrt,
  rsqrt,
  abs,
  square,
  sigmoid,
  silu,
  tanh,
  pow,
  clamp,
  add_scalar,
  mul_scalar,
  rsub_scalar,
  rdiv_scalar
};
enum class BinaryOp { add, sub, mul, div };

}  // namespace lethe
