// CPU kernels for elementwise ops with broadcasting. T is float or double.
// Shapes are row-major and contiguous; broadcasting follows numpy (align trailing axes, extent 1
// stretches).
#pragma once
#include <cstdint>

#include "lethe/core/op_geometry.h"

#include "lethe/core/tensor.h"

namespace lethe::cpu {

// y[i] = op(x[i]; p0, p1). p0/p1: exponent for pow, bounds for clamp, the scalar for *_scalar.
template <class T>
void unary_forward(UnaryOp op, const T* x, T* y, int64_t n, double p0, double p1);
// gx[i] = gy[i] * op'(x[i]); y is the forward output (used where cheaper, e.g. exp, sigmoid).
template <class T>
void unary_backward(UnaryOp op, const T* x, const T* y, const T* gy, T* gx, int64_t n, double p0,
                    double p1);

// out = a op b with broadcasting; out_shape is the broadcast shape.
template <class T>
void binary_broadcast(BinaryOp op, const T* a, const Shape& a_shape, const T* b,
                      const Shape& b_shape, T* out, const Shape& out_shape);

// acc[i] += inc[i].
template <class T>
void add_inplace(T* acc, const T* inc, int64_t n);

}  // namespace lethe::cpu
