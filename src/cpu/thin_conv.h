// Same-size stride-1 3x3 convolutions with at most 4 output channels (the forward pass of the
// U-Net's conv_out, 32 -> 1, and the input gradient of its conv_in, which is such a convolution:
// conv.cpp's same_size_backward_input), and the weight gradient of those with at most 4 input
// channels (conv_in, 1 -> 32). im2col + GEMM writes and reads a 9x larger matrix there for a
// product of one row, or of depth 9, and ran at 5 to 8 % of peak; these kernels work on the
// planes directly, 16 pixels per vector, moving planes by masked shifted loads (tap_plan_avx512.h).
// (With many output channels from few inputs, conv_in's forward, im2col + GEMM measured faster.)
#pragma once
#include <cstdint>

#include "cpu/conv.h"

namespace lethe::cpu {

// On CPUs with AVX-512 only (elsewhere im2col + GEMM runs).
bool thin_forward_applies(const ConvGeometry& g);
bool thin_weight_gradient_applies(const ConvGeometry& g);

// Contracts of conv2d_forward; parallel over images (OpenMP).
void thin_conv2d_forward(const ConvGeometry& g, const float* x, const float* weight,
                         const float* bias, float* y);

namespace detail {
// One image: x (Cin, H, W) -> y (Cout, H, W), bias (Cout) or null.
void thin_forward_image_avx512(const ConvGeometry& g, const float* x, const float* weight,
                               const float* bias, float* y);
// `count` images: gradient (Cout, 3, 3, Cin) += grad_y (count, Cout, H, W) correlated with
// x (count, Cin, H, W).
void thin_weight_gradient_images_avx512(const ConvGeometry& g, const float* grad_y, const float* x,
                                        int64_t count, float* gradient);
}  // namespace detail
}  // namespace lethe::cpu
