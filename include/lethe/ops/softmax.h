// Softmax and log-softmax along an axis.
#pragma once
#include "lethe/core/tensor.h"

namespace lethe {

Tensor softmax(const Tensor& a, int axis = -1);
Tensor log_softmax(const Tensor& a, int axis = -1);

}  // namespace lethe
