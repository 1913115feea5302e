// The backend switch of the tt layer, private to it: an op's kernels run on the CUDA launchers
// (lethe/cuda/*.h, Target::native, f32) when its tensors live on cuda, and on the CPU kernels
// (f32 or f64) otherwise. The CUDA branch sits inside `if constexpr (kCudaBuild)`, so a CPU-only
// build compiles it away and never links the native launchers; no cuda tensor can exist there
// (allocating one throws).
#pragma once
#include "lethe/core/error.h"
#include "lethe/core/tensor.h"
#include "lethe/cuda/target.h"

namespace lethe::tt {

#ifdef LETHE_WITH_CUDA
inline constexpr bool kCudaBuild = true;
#else
inline constexpr bool kCudaBuild = false;
#endif
inline constexpr cuda::Target kNative = cuda::Target::native;

inline bool on_cuda(const Tensor& tensor) {
  return tensor.device() == Device::cuda;
}

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

// Calls body(Index{}) with Index = int64_t or int32_t according to the dtype of `indices`.
template <class Body>
void dispatch_index(const char* op, const Tensor& indices, Body&& body) {
  switch (indices.dtype()) {
    case DType::i64:
      body(int64_t{});
      return;
    case DType::i32:
      body(int32_t{});
      return;
    default:
      fail(op, ": indices must be i64 or i32, got ", describe(indices));
  }
}

// A tensor's data, or null for an undefined (optional) tensor such as an absent bias.
template <class T>
const T* optional_data(const Tensor& tensor) {
  return tensor.defined() ? tensor.data<T>() : nullptr;
}
template <class T>
T* optional_data(Tensor& tensor) {
  return tensor.defined() ? tensor.data<T>() : nullptr;
}

}  // namespace lethe::tt
