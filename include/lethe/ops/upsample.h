// Nearest-neighbour upsampling.
#pragma once
#include "lethe/core/tensor.h"

namespace lethe {

// x: (B, C, H, W) -> (B, C, 2H, 2W), each pixel repeated 2x2.
Tensor upsample_nearest2x(const Tensor& x);

}  // namespace lethe
