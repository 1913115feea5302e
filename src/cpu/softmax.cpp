#include "lethe/cpu/softmax.h"

#include <algorithm>
#include <cmath>

namespace lethe::cpu {

template <class T>
void softmax_forward(const AxisGeometry& g, const T* x, T* y, bool log_space) {
#pragma omp parallel for if (g.outer * g.inner * g.length > (1 << 14)) schedule(static)
  for (int64_t row = 0; row < g.outer * g.inner; ++row) {
    const int64_t base = (row / g.inner) * g.length * g.inner + row % g.inner;
    T largest = x[base];
    for (int64_t i = 1; i < g.length; ++i) largest = std::max(largest, x[base + i * g.inner]);
    double total = 0;
    for (int64_t i = 0; i < g.length; ++i) total += std::exp(x[base + i * g.inner] - largest);
    const T log_total = static_cast<T>(std::log(total));
    for (int64_t i = 0; i < g.length; ++i) {
      const T shifted = x[base + i * g.inner] - largest;
      y[base + i * g.inner] = log_space ? shifted - log_total : std::exp(shifted - log_total);
    }
  }
}

template <class T>
void softmax_backward(const AxisGeometry& g, const T* y, const T* grad_y, T* grad_x,
                      bool log_space) {
#pragma omp parallel for if (g.outer * g.inner * g.length > (1 << 14)) schedule(static)
  for (int64_t row = 0; row < g.outer * g.inner; ++row) {
    const int64_t base = (row / g.inner) * g.length * g.inner + row % g.inner;
    double total = 0;
    for (int64_t i = 0; i < g.length; ++i) {
      const int64_t k = base + i * g.inner;
      total += log_space ? grad_y[k] : grad_y[k] * y[k];
    }
    for (int64_t i = 0; i < g.length; ++i) {
      const int64_t k = base + i * g.inner;
      grad_x[k] = log_space ? static_cast<T>(grad_y[k] - std::exp(y[k]) * total)
                            : static_cast<T>(y[k] * (grad_y[k] - total));
    }
  }
}

template void softmax_forward<float>(const AxisGeometry&, const float*, float*, bool);
template void softmax_forward<double>(const AxisGeometry&, const double*, double*, bool);
template void softmax_backward<float>(const AxisGeometry&, const float*, const float*, float*,
                                      bool);
template void softmax_backward<double>(const AxisGeometry&, const double*, const double*, double*,
                                       bool);

}  // namespace lethe::cpu
