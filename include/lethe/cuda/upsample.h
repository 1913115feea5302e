// CUDA launchers for nearest 2x upsampling (kernels/upsample.cu), fp32. Same contracts as the
// upsample functions of cpu/conv.h; pointers live on the target.
#pragma once
#include <cstdint>

#include "lethe/cuda/target.h"

namespace lethe::cuda {

// x: (planes, H, W) -> y: (planes, 2H, 2W).
template <Target target>
void upsample_nearest2x_forward(const float* x, float* y, int64_t planes, int64_t height,
                                int64_t width);
// grad_y: (planes, 2H, 2W) -> grad_x: (planes, H, W) (overwritten).
template <Target target>
void upsample_nearest2x_backward(const float* grad_y, float* grad_x, int64_t planes, int64_t height,
                                 int64_t width);

}  // namespace lethe::cuda
