// The vectorised exp, sigmoid and SiLU kernels of every ISA this CPU runs, against double
// precision: lengths with and without a tail, the clamped extremes, and the gradients.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "lethe/cpu/activation.h"
#include "lethe/cpu/isa.h"

namespace {

using lethe::cpu::Activation;

double reference_forward(Activation f, double x) {
  const double s = 1.0 / (1.0 + std::exp(-x));
  return f == Activation::exp ? std::exp(x) : f == Activation::sigmoid ? s : x * s;
}

double reference_derivative(Activation f, double x) {
  const double s = 1.0 / (1.0 + std::exp(-x));
  return f == Activation::exp       ? std::exp(x)
         : f == Activation::sigmoid ? s * (1 - s)
                                    : s * (1 + x * (1 - s));
}

struct Kernels {
  const char* isa;
  lethe::cpu::detail::ActivationForward forward;
  lethe::cpu::detail::ActivationBackward backward;
};

std::vector<Kernels> kernels_this_cpu_runs() {
  std::vector<Kernels> out{{"dispatched",
                            [](Activation f, const float* x, float* y, int64_t n) {
                              lethe::cpu::activation_forward(f, x, y, n);
                            },
                            [](Activation f, const float* x, const float* gy, float* gx,
                               int64_t n) { lethe::cpu::activation_backward(f, x, gy, gx, n); }}};
  if (lethe::cpu::cpu_supports_isa("avx512")) {
    out.push_back({"avx512", &lethe::cpu::detail::activation_forward_avx512,
                   &lethe::cpu::detail::activation_backward_avx512});
  }
  if (lethe::cpu::cpu_supports_isa("avx2")) {
    out.push_back({"avx2", &lethe::cpu::detail::activation_forward_avx2,
                   &lethe::cpu::detail::activation_backward_avx2});
  }
  return out;
}

// Relative error, with a floor for values near 0 (float rounding of 1 - s near s = 1).
double error(double got, double want) {
  return std::abs(got - want) / std::max(std::abs(want), 1e-30);
}

}  // namespace

TEST_CASE("activation kernels: exp, sigmoid and SiLU within 1e-6 of double on [-30, 30]") {
  for (const Kernels& k : kernels_this_cpu_runs()) {
    for (int64_t n : {1, 15, 16, 17, 1000, 1003}) {
      std::vector<float> x(n), gy(n), y(n), gx(n);
      for (int64_t i = 0; i < n; ++i) {
        x[i] = static_cast<float>(-30.0 + 60.0 * i / std::max<int64_t>(n - 1, 1));
        gy[i] = static_cast<float>(0.5 + 0.001 * i);
      }
      for (Activation f : {Activation::exp, Activation::sigmoid, Activation::silu}) {
        k.forward(f, x.data(), y.data(), n);
        k.backward(f, x.data(), gy.data(), gx.data(), n);
        double worst_forward = 0, worst_backward = 0;
        for (int64_t i = 0; i < n; ++i) {
          worst_forward = std::max(worst_forward, error(y[i], reference_forward(f, x[i])));
          const double want = gy[i] * reference_derivative(f, x[i]);
          worst_backward =
              std::max(worst_backward, std::abs(gx[i] - want) / std::max(std::abs(want), 1e-2));
        }
        INFO(std::string(k.isa), " n = ", n, " op ", static_cast<int>(f));
        CHECK(worst_forward < 1e-6);
        CHECK(worst_backward < 1e-5);
      }
    }
  }
}

TEST_CASE("activation kernels: extreme inputs stay finite and saturate") {
  for (const Kernels& k : kernels_this_cpu_runs()) {
    const std::vector<float> x{-1000.0f, -100.0f, -88.0f, 88.0f, 100.0f, 1000.0f};
    std::vector<float> y(x.size());
    k.forward(Activation::sigmoid, x.data(), y.data(), static_cast<int64_t>(x.size()));
    INFO(std::string(k.isa));
    CHECK(y[0] == doctest::Approx(0.0).epsilon(1e-30));
    CHECK(y[5] == 1.0f);
    k.forward(Activation::silu, x.data(), y.data(), static_cast<int64_t>(x.size()));
    for (float value : y) CHECK(std::isfinite(value));
    CHECK(std::abs(y[0]) < 1e-30);
    CHECK(y[5] == 1000.0f);
    k.forward(Activation::exp, x.data(), y.data(), static_cast<int64_t>(x.size()));
    for (float value : y) CHECK(std::isfinite(value));
  }
}
