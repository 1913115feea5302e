#include "lethe/cuda/attention.h"

#include <climits>

#include "kernels/attention.cu"
#include "lethe/cuda/kernel_blocks.h"
#include "lethe/cuda/workspace.h"

namespace lethe::cuda {
namespace {

constexpr unsigned kBlockThreads = 32 * kernels::kAttentionWarpsPerBlock;
static_assert(block_threads_of("attention_forward_kernel") == kBlockThreads);
static_assert(block_threads_of("attention_backward_rows_kernel") == kBlockThreads);
static_assert(block_threads_of("attention_backward_columns_kernel") == kBlockThreads);

kernels::AttentionShape attention_shape(const AttentionGeometry& g) {
  LETHE_CHECK(g.positions >= 1 && g.positions <= kMaxFusedAttentionPositions,
              "cuda attention: ", g.positions, " positions (the fused kernels take 1 to ",
              kMaxFusedAttentionPositions, ")");
  LETHE_CHECK(g.batch <= 65535 && g.channels < INT_MAX, "cuda attention: batch ", g.batch,
              " or channels ", g.channels,
              " out of range (at most 65535 images, one grid row each)");
  return {static_cast<int>(g.channels), static_cast<int>(g.positions), g.scale};
}

// One warp per row (or column) of positions, eight to a block, one grid row per image.
dim3 attention_grid(const AttentionGeometry& g) {
  return dim3(simt::blocks_for(g.positions, kernels::kAttentionWarpsPerBlock),
              static_cast<unsigned>(g.batch));
}

size_t shared_bytes(const AttentionGeometry& g, int rows_per_warp) {
  return sizeof(float) * rows_per_warp * kernels::kAttentionWarpsPerBlock * g.positions;
}

}  // namespace

template <>
void attention_forward<simt::kTarget>(const AttentionGeometry& g, const float* q, const float* k,
                                      const float* v, float* weights, float* out) {
  const kernels::AttentionShape shape = attention_shape(g);
  simt::launch(kernels::attention_forward_kernel, attention_grid(g), kBlockThreads,
               shared_bytes(g, 1), shape, q, k, v, weights, out);
}

template <>
void attention_backward<simt::kTarget>(const AttentionGeometry& g, const float* q, const float* k,
                                       const float* v, const float* weights, const float* grad_out,
                                       float* grad_q, float* grad_k, float* grad_v) {
  const kernels::AttentionShape shape = attention_shape(g);
  static Workspace<simt::kTarget> dots;
  auto* grad_dots =
      static_cast<float*>(dots.reserve(sizeof(float) * g.batch * g.positions * g.positions));
  simt::launch(kernels::attention_backward_rows_kernel, attention_grid(g), kBlockThreads,
               shared_bytes(g, 1), shape, k, v, weights, grad_out, grad_dots, grad_q);
  simt::launch(kernels::attention_backward_columns_kernel, attention_grid(g), kBlockThreads,
               shared_bytes(g, 2), shape, q, weights, grad_out, grad_dots, grad_k, grad_v);
}

}  // namespace lethe::cuda
