// Helpers shared by the op implementations: argument checks, dtype dispatch, gradient
// accumulation. Not part of the public API.
#pragma once
#include <utility>

#include "lethe/autograd.h"
#include "lethe/tensor.h"

namespace lethe {

// accumulator += increment, in place (same shape, dtype and device).
void accumulate_into(Tensor& accumulator, const Tensor& increment);

// Throws unless `tensor` is a defined f32/f64 tensor; `role` names it ("input", "weight").
void check_float(const char* op, const Tensor& tensor, const char* role);
// Throws unless a and b share dtype and device.
void check_compatible(const char* op, const Tensor& a, const Tensor& b);
// Throws unless the tensor lives where this build has kernels for `op`.
void check_device_supported(const char* op, const Tensor& tensor);
// Resolves a possibly negative axis against `rank`, throwing when out of range.
int resolve_axis(const char* op, int axis, int rank);

// Calls body(T{}) with T = float or double according to `dtype`.
template <class Body>
void dispatch_float(const char* op, DType dtype, Body&& body) {
  switch (dtype) {
    case DType::f32:
      body(float{});
      return;
    case DType::f64:
      body(double{});
      return;
    default:
      fail(op, ": expected an f32 or f64 tensor, got ", dtype_name(dtype));
  }
}

}  // namespace lethe
