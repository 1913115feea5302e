// The CLI's --device, --kernels and --precision: where a run's tensors live, which GPU
// implementation of the GEMM and the convolutions runs there, and in which math.
#pragma once
#include <string_view>

#include "lethe/dtype.h"

namespace lethe {

// "cpu" or "cuda"; cuda is checked with require_device (a clear error without a usable GPU).
Device parse_device(std::string_view name);
// kernels: "hand", "vendor" or "auto" (the default: per shape, the faster measured one);
// precision: "fp32" (the default) or "tf32" (TF32 tensor cores, fp32 sums; cuda/float32_math.h).
// Both process-wide; a CPU-only build checks the names and has nothing to set.
void set_gpu_kernels(std::string_view kernels, std::string_view precision = "fp32");

}  // namespace lethe
