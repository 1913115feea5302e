#include "cpu/random.h"

#include "cpu/peak.h"

namespace lethe::cpu {

bool has_vector_philox() {
  static const bool available = cpu_supports_isa("avx512");
  return available;
}

}  // namespace lethe::cpu
