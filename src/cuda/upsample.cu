#include "lethe/cuda/upsample.h"

#include <algorithm>

#include "kernels/upsample.cu"
#include "lethe/cuda/kernel_blocks.h"

namespace lethe::cuda {
namespace {

constexpr unsigned kBlockThreads = 256;
static_assert(block_threads_of("upsample_nearest2x_forward_kernel") == kBlockThreads);
static_assert(block_threads_of("upsample_nearest2x_backward_kernel") == kBlockThreads);
constexpr unsigned kMaxBlocks = 4096;  // grid-stride loops cover the rest

unsigned grid_for(int64_t n) {
  return std::min(simt::blocks_for(n, kBlockThreads), kMaxBlocks);
}

}  // namespace

template <>
void upsample_nearest2x_forward<simt::kTarget>(const float* x, float* y, int64_t planes,
                                               int64_t height, int64_t width) {
  simt::launch(kernels::upsample_nearest2x_forward_kernel, grid_for(4 * planes * height * width),
               kBlockThreads, 0, x, y, planes, height, width);
}

template <>
void upsample_nearest2x_backward<simt::kTarget>(const float* grad_y, float* grad_x, int64_t planes,
                                                int64_t height, int64_t width) {
  simt::launch(kernels::upsample_nearest2x_backward_kernel, grid_for(planes * height * width),
               kBlockThreads, 0, grad_y, grad_x, planes, height, width);
}

}  // namespace lethe::cuda
