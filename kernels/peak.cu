// Micro-kernels that measure the device's own peaks for `lethe bench kernels`: fp32 FMA
// throughput and copy bandwidth. Native only (nothing here is worth emulating).
#pragma once
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

constexpr int kFmaChains = 16;  // independent dependency chains per thread hide the FMA latency

// Each thread runs kFmaChains chains of `iterations` FMAs: 2 * kFmaChains * iterations FLOPs per
// thread. out: one float, written only in a case that never happens, so nothing is optimised away.
// grid: any, block: 256.
__global__ void __launch_bounds__(256) fma_peak_kernel(float* out, int iterations, float scale) {
  float chains[kFmaChains];
  LETHE_UNROLL
  for (int c = 0; c < kFmaChains; ++c) chains[c] = threadIdx.x * 1e-3f + c;
  for (int i = 0; i < iterations; ++i) {
    LETHE_UNROLL
    for (int c = 0; c < kFmaChains; ++c) chains[c] = fmaf(chains[c], scale, 1e-7f);
  }
  float total = 0.0f;
  LETHE_UNROLL
  for (int c = 0; c < kFmaChains; ++c) total += chains[c];
  if (total == -1.0f) out[0] = total;
}

// dst[i] = src[i] for i < quads, 16 bytes at a time; grid-stride, block: 256.
__global__ void __launch_bounds__(256)
    copy_bandwidth_kernel(const float4* __restrict__ src, float4* __restrict__ dst,
                          long long quads) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < quads;
       i += stride) {
    dst[i] = src[i];
  }
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
