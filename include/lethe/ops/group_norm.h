// Group normalisation, alone or fused with the SiLU after it.
#pragma once
#include "lethe/core/tensor.h"

namespace lethe {

// x: (B, C, ...), weight/bias: (C) or undefined. Statistics over (C / groups, ...) per sample.
Tensor group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias,
                  double eps);
// silu(group_norm(...)) in one pass (CPU and cuda), without the normalised tensor in between.
Tensor group_norm_silu(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias,
                       double eps);

}  // namespace lethe
