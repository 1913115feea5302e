// Group normalisation over tensors, alone or fused with the SiLU after it
// (lethe/cpu/group_norm.h, lethe/cuda/group_norm.h).
#pragma once
#include "lethe/core/op_geometry.h"
#include "lethe/core/tensor.h"

namespace lethe::tt {

// x, y: (B, C, ...); weight, bias: (C) or undefined; mean, rstd: (B, G), kept for the backward.
// With then_silu, y = silu of the normalisation.
void group_norm_forward(const GroupNormGeometry& g, const Tensor& x, const Tensor& weight,
                        const Tensor& bias, double eps, Tensor& y, Tensor& mean, Tensor& rstd,
                        bool then_silu);
// grad_x overwritten; grad_weight / grad_bias (C) overwritten when defined. With then_silu,
// grad_y is the gradient of the SiLU's output and `bias` (the forward's) recomputes its input.
void group_norm_backward(const GroupNormGeometry& g, const Tensor& x, const Tensor& weight,
                         const Tensor& bias, const Tensor& mean, const Tensor& rstd,
                         const Tensor& grad_y, Tensor& grad_x, Tensor& grad_weight,
                         Tensor& grad_bias, bool then_silu);

}  // namespace lethe::tt
