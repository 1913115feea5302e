// 2-D convolution.
#pragma once
#include "lethe/core/tensor.h"

namespace lethe {

// x: (B, Cin, H, W), weight: (Cout, Cin, KH, KW), bias: (Cout) or undefined
// -> (B, Cout, (H + 2p - KH) / s + 1, (W + 2p - KW) / s + 1). Zero padding.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride = 1,
              int padding = 0);

}  // namespace lethe
