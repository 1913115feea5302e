// Which GPU implementation of the GEMM and the convolutions runs, and in which math (the CLI's
// --kernels and --precision).
#pragma once
#include <string_view>

namespace lethe::tt {

// kernels: "hand", "vendor" or "auto" (the default: per shape, the faster measured one);
// precision: "fp32" (the default) or "tf32" (TF32 tensor cores, fp32 sums; cuda/float32_math.h).
// Both process-wide; a CPU-only build checks the names and has nothing to set.
void set_gpu_kernels(std::string_view kernels, std::string_view precision = "fp32");

}  // namespace lethe::tt
