#include "lethe/tt/gpu_kernels.h"

#include "lethe/core/error.h"
#ifdef LETHE_WITH_CUDA
#include "lethe/cuda/kernel_selection.h"
#endif

namespace lethe::tt {

void set_gpu_kernel_source(std::string_view name) {
#ifdef LETHE_WITH_CUDA
  cuda::set_kernel_source(cuda::parse_kernel_source(name));
#else
  LETHE_CHECK(name == "hand" || name == "vendor" || name == "auto", "unknown GPU kernel source '",
              name, "' (expected hand, vendor or auto)");
#endif
}

void set_gpu_float32_math(std::string_view name) {
#ifdef LETHE_WITH_CUDA
  cuda::set_float32_math(cuda::parse_float32_math(name));
#else
  LETHE_CHECK(name == "fp32" || name == "tf32", "unknown GPU math '", name,
              "' (expected fp32 or tf32)");
#endif
}

}  // namespace lethe::tt
