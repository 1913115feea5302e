// Inverted dropout.
#pragma once
#include "lethe/core/tensor.h"
#include "lethe/ops/random.h"

namespace lethe {

// Inverted dropout: keeps each element with probability 1 - p and scales it by 1 / (1 - p).
// Identity when !training or p == 0. The mask comes from `generator` (Philox stream).
Tensor dropout(const Tensor& a, double p, bool training, Generator& generator);

}  // namespace lethe
