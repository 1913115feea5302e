// The logistic sigmoid and SiLU (x sigmoid(x)) with its derivative, shared by the elementwise and
// the normalisation kernels (fp32).
#pragma once
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

__device__ __forceinline__ float sigmoid(float x) {
  return 1.0f / (1.0f + expf(-x));
}

__device__ __forceinline__ float silu(float x) {
  return x / (1.0f + expf(-x));
}

// d silu / dx = s (1 + x (1 - s)), s = sigmoid(x).
__device__ __forceinline__ float silu_derivative(float x) {
  const float s = sigmoid(x);
  return s * (1.0f + x * (1.0f - s));
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
