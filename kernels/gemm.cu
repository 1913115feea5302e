// Tiled SGEMM: C = alpha * op(A) op(B) + beta * C, row-major, any transpose combination, any
// leading dimensions, fp32 in and out; the products in fp32 or TF32. See kernels/gemm_tile.cuh for
// the tiling.
#pragma once
#include <type_traits>

#include "kernels/gemm_tile.cuh"
#include "kernels/simt.cuh"
#include "kernels/tensor_core_tile.cuh"

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

// grid: (ceil(N / Config::kCols), ceil(M / Config::kRows)), block: Config::kThreads. kTf32
// multiplies on the tensor cores (kernels/tensor_core_tile.cuh). beta == 0 never reads C.
template <class Config, bool kTf32, bool kTransA, bool kTransB>
__global__ void __launch_bounds__(Config::kThreads) sgemm_kernel(GemmProblem p) {
  __shared__ DoubleTiles<Config, Accumulators<Config, kTf32>::kTilePad> tiles;
  const int m0 = blockIdx.y * Config::kRows, n0 = blockIdx.x * Config::kCols;
  const GemmSourceA<Config, kTransA> a{{}, p.a, p.lda, p.m, p.k, m0, p.a_vectorised};
  const GemmSourceB<Config, kTransB> b{{}, p.b, p.ldb, p.n, p.k, n0, p.b_vectorised};
  Accumulators<Config, kTf32> acc{};
  accumulate_tiles(a, b, 0, p.k, tiles, acc);
  for_each_result(acc, tiles, [&](int tile_row, int tile_col, float value) {
    const int row = m0 + tile_row, col = n0 + tile_col;
    if (row >= p.m || col >= p.n) return;
    float& out = p.c[row * p.ldc + col];
    const float scaled = p.alpha * value;
    out = p.beta == 0.0f ? scaled : fmaf(p.beta, out, scaled);
  });
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
