// CPU kernel for the sum of a tensor back to a shape that broadcasts to it (the reduction behind
// sum, mean and every broadcast op's gradient). T is float or double; shapes row-major.
#pragma once
#include "lethe/core/tensor.h"

namespace lethe::cpu {

// out (out_shape) = sum of in (in_shape) over the axes where out_shape broadcasts to in_shape.
template <class T>
void sum_to_shape(const T* in, const Shape& in_shape, T* out, const Shape& out_shape);

}  // namespace lethe::cpu
