// Softmax and log-softmax along the last axis (fp32), one warp per row: the row's maximum and sum
// are warp shuffles, with no shared memory and no block barrier. Suits the U-Net's attention rows
// (N = 49) and any longer row (each lane strides through it).
#pragma once
#include <cmath>

#include "kernels/block_reduce.cuh"
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

constexpr int kSoftmaxWarpsPerBlock = 8;

__device__ __forceinline__ long long softmax_row() {
  return static_cast<long long>(blockIdx.x) * kSoftmaxWarpsPerBlock + threadIdx.x / 32;
}

// x, y: (rows, length). y = softmax(x) or log_softmax(x) along each row.
// grid: ceil(rows / 8) blocks of 256 threads.
__global__ void softmax_forward_kernel(const float* __restrict__ x, float* __restrict__ y,
                                       long long rows, int length, bool log_space) {
  const long long row = softmax_row();
  if (row >= rows) return;  // the whole warp leaves together
  const int lane = threadIdx.x % 32;
  const float* in = x + row * length;
  float* out = y + row * length;
  float largest = -INFINITY;
  for (int i = lane; i < length; i += 32) largest = fmaxf(largest, in[i]);
  largest = warp_max(largest);
  float total = 0.0f;
  for (int i = lane; i < length; i += 32) total += expf(in[i] - largest);
  const float log_total = logf(warp_sum(total));
  for (int i = lane; i < length; i += 32) {
    const float shifted = in[i] - largest - log_total;
    out[i] = log_space ? shifted : expf(shifted);
  }
}

// y: the forward output; grad_y, grad_x: (rows, length).
// softmax: gx = y (gy - sum(gy y)); log-softmax: gx = gy - exp(y) sum(gy).
__global__ void softmax_backward_kernel(const float* __restrict__ y,
                                        const float* __restrict__ grad_y,
                                        float* __restrict__ grad_x, long long rows, int length,
                                        bool log_space) {
  const long long row = softmax_row();
  if (row >= rows) return;
  const int lane = threadIdx.x % 32;
  const long long base = row * length;
  float total = 0.0f;
  for (int i = lane; i < length; i += 32) {
    total += log_space ? grad_y[base + i] : grad_y[base + i] * y[base + i];
  }
  total = warp_sum(total);
  for (int i = lane; i < length; i += 32) {
    const long long k = base + i;
    grad_x[k] = log_space ? grad_y[k] - expf(y[k]) * total : y[k] * (grad_y[k] - total);
  }
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
