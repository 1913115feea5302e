#pragma once
#include <cstdint>

#include "lethe/core/tensor.h"

namespace lethe {

// Sinusoidal embedding of scalar labels (B) into `width` dims: half = width / 2,
// f_k = exp(-ln(10000) k / (half - 1)), emb = [sin(label f), cos(label f)] -> (B, width).
Tensor sinusoidal_embedding(const Tensor& labels, int64_t width);  // on labels' device

}  // namespace lethe
