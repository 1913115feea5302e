// CUDA launchers for the elementwise kernels (kernels/elementwise.cu), fp32. Same contracts as the
// CPU kernels in cpu/elementwise.h; pointers live on the target (see cuda/target.h).
#pragma once
#include <cstdint>

#include "lethe/core/op_geometry.h"
#include "lethe/core/tensor.h"
#include "lethe/cuda/target.h"

namespace lethe::cuda {

// y[i] = op(x[i]; p0, p1); x, y: (n).
template <Target target>
void unary_forward(UnaryOp op, const float* x, float* y, int64_t n, float p0, float p1);
// grad_x[i] = grad_y[i] * op'(x[i]), y = op(x); all (n).
template <Target target>
void unary_backward(UnaryOp op, const float* x, const float* y, const float* grad_y, float* grad_x,
                    int64_t n, float p0, float p1);
// out = a op b with numpy broadcasting; out_shape is the broadcast shape (rank <= 5).
template <Target target>
void binary_broadcast(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
                      const Shape& b_shape, float* out, const Shape& out_shape);
// x, y: (B, C, S), bias: (C); y = silu(x + bias[c]).
template <Target target>
void bias_silu(const float* x, const float* bias, float* y, int64_t batch, int64_t channels,
               int64_t spatial);

}  // namespace lethe::cuda
