#include "lethe/cuda/gemm.h"

#include <climits>
#include <cstdint>

#include "kernels/gemm.cu"
#include "lethe/cuda/kernel_blocks.h"

namespace lethe::cuda {
namespace {

// Blocks of 128 x 128 tiles worth taking them: two waves on a 132-SM H100.
constexpr long long kLargeTileBlocks = 256;

bool vectorisable(const float* data, int64_t ld) {
  return reinterpret_cast<uintptr_t>(data) % 16 == 0 && ld % 4 == 0;
}

template <class Config, bool kTf32>
auto sgemm_kernel_for(bool trans_a, bool trans_b) {
  using kernels::sgemm_kernel;
  return trans_a ? (trans_b ? sgemm_kernel<Config, kTf32, true, true>
                            : sgemm_kernel<Config, kTf32, true, false>)
                 : (trans_b ? sgemm_kernel<Config, kTf32, false, true>
                            : sgemm_kernel<Config, kTf32, false, false>);
}

template <class Config>
void launch_sgemm(bool trans_a, bool trans_b, const kernels::GemmProblem& problem,
                  Float32Math math) {
  static_assert(Config::kThreads == block_threads_of("sgemm_kernel"));
  const dim3 grid(simt::blocks_for(problem.n, Config::kCols),
                  simt::blocks_for(problem.m, Config::kRows));
  auto kernel = math == Float32Math::tf32 ? sgemm_kernel_for<Config, true>(trans_a, trans_b)
                                          : sgemm_kernel_for<Config, false>(trans_a, trans_b);
  simt::launch(kernel, grid, Config::kThreads, 0, problem);
}

}  // namespace

template <>
void sgemm<simt::kTarget>(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                          const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                          float* C, int64_t ldc, GemmTiling tiling, Float32Math math) {
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
  using kernels::LargeTiles;
  const long long large_blocks = static_cast<long long>(simt::blocks_for(M, LargeTiles::kRows)) *
                                 simt::blocks_for(N, LargeTiles::kCols);
  const bool large = tiling == GemmTiling::large ||
                     (tiling == GemmTiling::automatic && large_blocks >= kLargeTileBlocks);
  if (large) {
    launch_sgemm<LargeTiles>(trans_a, trans_b, problem, math);
  } else {
    launch_sgemm<kernels::SmallTiles>(trans_a, trans_b, problem, math);
  }
}

}  // namespace lethe::cuda
