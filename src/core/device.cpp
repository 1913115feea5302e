#include "lethe/device.h"

#include "lethe/allocator.h"
#include "lethe/error.h"
#ifdef LETHE_WITH_CUDA
#include "cuda/kernel_selection.h"
#endif

namespace lethe {

Device parse_device(std::string_view name) {
  if (name == "cpu") return Device::cpu;
  LETHE_CHECK(name == "cuda", "--device: unknown device '", name, "' (expected cpu or cuda)");
  require_device(Device::cuda);
  return Device::cuda;
}

void set_gpu_kernels(std::string_view name) {
#ifdef LETHE_WITH_CUDA
  cuda::set_kernel_source(cuda::parse_kernel_source(name));
#else
  LETHE_CHECK(name == "hand" || name == "vendor" || name == "auto", "--kernels: unknown kernel ",
              "source '", name, "' (expected hand, vendor or auto)");
#endif
}

}  // namespace lethe
