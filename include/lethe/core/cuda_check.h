// Checked calls into the CUDA runtime, cuBLAS and cuDNN. LETHE_CUDA_CHECK(call, meaning) runs
// `call` and, unless it reports success, throws lethe::Error naming the source file and line, the
// call as written, what it was for, and the library's own description of the failure:
//   LETHE_CUDA_CHECK(cudaMalloc(&data, bytes), "allocating the GEMM workspace");
// The cuBLAS and cuDNN overloads of check_status live beside their only users
// (cuda/vendor_gemm.cpp, cuda/vendor_conv.cpp), so this header needs only the runtime API.
#pragma once
#include <cuda_runtime_api.h>

#include "lethe/core/error.h"

#define LETHE_CUDA_CHECK(call, meaning) \
  ::lethe::cuda::check_status((call), #call, meaning, __FILE__, __LINE__)

namespace lethe::cuda {

inline void check_status(cudaError_t status, const char* call, const char* meaning,
                         const char* file, int line) {
  if (status != cudaSuccess) {
    fail(file, ":", line, ": CUDA error in ", call, " (", meaning,
         "): ", cudaGetErrorString(status));
  }
}

}  // namespace lethe::cuda
