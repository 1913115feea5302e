// The convolution's three passes over tensors: lethe/cpu/conv.h (f32, f64) or the CUDA
// implementation chosen by --kernels (lethe/cuda/kernel_selection.h, f32). NCHW, zero padding.
#pragma once
#include "lethe/core/op_geometry.h"
#include "lethe/core/tensor.h"

namespace lethe::tt {

// x (B, Cin, H, W), weight (Cout, Cin, KH, KW), bias (Cout) or undefined -> y (B, Cout, OH, OW).
void conv2d_forward(const ConvGeometry& g, const Tensor& x, const Tensor& weight,
                    const Tensor& bias, Tensor& y);
// grad_x (B, Cin, H, W), overwritten.
void conv2d_backward_input(const ConvGeometry& g, const Tensor& grad_y, const Tensor& weight,
                           Tensor& grad_x);
// grad_weight (Cout, Cin, KH, KW) and grad_bias (Cout) or undefined, overwritten.
void conv2d_backward_weight(const ConvGeometry& g, const Tensor& grad_y, const Tensor& x,
                            Tensor& grad_weight, Tensor& grad_bias);

}  // namespace lethe::tt
