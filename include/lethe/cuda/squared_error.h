// CUDA launchers for the weighted mean squared error of kernels/squared_error.cu (the DSM loss),
// fp32. prediction, target: (B, S) in effect (any shape with B leading); weights: (B) or null.
// Pointers live on the target.
#pragma once
#include <cstdint>

#include "lethe/cuda/target.h"

namespace lethe::cuda {

struct SquaredErrorGeometry {
  int64_t samples, per_sample;
};

// loss: one float = (1 / (B S)) sum_b w_b sum_s (prediction - target)^2.
template <Target target>
void squared_error_forward(const SquaredErrorGeometry& g, const float* prediction,
                           const float* target_values, const float* weights, float* loss);
// grad_prediction / grad_target (either may be null, overwritten) of that loss, for the upstream
// gradient grad_loss (one float on the target).
template <Target target>
void squared_error_backward(const SquaredErrorGeometry& g, const float* prediction,
                            const float* target_values, const float* weights,
                            const float* grad_loss, float* grad_prediction, float* grad_target);

}  // namespace lethe::cuda
