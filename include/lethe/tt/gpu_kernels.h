// Which GPU implementation of the GEMM and the convolutions runs (their math: tt/float32_math.h).
// Process-wide; a CPU-only build checks the names and has nothing to set.
#pragma once
#include <string_view>

namespace lethe::tt {

// "hand", "vendor" or "auto" (the default: per shape, the faster measured one).
void set_gpu_kernel_source(std::string_view name);

}  // namespace lethe::tt
