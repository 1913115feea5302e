// The DSM objective as one reduction (fp32): the per-sample weighted mean squared error
//   loss = (1 / (B S)) sum_b w_b sum_s (prediction[b, s] - target[b, s])^2
// over a batch of B samples of S values each (w_b = 1 without weights), and its gradient. Blocks
// tile (chunk of a sample, sample), so a block knows its sample from blockIdx.y and no element
// index is ever divided. The forward sums in two fixed-order steps (per block, then one block over
// the blocks' partial sums), so the loss does not depend on scheduling.
#pragma once
#include "kernels/block_reduce.cuh"
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

struct SquaredErrorShape {
  int samples, per_sample, chunk;  // chunk: values of one sample per block
  __device__ long long begin() const {
    return static_cast<long long>(blockIdx.y) * per_sample + blockIdx.x * chunk;
  }
  __device__ int length() const {
    const int rest = per_sample - static_cast<int>(blockIdx.x) * chunk;
    return rest < chunk ? rest : chunk;
  }
};

// partials[b * gridDim.x + block] = w_b * sum of the squared errors in the block's chunk.
// grid: (ceil(S / chunk), B), block: 256. weights: (B) or null.
__global__ void __launch_bounds__(256)
    squared_error_partials_kernel(SquaredErrorShape s, const float* __restrict__ prediction,
                                  const float* __restrict__ target,
                                  const float* __restrict__ weights, float* __restrict__ partials) {
  const long long begin = s.begin();
  const int length = s.length();
  float partial = 0.0f;
  for (int i = threadIdx.x; i < length; i += blockDim.x) {
    const float error = prediction[begin + i] - target[begin + i];
    partial = fmaf(error, error, partial);
  }
  const float total = block_sum(partial);
  if (threadIdx.x == 0) {
    partials[blockIdx.y * gridDim.x + blockIdx.x] =
        (weights != nullptr ? weights[blockIdx.y] : 1.0f) * total;
  }
}

// loss[0] = scale * sum of partials[0 .. count), in a fixed order. grid: 1, block: 256.
__global__ void __launch_bounds__(256)
    scaled_sum_kernel(const float* __restrict__ partials, int count, float scale,
                      float* __restrict__ loss) {
  float partial = 0.0f;
  for (int i = threadIdx.x; i < count; i += blockDim.x) partial += partials[i];
  const float total = block_sum(partial);
  if (threadIdx.x == 0) loss[0] = scale * total;
}

// grad_prediction = (2 / (B S)) w_b grad_loss (prediction - target), grad_target its negative
// (either may be null); grad_loss: the upstream gradient, one float on the device.
// grid: (ceil(S / chunk), B), block: 256.
__global__ void __launch_bounds__(256) squared_error_backward_kernel(
    SquaredErrorShape s, const float* __restrict__ prediction, const float* __restrict__ target,
    const float* __restrict__ weights, const float* __restrict__ grad_loss, float scale,
    float* __restrict__ grad_prediction, float* __restrict__ grad_target) {
  const long long begin = s.begin();
  const int length = s.length();
  const float factor = scale * grad_loss[0] * (weights != nullptr ? weights[blockIdx.y] : 1.0f);
  for (int i = threadIdx.x; i < length; i += blockDim.x) {
    const float gradient = factor * (prediction[begin + i] - target[begin + i]);
    if (grad_prediction != nullptr) grad_prediction[begin + i] = gradient;
    if (grad_target != nullptr) grad_target[begin + i] = -gradient;
  }
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
