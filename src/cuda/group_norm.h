// CUDA launchers for group normalisation (kernels/group_norm.cu), fp32. Same contracts as
// cpu/norm.h; pointers live on the target.
#pragma once
#include "cpu/norm.h"
#include "cuda/target.h"

namespace lethe::cuda {

// x, y: (B, C, S); weight, bias: (C) or null; mean, rstd: (B, G) saved for the backward pass.
template <Target target>
void group_norm_forward(const cpu::GroupNormGeometry& g, const float* x, const float* weight,
                        const float* bias, double eps, float* y, float* mean, float* rstd);
// grad_x (overwritten); grad_weight / grad_bias (C) overwritten when not null.
template <Target target>
void group_norm_backward(const cpu::GroupNormGeometry& g, const float* x, const float* weight,
                         const float* mean, const float* rstd, const float* grad_y, float* grad_x,
                         float* grad_weight, float* grad_bias);

}  // namespace lethe::cuda
