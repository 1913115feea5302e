// Softmax and log-softmax along one axis over tensors (lethe/cpu/softmax.h,
// lethe/cuda/softmax.h).
#pragma once
#include "lethe/core/op_geometry.h"
#include "lethe/core/tensor.h"

namespace lethe::tt {

void softmax_forward(const AxisGeometry& g, const Tensor& x, Tensor& y, bool log_space);
// y is the forward output. softmax: gx = y (gy - sum(gy y)); log: gx = gy - exp(y) sum(gy).
void softmax_backward(const AxisGeometry& g, const Tensor& y, const Tensor& grad_y, Tensor& grad_x,
                      bool log_space);

}  // namespace lethe::tt
