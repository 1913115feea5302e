// Mean squared error, plain and per-sample weighted (the DSM loss).
#pragma once
#include "lethe/core/tensor.h"

namespace lethe {

Tensor mse_loss(const Tensor& prediction, const Tensor& target);  // mean over all elements
// mean over all elements of w_b (prediction - target)^2, b the leading index; sample_weights (B)
// or undefined (all 1). The DSM loss, likelihood-weighted or not; one fused reduction on cuda.
Tensor weighted_mse_loss(const Tensor& prediction, const Tensor& target,
                         const Tensor& sample_weights);

}  // namespace lethe
