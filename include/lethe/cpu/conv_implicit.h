// fp32 convolutions as implicit GEMMs: the micro-kernels read the image (forward) or grad_y
// (input gradient) in place from zero-padded copies of their planes, a tile's rows being the
// pixels of one output row, so no im2col matrix is built and no padding position is computed.
// They serve the stride-2 downsample (a phase-shiftable convolution, conv.h), both passes, and
// the same-size stride-1 convolutions the direct grid would pad too much (14x14, 7x7), whose
// input gradient is itself such a convolution (conv.cpp). See conv_implicit.cpp.
#pragma once
#include "lethe/cpu/conv.h"

namespace lethe::cpu {

// Whether implicit_conv2d_forward handles g: the stride-2 downsample (is_phase_shiftable with
// stride 2, the output half the image's size), or a same-size stride-1 convolution with a square
// odd kernel (not 1x1) and at least 16 input and output channels.
bool implicit_forward_applies(const ConvGeometry& g);

// Whether implicit_conv2d_backward_input handles g: the stride-2 downsample (every phase plane of
// the input is OH x OW).
bool implicit_input_gradient_applies(const ConvGeometry& g);

// x: (B, Cin, H, W), weight: (Cout, Cin, KH, KW), bias: (Cout) or null -> y: (B, Cout, OH, OW).
// Parallel over images (OpenMP).
void implicit_conv2d_forward(const ConvGeometry& g, const float* x, const float* weight,
                             const float* bias, float* y);

// grad_y: (B, Cout, OH, OW) -> grad_x: (B, Cin, H, W) (overwritten). Parallel over images.
void implicit_conv2d_backward_input(const ConvGeometry& g, const float* grad_y, const float* weight,
                                    float* grad_x);

}  // namespace lethe::cpu
