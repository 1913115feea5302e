// The CLI's --device and --kernels: where a run's tensors live, and which GPU implementation of
// the GEMM and the convolutions runs there.
#pragma once
#include <string_view>

#include "lethe/dtype.h"

namespace lethe {

// "cpu" or "cuda"; cuda is checked with require_device (a clear error without a usable GPU).
Device parse_device(std::string_view name);
// "hand", "vendor" or "auto" (the default: per shape, the faster measured one), process-wide.
// A CPU-only build checks the name and has nothing to set.
void set_gpu_kernels(std::string_view name);

}  // namespace lethe
