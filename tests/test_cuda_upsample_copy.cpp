// Nearest 2x upsampling (forward and backward) and the strided block copies of concat / narrow
// against the CPU, emulated and native, on odd sizes and the U-Net's 7x7 and 14x14 planes.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "lethe/cpu/upsample.h"
#include "lethe/cuda/copy.h"
#include "lethe/cuda/upsample.h"
#include "test_cuda_support.h"

namespace {

using lethe::cuda::Target;
using lethe::cuda::testing::kParityTolerance;
using lethe::cuda::testing::normalised_mse;
using lethe::cuda::testing::random_values;
using lethe::cuda::testing::TargetBuffer;

struct Planes {
  int64_t planes, height, width;
};
const Planes kPlanes[] = {{1, 1, 1}, {1, 1, 3}, {6, 7, 7}, {4, 14, 14}, {3, 5, 2}};

template <Target target>
void check_upsample() {
  std::mt19937 rng(71);
  for (const Planes& p : kPlanes) {
    CAPTURE(p.height);
    CAPTURE(p.width);
    const int64_t small = p.planes * p.height * p.width;
    const auto x = random_values(small, rng);
    const auto grad_y = random_values(4 * small, rng);
    std::vector<float> y(4 * small), grad_x(small);
    lethe::cpu::upsample_nearest2x_forward(x.data(), y.data(), p.planes, p.height, p.width);
    lethe::cpu::upsample_nearest2x_backward(grad_y.data(), grad_x.data(), p.planes, p.height,
                                            p.width);
    TargetBuffer<target> x_t(x), y_t(y.size()), grad_y_t(grad_y), grad_x_t(grad_x.size());
    lethe::cuda::upsample_nearest2x_forward<target>(x_t.data(), y_t.data(), p.planes, p.height,
                                                    p.width);
    lethe::cuda::upsample_nearest2x_backward<target>(grad_y_t.data(), grad_x_t.data(), p.planes,
                                                     p.height, p.width);
    CHECK(normalised_mse(y_t.download(), y) <= kParityTolerance);
    CHECK(normalised_mse(grad_x_t.download(), grad_x) <= kParityTolerance);
  }
}

struct BlockCopy {
  int64_t count, block, src_stride, src_offset, dst_stride, dst_offset;
};
// concat's write of a part into the middle of each row, and narrow's read of a window.
const BlockCopy kCopies[] = {
    {1, 1, 1, 0, 1, 0}, {4, 3, 3, 0, 10, 5}, {7, 49, 147, 49, 49, 0}, {33, 5, 9, 2, 5, 0}};

template <Target target>
void check_copy_blocks() {
  std::mt19937 rng(72);
  for (const BlockCopy& c : kCopies) {
    CAPTURE(c.count);
    CAPTURE(c.block);
    const auto src = random_values(c.count * c.src_stride + c.src_offset, rng);
    auto dst = random_values(c.count * c.dst_stride + c.dst_offset, rng);
    TargetBuffer<target> src_t(src), dst_t(dst);
    for (int64_t k = 0; k < c.count; ++k) {
      for (int64_t j = 0; j < c.block; ++j) {
        dst[c.dst_offset + k * c.dst_stride + j] = src[c.src_offset + k * c.src_stride + j];
      }
    }
    lethe::cuda::copy_blocks<target>(dst_t.data() + c.dst_offset, c.dst_stride,
                                     src_t.data() + c.src_offset, c.src_stride, c.block, c.count);
    CHECK(dst_t.download() == dst);
  }
}

}  // namespace

LETHE_CUDA_PARITY_TEST("nearest 2x upsampling forward and backward", check_upsample)
LETHE_CUDA_PARITY_TEST("strided block copies (concat, narrow)", check_copy_blocks)
