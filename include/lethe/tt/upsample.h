// Nearest-neighbour 2x upsampling over tensors (lethe/cpu/upsample.h, lethe/cuda/upsample.h).
#pragma once
#include "lethe/core/tensor.h"

namespace lethe::tt {

// x (B, C, H, W) -> y (B, C, 2H, 2W), each pixel repeated 2x2.
void upsample_nearest2x_forward(const Tensor& x, Tensor& y);
// grad_y (B, C, 2H, 2W) -> grad_x (B, C, H, W), each pixel the sum of its 2x2 block.
void upsample_nearest2x_backward(const Tensor& grad_y, Tensor& grad_x);

}  // namespace lethe::tt
