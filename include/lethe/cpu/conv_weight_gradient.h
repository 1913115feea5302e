// The fp32 weight gradient of a convolution as GEMMs whose B operand needs no transposing pack:
// - same-size stride-1 convolutions and the phase-shiftable strided ones (the downsample): an
// implicit GEMM, no im2col matrix, the micro-kernels read their B panels
//   straight from a zero-padded channels-last copy;
// - same-size 3x3 convolutions with at most 4 input channels (cpu/thin_conv.h): per image,
//   register sums over the pixels;
// - others: a pixel-major im2col matrix (one row per output pixel) built from a channels-last
//   copy of each image, read in place by sgemm.
#pragma once

#include "lethe/cpu/conv.h"

namespace lethe::cpu {

// Whether implicit_conv2d_weight_gradient handles g: a square kernel (not 1x1) and either stride 1
// with padding (kernel - 1) / 2 (an odd kernel; the output has the input's size), or a
// phase-shiftable stride (conv.h) that divides the image's sizes.
bool implicit_weight_gradient_applies(const ConvGeometry& g);

// grad_y: (B, Cout, OH, OW), x: (B, Cin, H, W) -> grad_weight: (Cout, Cin, KH, KW), overwritten.
// Parallel over chunks of images (OpenMP), summed in chunk order.
void implicit_conv2d_weight_gradient(const ConvGeometry& g, const float* grad_y, const float* x,
                                     float* grad_weight);

// Whether pixel_major_conv2d_weight_gradient handles g: any kernel but 1x1 stride 1 padding 0,
// with at least 16 input channels.
bool pixel_major_weight_gradient_applies(const ConvGeometry& g);

// Same contract as implicit_conv2d_weight_gradient.
void pixel_major_conv2d_weight_gradient(const ConvGeometry& g, const float* grad_y, const float* x,
                                        float* grad_weight);

// Same contract as implicit_conv2d_weight_gradient, where thin_conv_applies
// (cpu/thin_conv.h), and grad_bias (Cout) = grad_y summed over images and pixels, or null.
void thin_conv2d_weight_gradient(const ConvGeometry& g, const float* grad_y, const float* x,
                                 float* grad_weight, float* grad_bias);

}  // namespace lethe::cpu
