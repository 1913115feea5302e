#include "cuda/cuda_runtime.h"

#include <cuda_runtime_api.h>

#include "lethe/error.h"

namespace lethe::cuda {

static void check(cudaError_t status, const char* call, const char* meaning) {
  if (status != cudaSuccess) {
    fail("CUDA error in ", call, " (", meaning, "): ", cudaGetErrorString(status));
  }
}

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error of a missing driver
    return 0;
  }
  return count;
}

void* raw_allocate(size_t bytes) {
  void* data = nullptr;
  check(cudaMalloc(&data, bytes), "cudaMalloc", "allocating device memory");
  return data;
}

void raw_release(void* data) {
  check(cudaFree(data), "cudaFree", "releasing device memory");
}

void raw_release_ignoring_errors(void* data) noexcept {
  if (cudaFree(data) != cudaSuccess) cudaGetLastError();
}

void copy(void* dst, const void* src, size_t bytes, CopyKind kind) {
  const cudaMemcpyKind cuda_kind = kind == CopyKind::host_to_device   ? cudaMemcpyHostToDevice
                                   : kind == CopyKind::device_to_host ? cudaMemcpyDeviceToHost
                                                                      : cudaMemcpyDeviceToDevice;
  check(cudaMemcpy(dst, src, bytes, cuda_kind), "cudaMemcpy", "copying tensor data");
}

}  // namespace lethe::cuda
