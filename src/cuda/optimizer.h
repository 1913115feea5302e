// CUDA launchers for the fused optimiser updates (kernels/optimizer.cu) over flat arenas. Same
// contracts as cpu/optimizer_kernels.h; pointers live on the target.
#pragma once
#include <cstdint>

#include "cuda/target.h"

namespace lethe::cuda {

template <Target target>
void adam_update(float* params, const float* grads, float* m, float* v, int64_t n, double lr,
                 double beta1, double beta2, double eps, int64_t step_number);
template <Target target>
void sgd_update(float* params, const float* grads, float* velocity, int64_t n, double lr,
                double momentum);
template <Target target>
void ema_update(float* shadow, const float* params, int64_t n, double decay);

}  // namespace lethe::cuda
