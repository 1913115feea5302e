// The cuBLAS baseline for the hand-written SGEMM (native only: pointers are device pointers).
#pragma once
#include <cstdint>

#include "lethe/cuda/float32_math.h"

namespace lethe::cuda {

// C(M,N) = alpha * op(A) op(B) + beta * C, row-major, with the contract of cuda::sgemm, on the
// default stream: in full fp32 (cuBLAS's default math) or with TF32 tensor cores
// (CUBLAS_TF32_TENSOR_OP_MATH).
void cublas_sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                  const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                  int64_t ldc, Float32Math math = Float32Math::fp32);

}  // namespace lethe::cuda
