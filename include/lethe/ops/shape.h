// Concatenation, splitting and narrowing along an axis (copies, recorded for autograd).
#pragma once
#include <cstdint>
#include <vector>
#include "lethe/core/tensor.h"

namespace lethe {

Tensor concat(const std::vector<Tensor>& parts, int axis);
std::vector<Tensor> split(const Tensor& a, const std::vector<int64_t>& sizes, int axis);
Tensor narrow(const Tensor& a, int axis, int64_t start, int64_t length);  // a copy, recorded

}  // namespace lethe
