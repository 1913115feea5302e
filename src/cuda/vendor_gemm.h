// The cuBLAS baseline for the hand-written SGEMM (native only: pointers are device pointers).
#pragma once
#include <cstdint>

namespace lethe::cuda {

// C(M,N) = alpha * op(A) op(B) + beta * C, row-major, with the contract of cuda::sgemm. Runs in
// full fp32 (cuBLAS's default math: no TF32 tensor cores) on the default stream.
void cublas_sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                  const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                  int64_t ldc);

}  // namespace lethe::cuda
