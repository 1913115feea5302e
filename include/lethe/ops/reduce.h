// Sums and means: over all elements, over axes, or back to a shape that broadcasts to the input.
#pragma once
#include <vector>

#include "lethe/core/tensor.h"

namespace lethe {

// Reduces `a` by summation to `shape` (the inverse of broadcasting `shape` to a's shape).
Tensor sum_to(const Tensor& a, const Shape& shape);

Tensor sum(const Tensor& a);  // all elements, rank 0
Tensor mean(const Tensor& a);
Tensor sum(const Tensor& a, const std::vector<int>& axes, bool keepdim = false);
Tensor mean(const Tensor& a, const std::vector<int>& axes, bool keepdim = false);

}  // namespace lethe
