// The fused weighted mean squared error of lethe/cuda/squared_error.h over tensors (the DSM loss).
// There is no CPU kernel: the op composes sub, square, mul and mean where has_fused_squared_error
// is false.
#pragma once
#include "lethe/core/tensor.h"

namespace lethe::tt {

// Whether the fused kernels take `prediction` (cuda, rank >= 1).
bool has_fused_squared_error(const Tensor& prediction);
// prediction, target (B, ...); sample_weights (B) or undefined (all 1) -> loss, one element:
// (1 / numel) sum_b w_b sum (prediction - target)^2 over sample b.
void squared_error_forward(const Tensor& prediction, const Tensor& target,
                           const Tensor& sample_weights, Tensor& loss);
// grad_prediction / grad_target (either may be undefined), overwritten, for grad_loss (one
// element).
void squared_error_backward(const Tensor& prediction, const Tensor& target,
                            const Tensor& sample_weights, const Tensor& grad_loss,
                            Tensor& grad_prediction, Tensor& grad_target);

}  // namespace lethe::tt
