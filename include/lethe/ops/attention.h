// Single-head attention over positions, channels first.
#pragma once
#include "lethe/core/tensor.h"

namespace lethe {

// Single-head attention over positions, channels first: q, k, v (B, C, N) -> (B, C, N) with
// out[b, :, i] = sum_j softmax_j(q[b, :, i] . k[b, :, j] / sqrt(C)) v[b, :, j]. On cuda (up to
// cuda::kMaxFusedAttentionPositions positions, unless --kernels vendor) it runs the fused kernels
// of kernels/attention.cu; otherwise matmul, softmax, matmul.
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v);

}  // namespace lethe
