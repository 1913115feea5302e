// Reduction by summation over broadcast axes (lethe/cpu/reduce.h, lethe/cuda/reduce.h).
#pragma once
#include "lethe/core/tensor.h"

namespace lethe::tt {

// out (shape S, which broadcasts to x's shape) = x summed over the axes S broadcasts along.
void sum_to_shape(const Tensor& x, Tensor& out);

}  // namespace lethe::tt
