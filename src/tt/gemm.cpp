#include "lethe/tt/gemm.h"

#include "dispatch.h"
#include "lethe/cpu/blas.h"
#include "lethe/cuda/kernel_selection.h"

namespace lethe::tt {
namespace {

// The products of `d` through `product` (the backend's GEMM with BLAS arguments).
template <class T, class Product>
void batched_products(const BatchedGemm& d, const T* A, const T* B, T* C, Product&& product) {
  const int64_t lda = d.trans_a ? d.M : d.K, ldb = d.trans_b ? d.K : d.N;
  if (d.a_batched && !d.b_batched && !d.trans_a) {  // fold the batch into M: one large product
    product(false, d.trans_b, d.batch * d.M, d.N, d.K, A, lda, B, ldb, C, d.N);
    return;
  }
  for (int64_t i = 0; i < d.batch; ++i) {
    product(d.trans_a, d.trans_b, d.M, d.N, d.K, A + (d.a_batched ? i * d.M * d.K : 0), lda,
            B + (d.b_batched ? i * d.K * d.N : 0), ldb, C + i * d.M * d.N, d.N);
  }
}

}  // namespace

void gemm(const BatchedGemm& d, const Tensor& a, const Tensor& b, Tensor& c) {
  if (on_cuda(a)) {
    if constexpr (kCudaBuild) {
      batched_products(d, a.data<float>(), b.data<float>(), c.data<float>(),
                       [](bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A,
                          int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc) {
                         cuda::selected::sgemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
                       });
    }
    return;
  }
  dispatch_float("matmul", a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    batched_products(d, a.data<T>(), b.data<T>(), c.data<T>(),
                     [](bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* A, int64_t lda,
                        const T* B, int64_t ldb, T* C, int64_t ldc) {
                       cpu::gemm(ta, tb, M, N, K, T(1), A, lda, B, ldb, T(0), C, ldc);
                     });
  });
}

}  // namespace lethe::tt
