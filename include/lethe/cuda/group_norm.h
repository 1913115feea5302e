// CUDA launchers for group normalisation (kernels/group_norm.cu), alone or fused with the SiLU
// after it, fp32. Same contracts as cpu/group_norm.h; pointers live on the target.
#pragma once
#include "lethe/core/op_geometry.h"
#include "lethe/cuda/target.h"

namespace lethe::cuda {

// x, y: (B, C, S); weight, bias: (C) or null; mean, rstd: (B, G) saved for the backward pass.
// With then_silu, y = silu of the normalisation.
template <Target target>
void group_norm_forward(const GroupNormGeometry& g, const float* x, const float* weight,
                        const float* bias, double eps, float* y, float* mean, float* rstd,
                        bool then_silu = false);
// grad_x (overwritten); grad_weight / grad_bias (C) overwritten when not null. With then_silu,
// grad_y is the gradient of the SiLU's output, and `bias` (the forward's) recomputes its input.
template <Target target>
void group_norm_backward(const GroupNormGeometry& g, const float* x, const float* weight,
                         const float* mean, const float* rstd, const float* grad_y, float* grad_x,
                         float* grad_weight, float* grad_bias, bool then_silu = false,
                         const float* bias = nullptr);

}  // namespace lethe::cuda
