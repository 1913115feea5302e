// Batched matrix products and the linear layer.
#pragma once
#include "lethe/core/tensor.h"

namespace lethe {

// a: (..., M, K) (or (..., K, M) when trans_a), b: (..., K, N) (or (..., N, K) when trans_b),
// equal batch dims, or one operand 2-D and broadcast over the other's batch -> (..., M, N).
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);
// x: (B, in), weight: (out, in), bias: (out) or undefined -> (B, out). PyTorch's layout.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

}  // namespace lethe
