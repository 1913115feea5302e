// fp32 forward and input-gradient passes of a phase-shiftable convolution (conv.h; the U-Net's 3x3
// stride-2 downsample) as implicit GEMMs: the micro-kernels read the image (forward) or grad_y
// (input gradient) in place from zero-padded copies of their planes, a tile's rows being the
// pixels of one output row, so no im2col matrix is built and no padding position is computed.
// See conv_implicit.cpp.
#pragma once
#include "cpu/conv.h"

namespace lethe::cpu {

// Whether implicit_conv2d_forward and implicit_conv2d_backward_input handle g: is_phase_shiftable,
// with the stride dividing the image's sizes and the output the image's size over the stride
// (every phase plane is OH x OW).
bool implicit_conv_applies(const ConvGeometry& g);

// x: (B, Cin, H, W), weight: (Cout, Cin, KH, KW), bias: (Cout) or null -> y: (B, Cout, OH, OW).
// Parallel over images (OpenMP).
void implicit_conv2d_forward(const ConvGeometry& g, const float* x, const float* weight,
                             const float* bias, float* y);

// grad_y: (B, Cout, OH, OW) -> grad_x: (B, Cin, H, W) (overwritten). Parallel over images.
void implicit_conv2d_backward_input(const ConvGeometry& g, const float* grad_y, const float* weight,
                                    float* grad_x);

}  // namespace lethe::cpu
