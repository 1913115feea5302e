// Batched matrix products over tensors: lethe/cpu/gemm.h (f32, f64) or the CUDA SGEMM chosen by
// --kernels (lethe/cuda/kernel_selection.h, f32).
#pragma once
#include <cstdint>

#include "lethe/core/tensor.h"

namespace lethe::tt {

// C[i] (M x N) = op(A[i]) op(B[i]) for i < batch, row-major, op = transpose when trans_*.
// A[i] is (M x K) (or (K x M) transposed), B[i] (K x N) (or (N x K)); an operand that is not
// batched is the same matrix for every i.
struct BatchedGemm {
  int64_t batch, M, N, K;
  bool trans_a, trans_b;
  bool a_batched, b_batched;
};

// c is overwritten. When only `a` is batched and not transposed, the batch folds into M: one
// large product instead of `batch` small ones.
void gemm(const BatchedGemm& d, const Tensor& a, const Tensor& b, Tensor& c);

}  // namespace lethe::tt
