// Which implementation runs the GEMM and the convolutions on a GPU: the hand-written kernels
// (cuda/gemm.h, cuda/conv.h), the vendor libraries (cuda/vendor_gemm.h, cuda/vendor_conv.h), or
// `automatic`: per shape, both are timed once (the first call with that shape) and the faster one
// is kept for every later call. The choice is process-wide; `--kernels hand|vendor|auto` sets it.
// So is the math both of them use (cuda/float32_math.h), set by `--precision fp32|tf32|bf16`.
// Native only: pointers are device pointers, with the contracts of the hand-written launchers.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lethe/core/op_geometry.h"
#include "lethe/cuda/float32_math.h"

namespace lethe::cuda {

enum class KernelSource { hand, vendor, automatic };

// "hand", "vendor" or "auto"; anything else throws lethe::Error listing the three.
KernelSource parse_kernel_source(std::string_view name);
const char* kernel_source_name(KernelSource source);
void set_kernel_source(KernelSource source);
KernelSource kernel_source();  // automatic unless set

// "fp32", "tf32" or "bf16"; anything else throws lethe::Error listing them.
Float32Math parse_float32_math(std::string_view name);
const char* float32_math_name(Float32Math math);
void set_float32_math(Float32Math math);  // fp32 unless set

// What `automatic` measured for one shape.
struct AutomaticChoice {
  // e.g. "sgemm NT 512x512x512 fp32", "conv2d forward x(128,32,28,28) w(32,32,3,3) /1 pad 1 tf32"
  std::string shape;
  double hand_ms, vendor_ms;
  KernelSource chosen;  // hand or vendor
};
std::vector<AutomaticChoice> automatic_choices();  // in the order the shapes were first seen

namespace selected {

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
void conv2d_forward(const ConvGeometry& g, const float* x, const float* weight, const float* bias,
                    float* y);
void conv2d_backward_input(const ConvGeometry& g, const float* grad_y, const float* weight,
                           float* grad_x);
void conv2d_backward_weight(const ConvGeometry& g, const float* grad_y, const float* x,
                            float* grad_weight, float* grad_bias);

}  // namespace selected
}  // namespace lethe::cuda
