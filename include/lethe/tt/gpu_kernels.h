// Which GPU implementation of the GEMM and the convolutions runs, and in which math. Both are
// process-wide; a CPU-only build checks the names and has nothing to set.
#pragma once
#include <string_view>

namespace lethe::tt {

// "hand", "vendor" or "auto" (the default: per shape, the faster measured one).
void set_gpu_kernel_source(std::string_view name);
// "fp32" (the default) or "tf32" (TF32 tensor cores, fp32 sums; cuda/float32_math.h).
void set_gpu_float32_math(std::string_view name);

}  // namespace lethe::tt
