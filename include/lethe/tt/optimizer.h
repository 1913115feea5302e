// The optimisers' loops over flat f32 parameter buffers, run where the buffers live
// (lethe/cpu/optimizer.h, lethe/cuda/optimizer.h). All tensors hold the same number of floats.
#pragma once
#include <cstdint>

#include "lethe/core/tensor.h"

namespace lethe::tt {

// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr_corrected * m / (sqrt(v) / sqrt(1 - b2^t) + eps), lr_corrected = lr / (1 - b1^t).
void adam_update(Tensor& params, const Tensor& grads, Tensor& m, Tensor& v, double lr, double beta1,
                 double beta2, double eps, int64_t step_number);
// velocity = momentum velocity + g; p -= lr velocity.
void sgd_update(Tensor& params, const Tensor& grads, Tensor& velocity, double lr, double momentum);
double squared_norm(const Tensor& values);  // accumulated in double
void scale(Tensor& values, float factor);
void clamp_values(Tensor& values, float limit);  // into [-limit, limit]
// shadow = decay shadow + (1 - decay) params.
void ema_update(Tensor& shadow, const Tensor& params, double decay);

}  // namespace lethe::tt
