// CUDA launchers for the sum reductions (kernels/reduce.cu), fp32.
#pragma once
#include "lethe/core/tensor.h"
#include "lethe/cuda/target.h"

namespace lethe::cuda {

// out (out_shape) = sum of in (in_shape) over the axes where out_shape broadcasts to in_shape
// (rank <= 5), as cpu::sum_to_shape.
template <Target target>
void sum_to_shape(const float* in, const Shape& in_shape, float* out, const Shape& out_shape);

}  // namespace lethe::cuda
