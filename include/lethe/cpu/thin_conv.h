// Same-size stride-1 3x3 convolutions with at most 4 input or 4 output channels: the U-Net's
// conv_in (1 -> 32) and conv_out (32 -> 1) in all three passes (an input gradient is such a
// convolution with the channels swapped: conv.cpp's same_size_backward_input). im2col + GEMM ran
// at 5 to 25 % of peak there: it writes and reads a 9x larger matrix for a product of one row or
// of depth 9. These kernels work on the planes directly, 16 pixels per vector, moving planes by
// masked shifted loads (tap_plan_avx512.h):
// - forward with few outputs: per output channel the nine tap sums over the input channels, then
//   the sum of the moved sum planes;
// - forward with few inputs: im2col rows of depth <= 36 times the weights, 4 x 6 sums in registers;
// - weight gradient: the few-channel side moved (forward for inputs, backward for gradients)
//   against every plane of the other side, summed as vectors over blocks of images.
#pragma once
#include <cstdint>

#include "lethe/cpu/conv.h"

namespace lethe::cpu {

inline constexpr int64_t kMaxThinChannels = 4;

// On CPUs with AVX-512 only (elsewhere im2col + GEMM and the implicit GEMM run).
bool thin_conv_applies(const ConvGeometry& g);

// Contracts of conv2d_forward; parallel over images (OpenMP).
void thin_conv2d_forward(const ConvGeometry& g, const float* x, const float* weight,
                         const float* bias, float* y);

namespace detail {
// One image: x (Cin, H, W) -> y (Cout, H, W), bias (Cout) or null.
void thin_forward_image_avx512(const ConvGeometry& g, const float* x, const float* weight,
                               const float* bias, float* y);
// `count` images: gradient (Cout, 3, 3, Cin) += grad_y (count, Cout, H, W) correlated with
// x (count, Cin, H, W); bias_gradient (Cout) += grad_y summed over images and pixels.
void thin_weight_gradient_images_avx512(const ConvGeometry& g, const float* grad_y, const float* x,
                                        int64_t count, float* gradient, float* bias_gradient);
}  // namespace detail
}  // namespace lethe::cpu
