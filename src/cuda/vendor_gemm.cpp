#include "lethe/cuda/vendor_gemm.h"

#include <cublas_v2.h>

#include <climits>

#include "lethe/core/cuda_check.h"

namespace lethe::cuda {

inline void check_status(cublasStatus_t status, const char* call, const char* meaning,
                         const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    fail(file, ":", line, ": cuBLAS error in ", call, " (", meaning,
         "): ", cublasGetStatusName(status), ": ", cublasGetStatusString(status));
  }
}

namespace {

// One handle per process, on the default stream, created at first use.
cublasHandle_t cublas_handle() {
  static const cublasHandle_t handle = [] {
    cublasHandle_t created = nullptr;
    LETHE_CUDA_CHECK(cublasCreate(&created), "creating the cuBLAS handle");
    return created;
  }();
  return handle;
}

}  // namespace

// cuBLAS is column-major: the row-major C = op(A) op(B) is the column-major C^T = op(B)^T op(A)^T,
// and a row-major matrix read column-major is its transpose, so B and A swap places and keep
// their own transpose flags.
void cublas_sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                  const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                  int64_t ldc, Float32Math math) {
  LETHE_CHECK(
      M < INT_MAX && N < INT_MAX && K < INT_MAX && lda < INT_MAX && ldb < INT_MAX && ldc < INT_MAX,
      "cublas sgemm: sizes ", M, " x ", N, " x ", K, " exceed 32-bit indexing");
  if (M == 0 || N == 0) return;
  auto narrow = [](int64_t value) { return static_cast<int>(value); };
  if (math == Float32Math::tf32) {
    LETHE_CUDA_CHECK(cublasSetMathMode(cublas_handle(), CUBLAS_TF32_TENSOR_OP_MATH),
                     "letting cuBLAS use TF32 tensor cores");
  } else {
    LETHE_CUDA_CHECK(cublasSetMathMode(cublas_handle(), CUBLAS_DEFAULT_MATH),
                     "keeping cuBLAS in full fp32 (no TF32)");
  }
  LETHE_CUDA_CHECK(cublasSgemm(cublas_handle(), trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                               trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, narrow(N), narrow(M), narrow(K),
                               &alpha, B, narrow(ldb), A, narrow(lda), &beta, C, narrow(ldc)),
                   "running the cuBLAS SGEMM baseline");
}

}  // namespace lethe::cuda
