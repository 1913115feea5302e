// CUDA launcher for strided block copies (kernels/copy.cu), fp32: the data movement of concat,
// split and narrow. Pointers live on the target.
#pragma once
#include <cstdint>

#include "lethe/cuda/target.h"

namespace lethe::cuda {

// Copies `count` blocks of `block` floats, the k-th from src + k * src_stride to
// dst + k * dst_stride (strides in floats).
template <Target target>
void copy_blocks(float* dst, int64_t dst_stride, const float* src, int64_t src_stride,
                 int64_t block, int64_t count);

}  // namespace lethe::cuda
