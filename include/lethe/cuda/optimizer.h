// CUDA launchers for the fused optimiser updates and the clipping loops (kernels/optimizer.cu) over
// flat arenas. Same contracts as cpu/optimizer.h; pointers live on the target.
#pragma once
#include <cstdint>

#include "lethe/cuda/target.h"

namespace lethe::cuda {

template <Target target>
void adam_update(float* params, const float* grads, float* m, float* v, int64_t n, double lr,
                 double beta1, double beta2, double eps, int64_t step_number);
template <Target target>
void sgd_update(float* params, const float* grads, float* velocity, int64_t n, double lr,
                double momentum);
template <Target target>
void ema_update(float* shadow, const float* params, int64_t n, double decay);
// The sum of values[i]^2 over (n), accumulated in double.
template <Target target>
double squared_norm(const float* values, int64_t n);
template <Target target>
void scale(float* values, int64_t n, float factor);
// Clamps each of the n values to [-limit, limit].
template <Target target>
void clamp_values(float* values, int64_t n, float limit);

}  // namespace lethe::cuda
