#include "lethe/tt/gpu_kernels.h"

#include "lethe/core/error.h"
#ifdef LETHE_WITH_CUDA
#include "lethe/cuda/kernel_selection.h"
#endif

namespace lethe::tt {

void set_gpu_kernels(std::string_view kernels, std::string_view precision) {
#ifdef LETHE_WITH_CUDA
  cuda::set_kernel_source(cuda::parse_kernel_source(kernels));
  cuda::set_float32_math(cuda::parse_float32_math(precision));
#else
  LETHE_CHECK(kernels == "hand" || kernels == "vendor" || kernels == "auto",
              "--kernels: unknown kernel source '", kernels, "' (expected hand, vendor or auto)");
  LETHE_CHECK(precision == "fp32" || precision == "tf32", "--precision: unknown GPU math '",
              precision, "' (expected fp32 or tf32)");
#endif
}

}  // namespace lethe::tt
