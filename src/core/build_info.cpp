#include "lethe/core/build_info.h"

#include <cpuid.h>

#include <algorithm>
#include <cstring>

#ifndef LETHE_GIT_COMMIT
#define LETHE_GIT_COMMIT "unknown"
#endif

namespace lethe {

const char* build_commit() {
  return LETHE_GIT_COMMIT;
}

std::string cpu_model_name() {
  unsigned int highest = __get_cpuid_max(0x80000000u, nullptr);
  if (highest < 0x80000004u) return "unknown CPU";
  char brand[49] = {};
  for (unsigned int leaf = 0; leaf < 3; ++leaf) {
    unsigned int registers[4];
    __get_cpuid(0x80000002u + leaf, &registers[0], &registers[1], &registers[2], &registers[3]);
    std::memcpy(brand + 16 * leaf, registers, sizeof registers);
  }
  std::string name(brand);
  name.erase(name.find_last_not_of(' ') + 1);
  name.erase(0, std::min(name.size(), name.find_first_not_of(' ')));
  return name.empty() ? "unknown CPU" : name;
}

}  // namespace lethe
