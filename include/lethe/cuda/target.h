// Where a CUDA kernel runs: on a GPU (compiled by nvcc) or on the host through the SIMT emulator
// (kernels/simt_emulator.h, compiled by the host compiler). Every launcher in src/cuda/ is a
// template on Target, so host code and tests pick the target explicitly; pointers handed to a
// native launcher are device pointers, those handed to an emulated launcher are host pointers.
#pragma once

namespace lethe::cuda {

enum class Target { emulated, native };

}  // namespace lethe::cuda
