// How the GEMM and the convolutions multiply fp32 tensors on a GPU: in full fp32 (FMA units), or
// in TF32 on the tensor cores, where each operand is first rounded to 10 mantissa bits (relative
// error <= 2^-11) and the products are summed in fp32 (PyTorch's allow_tf32). Inputs, outputs and
// accumulation stay fp32 either way. The hand-written kernels and cuBLAS / cuDNN honour it alike.
// bf16 (the CPU's bf16 dot products, cpu/gemm.h) has no CUDA kernels yet: a GEMM or convolution
// launched under it throws.
#pragma once

namespace lethe::cuda {

enum class Float32Math { fp32, tf32, bf16 };

}  // namespace lethe::cuda
