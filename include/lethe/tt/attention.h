// The fused single-head attention of lethe/cuda/attention.h over tensors. There is no CPU kernel:
// the op composes matmul and softmax wherever has_fused_attention is false.
#pragma once
#include "lethe/core/tensor.h"

namespace lethe::tt {

// Whether the fused kernels take q (B, C, N): on cuda, N within their shared-memory limit, and
// --kernels other than vendor.
bool has_fused_attention(const Tensor& q);
// q, k, v (B, C, N) -> weights (B, N, N) (kept for the backward) and out (B, C, N), with
// weights[b, i, :] = softmax_j(scale q[b, :, i] . k[b, :, j]) and out[b, :, i] = sum_j
// weights[b, i, j] v[b, :, j].
void attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, double scale,
                       Tensor& weights, Tensor& out);
// grad_q, grad_k, grad_v (B, C, N), overwritten.
void attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, double scale,
                        const Tensor& weights, const Tensor& grad_out, Tensor& grad_q,
                        Tensor& grad_k, Tensor& grad_v);

}  // namespace lethe::tt
