// Softmax and log-softmax along the last axis against the CPU backend, emulated and native:
// the U-Net's attention rows (N = 49), single-element rows, rows longer than a warp's stride, and
// large logits that overflow without the max shift.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "lethe/cpu/softmax.h"
#include "lethe/cuda/softmax.h"
#include "test_cuda_support.h"

namespace {

using lethe::AxisGeometry;
using lethe::cuda::Target;
using lethe::cuda::testing::kParityTolerance;
using lethe::cuda::testing::normalised_mse;
using lethe::cuda::testing::random_values;
using lethe::cuda::testing::TargetBuffer;

template <Target target>
void check_softmax() {
  std::mt19937 rng(61);
  const AxisGeometry geometries[] = {
      // outer (rows), length, inner
      {2 * 4 * 49, 49, 1}, {3, 1, 1}, {5, 1000, 1}, {9, 33, 1}, {17, 64, 1},
  };
  for (const AxisGeometry& g : geometries) {
    for (bool log_space : {false, true}) {
      CAPTURE(g.outer);
      CAPTURE(g.length);
      CAPTURE(log_space);
      const int64_t n = g.outer * g.length;
      const auto x = random_values(n, rng, 80.0f, 95.0f);
      const auto grad_y = random_values(n, rng);
      std::vector<float> y(n), grad_x(n);
      lethe::cpu::softmax_forward<float>(g, x.data(), y.data(), log_space);
      lethe::cpu::softmax_backward<float>(g, y.data(), grad_y.data(), grad_x.data(), log_space);
      TargetBuffer<target> x_t(x), grad_y_t(grad_y), y_t(n), grad_x_t(n);
      lethe::cuda::softmax_forward<target>(g, x_t.data(), y_t.data(), log_space);
      lethe::cuda::softmax_backward<target>(g, y_t.data(), grad_y_t.data(), grad_x_t.data(),
                                            log_space);
      CHECK(normalised_mse(y_t.download(), y) <= kParityTolerance);
      CHECK(normalised_mse(grad_x_t.download(), grad_x) <= kParityTolerance);
    }
  }
}

}  // namespace

LETHE_CUDA_PARITY_TEST("softmax and log-softmax along the last axis", check_softmax)
