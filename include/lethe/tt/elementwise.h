// Elementwise kernels over tensors, run where the tensors live: the CPU kernels of
// lethe/cpu/elementwise.h (f32, f64) or the CUDA launchers of lethe/cuda/elementwise.h (f32).
// Outputs are allocated by the caller with the inputs' dtype and device; nothing is checked here
// beyond the dtype (the ops check shapes and devices).
#pragma once
#include "lethe/core/op_geometry.h"
#include "lethe/core/tensor.h"

namespace lethe::tt {

// out = op(x; p0, p1), same shape.
void unary_forward(UnaryOp op, const Tensor& x, Tensor& out, double p0 = 0, double p1 = 0);
// grad_x = grad_y * op'(x), with y = op(x) the forward output (used where cheaper than x).
void unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& grad_y,
                    Tensor& grad_x, double p0 = 0, double p1 = 0);
// out = a op b with numpy broadcasting to out's shape.
void binary_broadcast(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out);
// accumulator += increment, same shape.
void add_inplace(Tensor& accumulator, const Tensor& increment);

}  // namespace lethe::tt
