#include "lethe/cuda/softmax.h"

#include <climits>

#include "kernels/softmax.cu"
#include "lethe/cuda/kernel_blocks.h"

namespace lethe::cuda {
namespace {

constexpr unsigned kBlockThreads = 32 * kernels::kSoftmaxWarpsPerBlock;
static_assert(block_threads_of("softmax_forward_kernel") == kBlockThreads);
static_assert(block_threads_of("softmax_backward_kernel") == kBlockThreads);

void check_last_axis(const AxisGeometry& g) {
  LETHE_CHECK(g.inner == 1 && g.length < INT_MAX,
              "cuda softmax: supported along the last axis "
              "only (inner extent ",
              g.inner, ", length ", g.length, ")");
}

}  // namespace

template <>
void softmax_forward<simt::kTarget>(const AxisGeometry& g, const float* x, float* y,
                                    bool log_space) {
  check_last_axis(g);
  simt::launch(kernels::softmax_forward_kernel,
               simt::blocks_for(g.outer, kernels::kSoftmaxWarpsPerBlock), kBlockThreads, 0, x, y,
               g.outer, g.length, log_space);
}

template <>
void softmax_backward<simt::kTarget>(const AxisGeometry& g, const float* y, const float* grad_y,
                                     float* grad_x, bool log_space) {
  check_last_axis(g);
  simt::launch(kernels::softmax_backward_kernel,
               simt::blocks_for(g.outer, kernels::kSoftmaxWarpsPerBlock), kBlockThreads, 0, y,
               grad_y, grad_x, g.outer, g.length, log_space);
}

}  // namespace lethe::cuda
