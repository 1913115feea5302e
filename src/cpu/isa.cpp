// CPU feature detection: which of the kernel families (AVX-512, AVX2, portable) this CPU runs.
#include "lethe/cpu/isa.h"

#include <string_view>

namespace lethe::cpu {

bool cpu_supports_isa(const char* isa) {
  const std::string_view name = isa;
  if (name == "portable") return true;
  __builtin_cpu_init();
  const bool fma = __builtin_cpu_supports("fma");
  if (name == "avx2") return fma && __builtin_cpu_supports("avx2");
  if (name == "avx512") {
    return fma && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
  }
  if (name == "avx512bf16")
    return cpu_supports_isa("avx512") && __builtin_cpu_supports("avx512bf16");
  return false;
}

const char* cpu_isa_name() {
  static const char* const name = cpu_supports_isa("avx512") ? "avx512"
                                  : cpu_supports_isa("avx2") ? "avx2"
                                                             : "portable";
  return name;
}

bool cpu_runs_avx512() {
  static const bool avx512 = std::string_view(cpu_isa_name()) == "avx512";
  return avx512;
}

}  // namespace lethe::cpu
