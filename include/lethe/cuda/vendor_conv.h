// The cuDNN baselines for the implicit-GEMM convolutions (native only: device pointers). Same
// contracts as cuda/conv.h. Each geometry's descriptors and algorithms are set up once: the first
// call with a geometry and math times cuDNN's algorithms (cudnnFind*) in full fp32 (CUDNN_FMA_MATH)
// or with TF32 tensor cores allowed (CUDNN_TENSOR_OP_MATH) and keeps the fastest; workspaces come
// from one cached device buffer.
#pragma once
#include "lethe/core/op_geometry.h"
#include "lethe/cuda/float32_math.h"

namespace lethe::cuda {

// x: (B, Cin, H, W), weight: (Cout, Cin, KH, KW), bias: (Cout) or null -> y: (B, Cout, OH, OW).
void cudnn_conv2d_forward(const ConvGeometry& g, const float* x, const float* weight,
                          const float* bias, float* y, Float32Math math = Float32Math::fp32);
// grad_y: (B, Cout, OH, OW) -> grad_x: (B, Cin, H, W) (overwritten).
void cudnn_conv2d_backward_input(const ConvGeometry& g, const float* grad_y, const float* weight,
                                 float* grad_x, Float32Math math = Float32Math::fp32);
// grad_y, x -> grad_weight: (Cout, Cin, KH, KW), grad_bias: (Cout) or null (both overwritten).
void cudnn_conv2d_backward_weight(const ConvGeometry& g, const float* grad_y, const float* x,
                                  float* grad_weight, float* grad_bias,
                                  Float32Math math = Float32Math::fp32);

}  // namespace lethe::cuda
