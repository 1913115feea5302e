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

}  // namespace lethe::tt
