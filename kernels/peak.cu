// Micro-kernels that measure the device's own peaks for `lethe bench kernels`: fp32 FMA
// throughput, TF32 tensor-core throughput and copy bandwidth. Native only (nothing here is worth
// emulating).
#pragma once
#include "kernels/simt.cuh"
#include "kernels/tensor_core_tile.cuh"

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

constexpr int kMmaChains = 8;  // independent accumulators per warp
constexpr int kMmaFlops = 2 * kTensorCoreSide * kTensorCoreSide * kTensorCoreDepth;

// Each warp runs kMmaChains chains of `iterations` TF32 m16n16k8 products: kMmaFlops * kMmaChains
// * iterations FLOPs per warp. out: written only in a case that never happens. grid: any, block:
// 256.
__global__ void __launch_bounds__(256) tf32_peak_kernel(float* out, int iterations) {
  namespace wmma = nvcuda::wmma;
  wmma::fragment<wmma::matrix_a, kTensorCoreSide, kTensorCoreSide, kTensorCoreDepth,
                 wmma::precision::tf32, wmma::row_major>
      a;
  wmma::fragment<wmma::matrix_b, kTensorCoreSide, kTensorCoreSide, kTensorCoreDepth,
                 wmma::precision::tf32, wmma::row_major>
      b;
  wmma::fill_fragment(a, wmma::__float_to_tf32(1e-3f));
  wmma::fill_fragment(b, wmma::__float_to_tf32(threadIdx.x * 1e-6f));
  TensorCoreAccumulator chains[kMmaChains];
  LETHE_UNROLL
  for (int c = 0; c < kMmaChains; ++c) wmma::fill_fragment(chains[c], static_cast<float>(c));
  for (int i = 0; i < iterations; ++i) {
    LETHE_UNROLL
    for (int c = 0; c < kMmaChains; ++c) wmma::mma_sync(chains[c], a, b, chains[c]);
  }
  float total = 0.0f;
  LETHE_UNROLL
  for (int c = 0; c < kMmaChains; ++c) {
    LETHE_UNROLL
    for (int e = 0; e < chains[c].num_elements; ++e) total += chains[c].x[e];
  }
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
