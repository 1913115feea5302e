// CUDA launchers for the fused attention of kernels/attention.cu (fp32): q, k, v, out (B, C, N),
// weights (B, N, N) with weights[b, i, :] = softmax_j(scale * q[b, :, i] . k[b, :, j]) and
// out[b, :, i] = sum_j weights[b, i, j] v[b, :, j]. Pointers live on the target.
#pragma once
#include <cstdint>

#include "lethe/cuda/target.h"

namespace lethe::cuda {

// The most positions the fused kernels take: the backward's column pass keeps two columns of N
// floats per warp, eight warps per block, in 48 KiB of shared memory.
constexpr int64_t kMaxFusedAttentionPositions = 512;

struct AttentionGeometry {
  int64_t batch, channels, positions;
  float scale;
};

// q, k, v -> weights (B, N, N) (kept for the backward) and out (B, C, N).
template <Target target>
void attention_forward(const AttentionGeometry& g, const float* q, const float* k, const float* v,
                       float* weights, float* out);
// q, k, v, weights (from the forward), grad_out (B, C, N) -> grad_q, grad_k, grad_v (B, C, N),
// overwritten.
template <Target target>
void attention_backward(const AttentionGeometry& g, const float* q, const float* k, const float* v,
                        const float* weights, const float* grad_out, float* grad_q, float* grad_k,
                        float* grad_v);

}  // namespace lethe::cuda
