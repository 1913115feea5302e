#include "lethe/cuda/group_norm.h"

#include <climits>

#include "kernels/group_norm.cu"
#include "lethe/cuda/kernel_blocks.h"
#include "lethe/cuda/workspace.h"

namespace lethe::cuda {
namespace {

constexpr unsigned kBlockThreads = 256;
static_assert(block_threads_of("group_norm_forward_kernel") == kBlockThreads);
static_assert(block_threads_of("group_norm_backward_input_kernel") == kBlockThreads);
static_assert(block_threads_of("group_norm_plane_sums_kernel") == kBlockThreads);
static_assert(block_threads_of("group_norm_params_from_sums_kernel") == kBlockThreads);
static_assert(block_threads_of("group_norm_forward_held_kernel") == kBlockThreads);
static_assert(block_threads_of("group_norm_backward_input_held_kernel") == kBlockThreads);

// Whether a group fits the held kernels' registers.
bool group_fits_registers(const GroupNormGeometry& g) {
  return g.channels / g.groups * g.spatial <= kBlockThreads * kernels::kGroupNormHeldPerThread;
}

kernels::GroupNormShape group_norm_shape(const GroupNormGeometry& g) {
  LETHE_CHECK(g.batch * g.channels * g.spatial < INT_MAX && g.channels % g.groups == 0,
              "cuda group_norm: ", g.channels, " channels in ", g.groups, " groups over ",
              g.batch * g.spatial, " positions is not supported");
  return {static_cast<int>(g.batch), static_cast<int>(g.channels), static_cast<int>(g.spatial),
          static_cast<int>(g.groups)};
}

}  // namespace

template <>
void group_norm_forward<simt::kTarget>(const GroupNormGeometry& g, const float* x,
                                       const float* weight, const float* bias, double eps, float* y,
                                       float* mean, float* rstd, bool then_silu) {
  using namespace kernels;
  auto kernel =
      group_fits_registers(g)
          ? (then_silu ? group_norm_forward_held_kernel<true>
                       : group_norm_forward_held_kernel<false>)
          : (then_silu ? group_norm_forward_kernel<true> : group_norm_forward_kernel<false>);
  simt::launch(kernel, static_cast<unsigned>(g.batch * g.groups), kBlockThreads, 0,
               group_norm_shape(g), x, weight, bias, static_cast<float>(eps), y, mean, rstd);
}

template <>
void group_norm_backward<simt::kTarget>(const GroupNormGeometry& g, const float* x,
                                        const float* weight, const float* mean, const float* rstd,
                                        const float* grad_y, float* grad_x, float* grad_weight,
                                        float* grad_bias, bool then_silu, const float* bias) {
  using namespace kernels;
  const GroupNormShape shape = group_norm_shape(g);
  auto input_kernel = group_fits_registers(g)
                          ? (then_silu ? group_norm_backward_input_held_kernel<true>
                                       : group_norm_backward_input_held_kernel<false>)
                          : (then_silu ? group_norm_backward_input_kernel<true>
                                       : group_norm_backward_input_kernel<false>);
  simt::launch(input_kernel, static_cast<unsigned>(g.batch * g.groups), kBlockThreads, 0, shape, x,
               weight, bias, mean, rstd, grad_y, grad_x);
  if (grad_weight == nullptr && grad_bias == nullptr) return;
  // (B, C) sums of dz and of dz * xhat per plane, then reduced over the samples per channel.
  static Workspace<simt::kTarget> plane_sums_memory;
  const int64_t planes = g.batch * g.channels;
  float* dz_sums = static_cast<float*>(plane_sums_memory.reserve(2 * planes * sizeof(float)));
  float* dz_xhat_sums = dz_sums + planes;
  const int64_t planes_per_block = kBlockThreads / 32;
  auto sums_kernel =
      then_silu ? group_norm_plane_sums_kernel<true> : group_norm_plane_sums_kernel<false>;
  simt::launch(sums_kernel,
               static_cast<unsigned>((planes + planes_per_block - 1) / planes_per_block),
               kBlockThreads, 0, shape, x, weight, bias, mean, rstd, grad_y, dz_sums, dz_xhat_sums);
  simt::launch(group_norm_params_from_sums_kernel,
               static_cast<unsigned>((g.channels + kBlockThreads - 1) / kBlockThreads),
               kBlockThreads, 0, shape, dz_sums, dz_xhat_sums, grad_weight, grad_bias);
}

}  // namespace lethe::cuda
