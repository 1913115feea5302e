// CPU loops behind the optimisers: each walks flat parameter/gradient buffers of length n.
#pragma once
#include <cstdint>

namespace lethe::cpu {

// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr_corrected * m / (sqrt(v) / sqrt(1 - b2^t) + eps), lr_corrected = lr / (1 - b1^t).
void adam_update(float* params, const float* grads, float* m, float* v, int64_t n, double lr,
                 double beta1, double beta2, double eps, int64_t step_number);
void sgd_update(float* params, const float* grads, float* velocity, int64_t n, double lr,
                double momentum);
double squared_norm(const float* values, int64_t n);  // accumulated in double
void scale(float* values, int64_t n, float factor);
void clamp_values(float* values, int64_t n, float limit);
void ema_update(float* shadow, const float* params, int64_t n, double decay);

}  // namespace lethe::cpu
