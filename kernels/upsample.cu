// Nearest-neighbour 2x upsampling of (planes, H, W) images and its gradient (fp32). Grid-stride
// loops over the output elements.
#pragma once
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

// x: (planes, H, W) -> y: (planes, 2H, 2W); y[p, r, c] = x[p, r / 2, c / 2].
__global__ void upsample_nearest2x_forward_kernel(const float* __restrict__ x,
                                                  float* __restrict__ y, long long planes,
                                                  long long height, long long width) {
  const long long out_width = 2 * width, out_plane = 4 * height * width;
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
       e < planes * out_plane; e += stride) {
    const long long plane = e / out_plane, within = e % out_plane;
    const long long row = within / out_width, column = within % out_width;
    y[e] = x[(plane * height + row / 2) * width + column / 2];
  }
}

// grad_y: (planes, 2H, 2W) -> grad_x: (planes, H, W), each the sum of its 2x2 block (top-left,
// top-right, bottom-left, bottom-right: the CPU's order).
__global__ void upsample_nearest2x_backward_kernel(const float* __restrict__ grad_y,
                                                   float* __restrict__ grad_x, long long planes,
                                                   long long height, long long width) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
       e < planes * height * width; e += stride) {
    const long long plane = e / (height * width), within = e % (height * width);
    const long long row = within / width, column = within % width;
    const float* top = grad_y + (plane * 2 * height + 2 * row) * 2 * width + 2 * column;
    const float* bottom = top + 2 * width;
    grad_x[e] = top[0] + top[1] + bottom[0] + bottom[1];
  }
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
