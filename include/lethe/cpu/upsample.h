// CPU kernels for nearest-neighbour 2x upsampling, NCHW, T float or double.
#pragma once
#include <cstdint>

namespace lethe::cpu {

// x: (B, C, H, W) -> y: (B, C, 2H, 2W) and back (each output pixel's gradient summed per 2x2);
// planes = B C.
template <class T>
void upsample_nearest2x_forward(const T* x, T* y, int64_t planes, int64_t height, int64_t width);
template <class T>
void upsample_nearest2x_backward(const T* grad_y, T* grad_x, int64_t planes, int64_t height,
                                 int64_t width);

}  // namespace lethe::cpu
