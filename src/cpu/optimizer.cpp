#include "lethe/cpu/optimizer.h"

#include <algorithm>
#include <cmath>

namespace lethe::cpu {

void adam_update(float* params, const float* grads, float* m, float* v, int64_t n, double lr,
                 double beta1, double beta2, double eps, int64_t step_number) {
  const double correction1 = 1 - std::pow(beta1, static_cast<double>(step_number));
  const double correction2 = 1 - std::pow(beta2, static_cast<double>(step_number));
  const float step_size = static_cast<float>(lr / correction1);
  const float inv_sqrt_correction2 = static_cast<float>(1 / std::sqrt(correction2));
  const float b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2);
  const float epsilon = static_cast<float>(eps);
#pragma omp parallel for simd if (n > (1 << 14)) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float g = grads[i];
    m[i] = b1 * m[i] + (1 - b1) * g;
    v[i] = b2 * v[i] + (1 - b2) * g * g;
    params[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_correction2 + epsilon);
  }
}

void sgd_update(float* params, const float* grads, float* velocity, int64_t n, double lr,
                double momentum) {
  const float rate = static_cast<float>(lr), mu = static_cast<float>(momentum);
#pragma omp parallel for simd if (n > (1 << 14)) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    velocity[i] = mu * velocity[i] + grads[i];
    params[i] -= rate * velocity[i];
  }
}

double squared_norm(const float* values, int64_t n) {
  double total = 0;
#pragma omp parallel for reduction(+ : total) if (n > (1 << 14)) schedule(static)
  for (int64_t i = 0; i < n; ++i) total += static_cast<double>(values[i]) * values[i];
  return total;
}

void scale(float* values, int64_t n, float factor) {
#pragma omp parallel for simd if (n > (1 << 14)) schedule(static)
  for (int64_t i = 0; i < n; ++i) values[i] *= factor;
}

void clamp_values(float* values, int64_t n, float limit) {
#pragma omp parallel for simd if (n > (1 << 14)) schedule(static)
  for (int64_t i = 0; i < n; ++i) values[i] = std::min(std::max(values[i], -limit), limit);
}

void ema_update(float* shadow, const float* params, int64_t n, double decay) {
  const float d = static_cast<float>(decay);
#pragma omp parallel for simd if (n > (1 << 14)) schedule(static)
  for (int64_t i = 0; i < n; ++i) shadow[i] = d * shadow[i] + (1 - d) * params[i];
}

}  // namespace lethe::cpu
