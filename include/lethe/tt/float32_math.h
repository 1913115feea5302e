// How the GEMMs and the convolutions multiply fp32 tensors, process-wide and on both backends (the
// `--precision` flag):
//   fp32 (the default): fp32 FMAs everywhere;
//   tf32: the GPU's TF32 tensor cores (cuda/float32_math.h); the CPU has none and stays fp32;
//   bf16: the CPU's AVX-512 BF16 dot products (cpu/gemm.h, MatmulMath), operands rounded to bf16
//         as they are packed and products summed in fp32; a CPU without them stays fp32; no CUDA
//         kernels yet (a GEMM or convolution on a cuda tensor then throws).
// Only those two ops change: inputs and outputs stay fp32 tensors, and the norms, softmax,
// activations, losses, the optimiser, EMA and the weights themselves stay fp32 (PyTorch's bf16
// autocast policy, without its bf16 outputs).
#pragma once
#include <string_view>

namespace lethe::tt {

// Sets the math by name; an unknown name throws lethe::Error listing the three. Returns false
// when bf16 was asked for and this CPU lacks AVX-512 BF16: the CPU then runs fp32.
bool set_float32_math(std::string_view name);

// The math in force: "fp32" (also after bf16 was refused), "tf32" or "bf16".
const char* float32_math_name();

}  // namespace lethe::tt
