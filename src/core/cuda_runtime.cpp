#include "lethe/core/cuda_runtime.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "lethe/core/cuda_check.h"
#include "lethe/core/error.h"

namespace lethe::cuda {
namespace {

constexpr size_t kStagingBytes = size_t{8} << 20;  // per chunk of a host <-> device copy

// A pinned host buffer reused by every transfer; the mutex serialises its users.
struct PinnedStaging {
  std::mutex mutex;
  void* data = nullptr;
};

PinnedStaging& staging() {
  static auto* buffer = new PinnedStaging;  // never freed: copies may run during exit
  if (buffer->data == nullptr) {
    LETHE_CUDA_CHECK(cudaMallocHost(&buffer->data, kStagingBytes),
                     "allocating the pinned staging buffer for host <-> device copies");
  }
  return *buffer;
}

// Copies through the staging buffer chunk by chunk; each chunk's transfer finishes before the
// buffer is reused.
void staged_copy(void* dst, const void* src, size_t bytes, bool to_device) {
  PinnedStaging& buffer = staging();
  std::lock_guard<std::mutex> lock(buffer.mutex);
  for (size_t done = 0; done < bytes; done += kStagingBytes) {
    const size_t chunk = std::min(kStagingBytes, bytes - done);
    if (to_device) {
      std::memcpy(buffer.data, static_cast<const char*>(src) + done, chunk);
      LETHE_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(dst) + done, buffer.data, chunk,
                                       cudaMemcpyHostToDevice, 0),
                       "copying tensor data to the device");
      LETHE_CUDA_CHECK(cudaStreamSynchronize(0), "waiting for a copy to the device");
    } else {
      LETHE_CUDA_CHECK(cudaMemcpyAsync(buffer.data, static_cast<const char*>(src) + done, chunk,
                                       cudaMemcpyDeviceToHost, 0),
                       "copying tensor data to the host");
      LETHE_CUDA_CHECK(cudaStreamSynchronize(0), "waiting for a copy to the host");
      std::memcpy(static_cast<char*>(dst) + done, buffer.data, chunk);
    }
  }
}

}  // namespace

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error of a missing driver
    return 0;
  }
  return count;
}

void require_device() {
  static const int visible = device_count();
  LETHE_CHECK(visible > 0, "cuda: no CUDA device is visible (cudaGetDeviceCount returned 0)");
}

void* raw_allocate(size_t bytes) {
  require_device();
  void* data = nullptr;
  LETHE_CUDA_CHECK(cudaMalloc(&data, bytes), "allocating device memory");
  return data;
}

void raw_release(void* data) {
  LETHE_CUDA_CHECK(cudaFree(data), "releasing device memory");
}

void raw_release_ignoring_errors(void* data) noexcept {
  if (cudaFree(data) != cudaSuccess) cudaGetLastError();
}

void copy(void* dst, const void* src, size_t bytes, CopyKind kind) {
  if (bytes == 0) return;
  if (kind == CopyKind::device_to_device) {
    LETHE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, 0),
                     "copying tensor data on the device");
    return;
  }
  staged_copy(dst, src, bytes, kind == CopyKind::host_to_device);
}

void fill_zero(void* data, size_t bytes) {
  LETHE_CUDA_CHECK(cudaMemsetAsync(data, 0, bytes, 0), "zeroing device memory");
}

}  // namespace lethe::cuda
