// The CUDA kernel benchmark (`lethe bench kernels`): the hand-written CUDA kernels on the GPU. Per
// kernel it prints the GPU time (CUDA events, L2 flushed before every run, best of `repeats`),
// TFLOP/s or GB/s, the share of this device's measured peak (an FMA micro-kernel, a 1 GiB copy),
// and for the GEMM, the convolutions and the attention the ratio of the hand-written kernel's time
// to cuBLAS / cuDNN's (or the unfused matmul + softmax) on the U-Net's shapes, both in the math
// that `precision` names (fp32 against the FMA peak, tf32 against the tensor-core peak). Last, the
// implementations that cuda::selected runs under `kernels`, and for auto what it measured and
// picked per shape.
#pragma once
#include <cstdint>
#include <string>

namespace lethe::bench {

struct KernelsBenchOptions {
  int repeats = 10;              // timed runs per kernel; the best is kept
  int64_t batch = 128;           // N of the U-Net shapes: conv (N, C, H, W), attention (N, 64, 49)
  std::string kernels = "auto";  // GEMM/conv implementation of cuda::selected: hand|vendor|auto
  std::string precision = "fp32";  // GEMM/conv math of both sides: fp32 or tf32 (tensor cores)
};

// Throws lethe::Error when no CUDA device is visible, or when this build has no CUDA backend.
// Sets the process-wide kernel source and float32 math (cuda::set_kernel_source,
// set_float32_math) to `kernels` and `precision`.
void run_kernels_bench(const KernelsBenchOptions& options);

}  // namespace lethe::bench
