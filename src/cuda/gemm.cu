#include "cuda/gemm.h"

#include <climits>
#include <cstdint>

#include "kernels/gemm.cu"

namespace lethe::cuda {
namespace {

bool vectorisable(const float* data, int64_t ld) {
  return reinterpret_cast<uintptr_t>(data) % 16 == 0 && ld % 4 == 0;
}

}  // namespace

template <>
void sgemm<simt::kTarget>(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                          const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                          float* C, int64_t ldc) {
  LETHE_CHECK(M < INT_MAX && N < INT_MAX && K < INT_MAX, "cuda sgemm: sizes ", M, " x ", N, " x ",
              K, " exceed 32-bit indexing");
  if (M == 0 || N == 0) return;
  const kernels::GemmProblem problem{static_cast<int>(M),
                                     static_cast<int>(N),
                                     static_cast<int>(K),
                                     alpha,
                                     beta,
                                     A,
                                     lda,
                                     B,
                                     ldb,
                                     C,
                                     ldc,
                                     vectorisable(A, lda),
                                     vectorisable(B, ldb)};
  const dim3 grid(simt::blocks_for(N, kernels::kTileRows), simt::blocks_for(M, kernels::kTileRows));
  auto kernel =
      trans_a
          ? (trans_b ? kernels::sgemm_kernel<true, true> : kernels::sgemm_kernel<true, false>)
          : (trans_b ? kernels::sgemm_kernel<false, true> : kernels::sgemm_kernel<false, false>);
  simt::launch(kernel, grid, kernels::kTileThreads, 0, problem);
}

}  // namespace lethe::cuda
