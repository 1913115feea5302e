// Strided block copies (fp32): concat, split and narrow view a tensor as (outer, extent along the
// axis, inner) and move one contiguous block per outer index. Grid-stride loop over all elements.
#pragma once
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

// dst[k * dst_stride + j] = src[k * src_stride + j] for k < count, j < block (strides in floats).
__global__ void copy_blocks_kernel(float* __restrict__ dst, long long dst_stride,
                                   const float* __restrict__ src, long long src_stride,
                                   long long block, long long count) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
       e < count * block; e += stride) {
    const long long k = e / block, j = e % block;
    dst[k * dst_stride + j] = src[k * src_stride + j];
  }
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
