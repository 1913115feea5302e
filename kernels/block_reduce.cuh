// Sums across a warp and across a block: warp shuffles first, then one value per warp through
// shared memory.
#pragma once
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

constexpr unsigned kFullWarp = 0xFFFFFFFFu;

// Every lane of the (full) warp gets the sum of all 32 lanes' values.
__device__ __forceinline__ float warp_sum(float value) {
  for (int offset = 16; offset > 0; offset /= 2) value += __shfl_xor_sync(kFullWarp, value, offset);
  return value;
}

__device__ __forceinline__ float warp_max(float value) {
  for (int offset = 16; offset > 0; offset /= 2) {
    value = fmaxf(value, __shfl_xor_sync(kFullWarp, value, offset));
  }
  return value;
}

// Every thread gets the sum over the block. blockDim.x must be a multiple of 32 (at most 1024),
// blockDim.y == blockDim.z == 1, and every thread of the block must call it. Safe to call again
// right away: the first barrier keeps a call from overwriting totals the previous call still reads.
__device__ __forceinline__ float block_sum(float value) {
  __shared__ float warp_totals[32];
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  value = warp_sum(value);
  __syncthreads();
  if (lane == 0) warp_totals[warp] = value;
  __syncthreads();
  return warp_sum(lane < warps ? warp_totals[lane] : 0.0f);
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
