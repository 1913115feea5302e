// fp32 forward and input-gradient convolutions computed directly on zero-padded channel planes,
// with no im2col matrix, for the U-Net's same-size stride-1 3x3 shapes at 28x28. See
// conv_direct.cpp.
#pragma once
#include "lethe/cpu/conv.h"

namespace lethe::cpu {

// Whether direct_conv2d_forward and direct_conv2d_backward_input handle g: a square odd kernel with
// same-size stride-1 padding; at least 16 input and 16 output channels (fewer make the per-tap
// products too shallow, and those convolutions are cheap); outputs whose grid pads at most 10%
// (28x28 and up; smaller ones go to the implicit GEMM, cpu/conv_implicit.h).
bool direct_conv_applies(const ConvGeometry& g);

// x: (B, Cin, H, W), weight: (Cout, Cin, KH, KW), bias: (Cout) or null -> y: (B, Cout, OH, OW).
void direct_conv2d_forward(const ConvGeometry& g, const float* x, const float* weight,
                           const float* bias, float* y);

// grad_y: (B, Cout, OH, OW) -> grad_x: (B, Cin, H, W) (overwritten).
void direct_conv2d_backward_input(const ConvGeometry& g, const float* grad_y, const float* weight,
                                  float* grad_x);

}  // namespace lethe::cpu
