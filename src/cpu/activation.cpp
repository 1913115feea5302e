#include "lethe/cpu/activation.h"

#include <cmath>
#include <cstring>

#include "lethe/cpu/isa.h"

namespace lethe::cpu {
namespace {

float sigmoid(float x) {
  return 1.0f / (1.0f + std::exp(-x));
}

void forward_portable(Activation f, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    switch (f) {
      case Activation::exp:
        y[i] = std::exp(x[i]);
        break;
      case Activation::sigmoid:
        y[i] = sigmoid(x[i]);
        break;
      case Activation::silu:
        y[i] = x[i] * sigmoid(x[i]);
        break;
    }
  }
}

void backward_portable(Activation f, const float* x, const float* gy, float* gx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float s = f == Activation::exp ? std::exp(x[i]) : sigmoid(x[i]);
    switch (f) {
      case Activation::exp:
        gx[i] = gy[i] * s;
        break;
      case Activation::sigmoid:
        gx[i] = gy[i] * s * (1.0f - s);
        break;
      case Activation::silu:
        gx[i] = gy[i] * s * (1.0f + x[i] * (1.0f - s));
        break;
    }
  }
}

struct Kernels {
  detail::ActivationForward forward;
  detail::ActivationBackward backward;
};

const Kernels& best_kernels() {
  static const Kernels kernels = [] {
    const char* isa = cpu_isa_name();
    if (std::strcmp(isa, "avx512") == 0) {
      return Kernels{&detail::activation_forward_avx512, &detail::activation_backward_avx512};
    }
    if (std::strcmp(isa, "avx2") == 0) {
      return Kernels{&detail::activation_forward_avx2, &detail::activation_backward_avx2};
    }
    return Kernels{&forward_portable, &backward_portable};
  }();
  return kernels;
}

}  // namespace

void activation_forward(Activation f, const float* x, float* y, int64_t n) {
  best_kernels().forward(f, x, y, n);
}

void activation_backward(Activation f, const float* x, const float* gy, float* gx, int64_t n) {
  best_kernels().backward(f, x, gy, gx, n);
}

}  // namespace lethe::cpu
