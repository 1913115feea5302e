// CPU kernels for softmax and log-softmax along one axis of a tensor viewed as
// (outer, length, inner): the reduced axis has extent `length` and stride `inner`.
#pragma once
#include <cstdint>

#include "lethe/core/op_geometry.h"

namespace lethe::cpu {

template <class T>
void softmax_forward(const AxisGeometry& g, const T* x, T* y, bool log_space);
// y is the forward output. softmax: gx = y (gy - sum(gy y)); log: gx = gy - exp(y) sum(gy).
template <class T>
void softmax_backward(const AxisGeometry& g, const T* y, const T* grad_y, T* grad_x,
                      bool log_space);

}  // namespace lethe::cpu
