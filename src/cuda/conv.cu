#include "cuda/conv.h"

#include <algorithm>
#include <climits>
#include <cstdint>

#include "cuda/reduce.h"
#include "kernels/conv.cu"

namespace lethe::cuda {
namespace {

kernels::ConvShape conv_shape(const cpu::ConvGeometry& g) {
  const int64_t largest =
      std::max({g.batch * g.in_channels * g.height * g.width,
                g.batch * g.out_channels * g.out_h() * g.out_w(), g.out_channels * g.patch()});
  LETHE_CHECK(largest < INT_MAX, "cuda conv2d: tensors of ", largest,
              " elements exceed 32-bit indexing");
  auto narrow = [](int64_t value) { return static_cast<int>(value); };
  return {narrow(g.batch),        narrow(g.in_channels), narrow(g.height),   narrow(g.width),
          narrow(g.out_channels), narrow(g.kernel_h),    narrow(g.kernel_w), narrow(g.stride),
          narrow(g.padding),      narrow(g.out_h()),     narrow(g.out_w())};
}

dim3 tile_grid(int64_t rows, int64_t columns) {
  return dim3(simt::blocks_for(columns, kernels::kTileRows),
              simt::blocks_for(rows, kernels::kTileRows));
}

}  // namespace

template <>
void conv2d_forward<simt::kTarget>(const cpu::ConvGeometry& g, const float* x, const float* weight,
                                   const float* bias, float* y) {
  const kernels::ConvShape s = conv_shape(g);
  const bool weight_vectorised =
      reinterpret_cast<uintptr_t>(weight) % 16 == 0 && g.patch() % 4 == 0;
  simt::launch(kernels::conv2d_forward_kernel,
               tile_grid(g.out_channels, g.batch * g.out_h() * g.out_w()), kernels::kTileThreads, 0,
               s, x, weight, bias, y, weight_vectorised);
}

template <>
void conv2d_backward_input<simt::kTarget>(const cpu::ConvGeometry& g, const float* grad_y,
                                          const float* weight, float* grad_x) {
  simt::launch(kernels::conv2d_backward_data_kernel,
               tile_grid(g.in_channels, g.batch * g.height * g.width), kernels::kTileThreads, 0,
               conv_shape(g), grad_y, weight, grad_x);
}

template <>
void conv2d_backward_weight<simt::kTarget>(const cpu::ConvGeometry& g, const float* grad_y,
                                           const float* x, float* grad_weight, float* grad_bias) {
  simt::launch(kernels::conv2d_backward_weight_kernel, tile_grid(g.out_channels, g.patch()),
               kernels::kTileThreads, 0, conv_shape(g), grad_y, x, grad_weight);
  if (grad_bias != nullptr) {
    sum_to_shape<simt::kTarget>(grad_y, {g.batch, g.out_channels, g.out_h(), g.out_w()}, grad_bias,
                                {g.out_channels, 1, 1});
  }
}

}  // namespace lethe::cuda
