// GroupNorm forward and backward against the CPU backend, emulated and native: U-Net shapes
// (32 groups over 64 channels at 14x14, 8 over 32 at 28x28), odd shapes, one channel per group,
// groups on both sides of the held kernels' 4096-value limit, and no affine parameters; each
// alone and fused with the SiLU that follows it in the U-Net. Inputs have
// a non-zero mean so that centring matters.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "lethe/cpu/group_norm.h"
#include "lethe/cuda/group_norm.h"
#include "test_cuda_support.h"

namespace {

using lethe::GroupNormGeometry;
using lethe::cuda::Target;
using lethe::cuda::testing::kParityTolerance;
using lethe::cuda::testing::normalised_mse;
using lethe::cuda::testing::random_values;
using lethe::cuda::testing::TargetBuffer;

constexpr double kEps = 1e-5;

template <Target target>
void check_group_norm_case(const GroupNormGeometry& g, bool affine, bool then_silu,
                           std::mt19937& rng) {
  CAPTURE(g.batch);
  CAPTURE(g.channels);
  CAPTURE(g.spatial);
  CAPTURE(g.groups);
  CAPTURE(affine);
  CAPTURE(then_silu);
  const int64_t n = g.batch * g.channels * g.spatial, stats = g.batch * g.groups;
  const auto x = random_values(n, rng, -1.0f, 3.0f);
  const auto weight = random_values(g.channels, rng, 0.5f, 1.5f);
  const auto bias = random_values(g.channels, rng);
  const auto grad_y = random_values(n, rng);
  const float* weight_cpu = affine ? weight.data() : nullptr;
  const float* bias_cpu = affine ? bias.data() : nullptr;
  std::vector<float> y(n), mean(stats), rstd(stats), grad_x(n), grad_weight(g.channels),
      grad_bias(g.channels);
  lethe::cpu::group_norm_forward<float>(g, x.data(), weight_cpu, bias_cpu, kEps, y.data(),
                                        mean.data(), rstd.data(), then_silu);
  lethe::cpu::group_norm_backward<float>(g, x.data(), weight_cpu, mean.data(), rstd.data(),
                                         grad_y.data(), grad_x.data(), grad_weight.data(),
                                         grad_bias.data(), then_silu, bias_cpu);

  TargetBuffer<target> x_t(x), weight_t(weight), bias_t(bias), grad_y_t(grad_y), y_t(n),
      mean_t(stats), rstd_t(stats), grad_x_t(n), grad_weight_t(g.channels), grad_bias_t(g.channels);
  const float* weight_target = affine ? weight_t.data() : nullptr;
  const float* bias_target = affine ? bias_t.data() : nullptr;
  lethe::cuda::group_norm_forward<target>(g, x_t.data(), weight_target, bias_target, kEps,
                                          y_t.data(), mean_t.data(), rstd_t.data(), then_silu);
  lethe::cuda::group_norm_backward<target>(
      g, x_t.data(), weight_target, mean_t.data(), rstd_t.data(), grad_y_t.data(), grad_x_t.data(),
      grad_weight_t.data(), grad_bias_t.data(), then_silu, bias_target);
  CHECK(normalised_mse(y_t.download(), y) <= kParityTolerance);
  CHECK(normalised_mse(mean_t.download(), mean) <= kParityTolerance);
  CHECK(normalised_mse(rstd_t.download(), rstd) <= kParityTolerance);
  CHECK(normalised_mse(grad_x_t.download(), grad_x) <= kParityTolerance);
  CHECK(normalised_mse(grad_weight_t.download(), grad_weight) <= kParityTolerance);
  CHECK(normalised_mse(grad_bias_t.download(), grad_bias) <= kParityTolerance);
}

template <Target target>
void check_group_norm() {
  std::mt19937 rng(41);
  const GroupNormGeometry geometries[] = {
      // batch, channels, spatial, groups
      {2, 64, 14 * 14, 32},
      {2, 32, 7 * 7, 8},
      {3, 6, 35, 3},
      {2, 5, 9, 5},
      {1, 4, 3, 2},
      {2, 32, 28 * 28, 8},  // the U-Net's largest groups, 3136 values, held
                            // in registers
      {1, 4, 1024, 1},      // 4096 values: the most the held kernels take
      {1, 4, 1025, 1},      // one more: the streaming kernels
      {2, 8, 2000, 2},      // groups larger than a block, streaming
  };
  for (const GroupNormGeometry& g : geometries) {
    for (bool affine : {true, false}) {
      for (bool then_silu : {false, true}) check_group_norm_case<target>(g, affine, then_silu, rng);
    }
  }
}

}  // namespace

LETHE_CUDA_PARITY_TEST("group_norm (and group_norm + SiLU) forward and backward", check_group_norm)
