// CUDA launchers for the implicit-GEMM convolutions (kernels/conv.cu): fp32 tensors, the products
// in fp32 or TF32 (cuda/float32_math.h). Same contracts as cpu/conv.h; pointers live on the
// target.
#pragma once
#include "lethe/core/op_geometry.h"
#include "lethe/cuda/float32_math.h"
#include "lethe/cuda/target.h"

namespace lethe::cuda {

// x: (B, Cin, H, W), weight: (Cout, Cin, KH, KW), bias: (Cout) or null -> y: (B, Cout, OH, OW).
template <Target target>
void conv2d_forward(const ConvGeometry& g, const float* x, const float* weight, const float* bias,
                    float* y, Float32Math math = Float32Math::fp32);
// grad_y: (B, Cout, OH, OW) -> grad_x: (B, Cin, H, W) (overwritten).
template <Target target>
void conv2d_backward_input(const ConvGeometry& g, const float* grad_y, const float* weight,
                           float* grad_x, Float32Math math = Float32Math::fp32);
// grad_y, x -> grad_weight: (Cout, Cin, KH, KW), grad_bias: (Cout) or null (both overwritten).
template <Target target>
void conv2d_backward_weight(const ConvGeometry& g, const float* grad_y, const float* x,
                            float* grad_weight, float* grad_bias,
                            Float32Math math = Float32Math::fp32);

}  // namespace lethe::cuda
