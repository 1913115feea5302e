// Tiled SGEMM (fp32): C = alpha * op(A) op(B) + beta * C, row-major, any transpose combination,
// any leading dimensions. See kernels/gemm_tile.cuh for the tiling.
#pragma once
#include "kernels/gemm_tile.cuh"
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

struct GemmProblem {
  int m, n, k;
  float alpha, beta;
  const float* a;  // M x K (lda >= K), or K x M (lda >= M) when transposed
  long long lda;
  const float* b;  // K x N (ldb >= N), or N x K (ldb >= K) when transposed
  long long ldb;
  float* c;  // M x N, ldc >= N
  long long ldc;
  bool a_vectorised, b_vectorised;  // base 16-byte aligned and leading dimension a multiple of 4
};

// Writes alpha * acc + beta * C for this thread's register block of the block's tile at (m0, n0);
// beta == 0 never reads C.
__device__ __forceinline__ void store_register_block(const GemmProblem& p, int m0, int n0,
                                                     const RegisterBlock& acc) {
  const int row = m0 + block_row_of(threadIdx.x), col = n0 + block_col_of(threadIdx.x);
  for (int i = 0; i < kThreadBlock && row + i < p.m; ++i) {
    float* line = p.c + (row + i) * p.ldc;
    for (int j = 0; j < kThreadBlock && col + j < p.n; ++j) {
      const float scaled = p.alpha * acc.value[i][j];
      line[col + j] = p.beta == 0.0f ? scaled : fmaf(p.beta, line[col + j], scaled);
    }
  }
}

// grid: (ceil(N / 64), ceil(M / 64)), block: 256 threads.
template <bool kTransA, bool kTransB>
__global__ void __launch_bounds__(kTileThreads) sgemm_kernel(GemmProblem p) {
  __shared__ GemmTiles tiles;
  const int m0 = blockIdx.y * kTileRows, n0 = blockIdx.x * kTileRows;
  RegisterBlock acc = {};
  for (int k0 = 0; k0 < p.k; k0 += kTileDepth) {
    if (kTransA) {
      load_rows_contiguous(p.a, p.lda, p.m, p.k, m0, k0, p.a_vectorised, tiles.a);
    } else {
      load_depth_contiguous(p.a, p.lda, p.m, p.k, m0, k0, p.a_vectorised, tiles.a);
    }
    if (kTransB) {
      load_depth_contiguous(p.b, p.ldb, p.n, p.k, n0, k0, p.b_vectorised, tiles.b);
    } else {
      load_rows_contiguous(p.b, p.ldb, p.n, p.k, n0, k0, p.b_vectorised, tiles.b);
    }
    __syncthreads();
    multiply_tiles(tiles, acc);
    __syncthreads();
  }
  store_register_block(p, m0, n0, acc);
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
