// Helpers shared by the op implementations: argument checks and gradient accumulation. Used by
// src/ops/ only; not part of the op API of lethe/ops/ops.h. The ops run their kernels through
// lethe/tt/, which picks the backend; nothing in this layer switches on the device.
#pragma once
#include "lethe/core/autograd.h"
#include "lethe/core/tensor.h"

namespace lethe {

// accumulator += increment, in place (same shape, dtype and device).
void accumulate_into(Tensor& accumulator, const Tensor& increment);

// Throws unless `tensor` is a defined f32/f64 tensor (f32 on cuda: the CUDA kernels are fp32);
// `role` names it ("input", "weight").
void check_float(const char* op, const Tensor& tensor, const char* role);
// Throws unless a and b share dtype and device.
void check_compatible(const char* op, const Tensor& a, const Tensor& b);

// The numpy broadcast of shapes a and b, throwing (naming `op`) when they do not broadcast.
Shape broadcast_shape(const char* op, const Shape& a, const Shape& b);

// Resolves a possibly negative axis against `rank`, throwing when out of range.
int resolve_axis(const char* op, int axis, int rank);

}  // namespace lethe
