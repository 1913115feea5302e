#include "lethe/tt/float32_math.h"

#include "lethe/core/error.h"
#include "lethe/cpu/gemm.h"
#ifdef LETHE_WITH_CUDA
#include "lethe/cuda/kernel_selection.h"
#endif

namespace lethe::tt {

namespace {

const char* current_name = "fp32";

}  // namespace

bool set_float32_math(std::string_view name) {
  LETHE_CHECK(name == "fp32" || name == "tf32" || name == "bf16", "unknown precision '", name,
              "' (expected fp32, tf32 or bf16)");
#ifdef LETHE_WITH_CUDA
  cuda::set_float32_math(cuda::parse_float32_math(name));
#endif
  // set_matmul_math refuses bf16 on a CPU without it and changes nothing: the CPU stays fp32.
  const bool bf16 = name == "bf16";
  const bool honoured = cpu::set_matmul_math(bf16 ? cpu::MatmulMath::bf16 : cpu::MatmulMath::fp32);
  current_name = !honoured || name == "fp32" ? "fp32" : bf16 ? "bf16" : "tf32";
  return honoured;
}

const char* float32_math_name() {
  return current_name;
}

}  // namespace lethe::tt
