#include "lethe/core/device.h"

#include "lethe/core/allocator.h"
#include "lethe/core/error.h"

namespace lethe {

Device parse_device(std::string_view name) {
  if (name == "cpu") return Device::cpu;
  LETHE_CHECK(name == "cuda", "unknown device '", name, "' (expected cpu or cuda)");
  require_device(Device::cuda);
  return Device::cuda;
}

}  // namespace lethe
