// Optimiser updates over flat parameter / gradient arenas (fp32): one fused pass per step, each
// element read and written once, and the squared norm / scale / clamp of gradient clipping.
// Grid-stride loops.
#pragma once
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

// Adam with the bias corrections folded into step_size = lr / (1 - b1^t) and
// inv_sqrt_correction2 = 1 / sqrt(1 - b2^t). params, grads, m, v: (n).
__global__ void adam_kernel(float* __restrict__ params, const float* __restrict__ grads,
                            float* __restrict__ m, float* __restrict__ v, long long n,
                            float step_size, float inv_sqrt_correction2, float beta1, float beta2,
                            float eps) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const float g = grads[i];
    const float first = beta1 * m[i] + (1.0f - beta1) * g;
    const float second = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = first;
    v[i] = second;
    params[i] -= step_size * first / (sqrtf(second) * inv_sqrt_correction2 + eps);
  }
}

// SGD with momentum: velocity = momentum * velocity + grad; params -= lr * velocity. All (n).
__global__ void sgd_kernel(float* __restrict__ params, const float* __restrict__ grads,
                           float* __restrict__ velocity, long long n, float lr, float momentum) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const float updated = momentum * velocity[i] + grads[i];
    velocity[i] = updated;
    params[i] -= lr * updated;
  }
}

// shadow = decay * shadow + (1 - decay) * params. Both (n).
__global__ void ema_kernel(float* __restrict__ shadow, const float* __restrict__ params,
                           long long n, float decay) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    shadow[i] = decay * shadow[i] + (1.0f - decay) * params[i];
  }
}

constexpr int kSquaredNormThreads = 256;

// partials[blockIdx.x] = sum of values[i]^2 over the block's grid-stride elements, accumulated in
// double as the CPU does; the host adds the gridDim.x partials. Block size kSquaredNormThreads.
__global__ void squared_norm_kernel(const float* __restrict__ values, long long n,
                                    double* __restrict__ partials) {
  __shared__ double block_totals[kSquaredNormThreads];
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  double total = 0;
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    total += static_cast<double>(values[i]) * values[i];
  }
  block_totals[threadIdx.x] = total;
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) block_totals[threadIdx.x] += block_totals[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) partials[blockIdx.x] = block_totals[0];
}

// values *= factor. (n)
__global__ void scale_kernel(float* __restrict__ values, long long n, float factor) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    values[i] *= factor;
  }
}

// values clamped to [-limit, limit]. (n)
__global__ void clamp_kernel(float* __restrict__ values, long long n, float limit) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    values[i] = fminf(fmaxf(values[i], -limit), limit);
  }
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
