// Helpers shared by the op implementations: argument checks, device and dtype dispatch, gradient
// accumulation. Used by src/ops/ and the layers that run kernels on tensors (optim); not part of
// the op API of lethe/ops/ops.h.
//
// Device dispatch: an op runs its CUDA launchers (lethe/cuda/*.h, Target::native, fp32) when its
// tensors live on cuda, and its CPU kernels otherwise. The CUDA branch sits inside
// `if constexpr (kCudaBuild)`, so a CPU-only build compiles it away and never links the native
// launchers; no cuda tensor can exist there (allocating one throws the --device cuda error).
#pragma once
#include <utility>

#include "lethe/core/autograd.h"
#include "lethe/core/tensor.h"
#include "lethe/cuda/target.h"

namespace lethe {

#ifdef LETHE_WITH_CUDA
inline constexpr bool kCudaBuild = true;
#else
inline constexpr bool kCudaBuild = false;
#endif
inline constexpr cuda::Target kNative = cuda::Target::native;

inline bool on_cuda(const Tensor& tensor) {
  return tensor.device() == Device::cuda;
}

// accumulator += increment, in place (same shape, dtype and device).
void accumulate_into(Tensor& accumulator, const Tensor& increment);

// Throws unless `tensor` is a defined f32/f64 tensor (f32 on cuda: the CUDA kernels are fp32);
// `role` names it ("input", "weight").
void check_float(const char* op, const Tensor& tensor, const char* role);
// Throws unless a and b share dtype and device.
void check_compatible(const char* op, const Tensor& a, const Tensor& b);
// A tensor's data, or null for an undefined (optional) tensor such as an absent bias.
template <class T>
const T* optional_data(const Tensor& tensor) {
  return tensor.defined() ? tensor.data<T>() : nullptr;
}
template <class T>
T* optional_data(Tensor& tensor) {
  return tensor.defined() ? tensor.data<T>() : nullptr;
}

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
