// CPU kernels for group normalisation. x: (B, C, S) with S the flattened spatial extent; groups of
// C / G consecutive channels share a mean and variance per sample.
#pragma once
#include <cstdint>

#include "lethe/core/op_geometry.h"

namespace lethe::cpu {

// y = (x - mean) * rstd * weight[c] + bias[c]; weight/bias may be null (1 and 0). With then_silu,
// y = silu of that (GroupNorm and SiLU fused: one pass, no intermediate tensor).
// mean, rstd: (B, G) saved for the backward pass.
template <class T>
void group_norm_forward(const GroupNormGeometry& g, const T* x, const T* weight, const T* bias,
                        double eps, T* y, T* mean, T* rstd, bool then_silu = false);
// grad_x (overwritten); grad_weight/grad_bias (C) overwritten when not null. With then_silu, the
// gradient of the fused forward (the normalised values are recomputed from x, mean and rstd, which
// needs bias when it was given).
template <class T>
void group_norm_backward(const GroupNormGeometry& g, const T* x, const T* weight, const T* mean,
                         const T* rstd, const T* grad_y, T* grad_x, T* grad_weight, T* grad_bias,
                         bool then_silu = false, const T* bias = nullptr);

namespace detail {

// One (sample, group) of a float GroupNorm: `channels` planes of `spatial` values, with the
// group's slices of weight and bias (null: 1 and 0).
struct NormGroup {
  int64_t channels, spatial;
  const float* weight;
  const float* bias;
};

// Defined in group_norm_avx512.cpp; call only where the CPU has AVX-512. The forward of one group:
// y (channels * spatial), and the group's mean and rstd.
void group_norm_forward_group_avx512(const NormGroup& group, const float* x, double eps,
                                     bool then_silu, float* y, float* mean, float* rstd);
// The backward of one group given its mean and rstd: grad_x, and per channel k of the group the
// sums over its pixels of dy and of dy * xhat in channel_dy[k] and channel_dy_xhat[k], where dy is
// grad_y, or with then_silu grad_y times silu' of the recomputed normalisation.
void group_norm_backward_group_avx512(const NormGroup& group, const float* x, float mean,
                                      float rstd, const float* grad_y, bool then_silu,
                                      float* grad_x, double* channel_dy, double* channel_dy_xhat);

}  // namespace detail
}  // namespace lethe::cpu
