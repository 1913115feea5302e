// Fused optimiser updates over flat arenas against the CPU loops, emulated and native: several
// Adam steps (the bias corrections change every step), SGD with momentum, EMA, and the squared
// norm, scale and clamp of gradient clipping.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "lethe/cpu/optimizer.h"
#include "lethe/cuda/optimizer.h"
#include "test_cuda_support.h"

namespace {

using lethe::cuda::Target;
using lethe::cuda::testing::kParityTolerance;
using lethe::cuda::testing::normalised_mse;
using lethe::cuda::testing::random_values;
using lethe::cuda::testing::TargetBuffer;

const int64_t kArenaSizes[] = {1, 1000, 12345};

template <Target target>
void check_adam() {
  std::mt19937 rng(51);
  for (int64_t n : kArenaSizes) {
    CAPTURE(n);
    auto params = random_values(n, rng);
    std::vector<float> m(n, 0.0f), v(n, 0.0f);
    TargetBuffer<target> params_t(params), m_t(m), v_t(v);
    for (int64_t step = 1; step <= 3; ++step) {
      const auto grads = random_values(n, rng);
      TargetBuffer<target> grads_t(grads);
      lethe::cpu::adam_update(params.data(), grads.data(), m.data(), v.data(), n, 1e-2, 0.9, 0.999,
                              1e-8, step);
      lethe::cuda::adam_update<target>(params_t.data(), grads_t.data(), m_t.data(), v_t.data(), n,
                                       1e-2, 0.9, 0.999, 1e-8, step);
    }
    CHECK(normalised_mse(params_t.download(), params) <= kParityTolerance);
    CHECK(normalised_mse(m_t.download(), m) <= kParityTolerance);
    CHECK(normalised_mse(v_t.download(), v) <= kParityTolerance);
  }
}

template <Target target>
void check_sgd_and_ema() {
  std::mt19937 rng(52);
  for (int64_t n : kArenaSizes) {
    CAPTURE(n);
    auto params = random_values(n, rng), velocity = random_values(n, rng);
    auto shadow = random_values(n, rng);
    const auto grads = random_values(n, rng);
    TargetBuffer<target> params_t(params), velocity_t(velocity), shadow_t(shadow), grads_t(grads);
    lethe::cpu::sgd_update(params.data(), grads.data(), velocity.data(), n, 0.1, 0.9);
    lethe::cpu::ema_update(shadow.data(), params.data(), n, 0.999);
    lethe::cuda::sgd_update<target>(params_t.data(), grads_t.data(), velocity_t.data(), n, 0.1,
                                    0.9);
    lethe::cuda::ema_update<target>(shadow_t.data(), params_t.data(), n, 0.999);
    CHECK(normalised_mse(params_t.download(), params) <= kParityTolerance);
    CHECK(normalised_mse(velocity_t.download(), velocity) <= kParityTolerance);
    CHECK(normalised_mse(shadow_t.download(), shadow) <= kParityTolerance);
  }
}

template <Target target>
void check_clipping_loops() {
  std::mt19937 rng(53);
  for (int64_t n : kArenaSizes) {
    CAPTURE(n);
    auto values = random_values(n, rng, -3.0f, 3.0f);
    TargetBuffer<target> values_t(values);
    const double expected_norm = lethe::cpu::squared_norm(values.data(), n);
    const double norm = lethe::cuda::squared_norm<target>(values_t.data(), n);
    CHECK(std::abs(norm - expected_norm) <= 1e-9 * expected_norm);
    lethe::cpu::scale(values.data(), n, 0.37f);
    lethe::cuda::scale<target>(values_t.data(), n, 0.37f);
    lethe::cpu::clamp_values(values.data(), n, 0.5f);
    lethe::cuda::clamp_values<target>(values_t.data(), n, 0.5f);
    CHECK(normalised_mse(values_t.download(), values) <= kParityTolerance);
  }
}

}  // namespace

LETHE_CUDA_PARITY_TEST("adam over a flat arena", check_adam)
LETHE_CUDA_PARITY_TEST("sgd and ema over a flat arena", check_sgd_and_ema)
LETHE_CUDA_PARITY_TEST("squared norm, scale and clamp of gradient clipping", check_clipping_loops)
