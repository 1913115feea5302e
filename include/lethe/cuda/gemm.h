// CUDA launcher for the hand-written tiled SGEMM (kernels/gemm.cu), in fp32 or TF32 math.
#pragma once
#include <cstdint>

#include "lethe/cuda/float32_math.h"
#include "lethe/cuda/target.h"

namespace lethe::cuda {

// Which tile shape the SGEMM runs with (kernels/gemm_tile.cuh): `automatic` takes 128 x 128 tiles
// when they give at least two waves of blocks on a large GPU and 64 x 64 tiles otherwise.
enum class GemmTiling { automatic, small, large };

// C(M,N) = alpha * op(A) op(B) + beta * C with the contract of cpu::sgemm (row-major, leading
// dimensions, beta == 0 ignores C's old contents); M, N, K < 2^31. Pointers live on the target.
template <Target target>
void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
           GemmTiling tiling = GemmTiling::automatic, Float32Math math = Float32Math::fp32);

}  // namespace lethe::cuda
