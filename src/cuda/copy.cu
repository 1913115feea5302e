#include "lethe/cuda/copy.h"

#include <algorithm>

#include "kernels/copy.cu"
#include "lethe/cuda/kernel_blocks.h"

namespace lethe::cuda {
namespace {

constexpr unsigned kBlockThreads = 256;
static_assert(block_threads_of("copy_blocks_kernel") == kBlockThreads);
constexpr unsigned kMaxBlocks = 4096;  // grid-stride loops cover the rest

}  // namespace

template <>
void copy_blocks<simt::kTarget>(float* dst, int64_t dst_stride, const float* src,
                                int64_t src_stride, int64_t block, int64_t count) {
  const unsigned grid = std::min(simt::blocks_for(block * count, kBlockThreads), kMaxBlocks);
  simt::launch(kernels::copy_blocks_kernel, grid, kBlockThreads, 0, dst, dst_stride, src,
               src_stride, block, count);
}

}  // namespace lethe::cuda
