// Tiled SGEMM (fp32): C = alpha * op(A) op(B) + beta * C, row-major, any transpose combination,
// any leading dimensions. See kernels/gemm_tile.cuh for the tiling.
#pragma once
#include <type_traits>

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
template <class Config>
__device__ __forceinline__ void store_register_block(const GemmProblem& p, int m0, int n0,
                                                     const RegisterBlock<Config>& acc) {
  LETHE_UNROLL
  for (int i = 0; i < Config::kThreadRows; ++i) {
    const int row = m0 + tile_row_of<Config>(threadIdx.x, i);
    if (row >= p.m) continue;
    float* line = p.c + row * p.ldc;
    LETHE_UNROLL
    for (int j = 0; j < Config::kThreadCols; ++j) {
      const int col = n0 + tile_col_of<Config>(threadIdx.x, j);
      if (col >= p.n) continue;
      const float scaled = p.alpha * acc.value[i][j];
      line[col] = p.beta == 0.0f ? scaled : fmaf(p.beta, line[col], scaled);
    }
  }
}

// op(A) as a tile source: rows of A are depth-contiguous unless A is transposed.
template <class Config, bool kTransA>
using GemmSourceA =
    std::conditional_t<kTransA,
                       RowsContiguousSource<Config::kRows, Config::kDepth, Config::kThreads>,
                       DepthContiguousSource<Config::kRows, Config::kDepth, Config::kThreads>>;
// op(B) as a tile source over its columns: B^T's rows are depth-contiguous.
template <class Config, bool kTransB>
using GemmSourceB =
    std::conditional_t<kTransB,
                       DepthContiguousSource<Config::kCols, Config::kDepth, Config::kThreads>,
                       RowsContiguousSource<Config::kCols, Config::kDepth, Config::kThreads>>;

// grid: (ceil(N / Config::kCols), ceil(M / Config::kRows)), block: Config::kThreads.
template <class Config, bool kTransA, bool kTransB>
__global__ void __launch_bounds__(Config::kThreads) sgemm_kernel(GemmProblem p) {
  __shared__ DoubleTiles<Config> tiles;
  const int m0 = blockIdx.y * Config::kRows, n0 = blockIdx.x * Config::kCols;
  const GemmSourceA<Config, kTransA> a{{}, p.a, p.lda, p.m, p.k, m0, p.a_vectorised};
  const GemmSourceB<Config, kTransB> b{{}, p.b, p.ldb, p.n, p.k, n0, p.b_vectorised};
  RegisterBlock<Config> acc = {};
  accumulate_tiles(a, b, 0, p.k, tiles, acc);
  store_register_block(p, m0, n0, acc);
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
