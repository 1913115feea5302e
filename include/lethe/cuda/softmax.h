// CUDA launchers for softmax and log-softmax (kernels/softmax.cu), fp32, along the last axis:
// the CPU contract of cpu/softmax.h with g.inner == 1. Pointers live on the target.
#pragma once
#include "lethe/core/op_geometry.h"
#include "lethe/cuda/target.h"

namespace lethe::cuda {

template <Target target>
void softmax_forward(const AxisGeometry& g, const float* x, float* y, bool log_space);
template <Target target>
void softmax_backward(const AxisGeometry& g, const float* y, const float* grad_y, float* grad_x,
                      bool log_space);

}  // namespace lethe::cuda
