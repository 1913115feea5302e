#include "lethe/core/allocator.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "lethe/core/error.h"
#ifdef LETHE_WITH_CUDA
#include "lethe/core/cuda_runtime.h"
#endif

namespace lethe {
namespace {

constexpr size_t kAlignment = 64;

// Small blocks round to 256 bytes, large ones to 64 KiB, so recurring shapes hit the same list.
size_t rounded_size(size_t bytes) {
  const size_t granule = bytes < (1u << 20) ? 256 : (1u << 16);
  return ((bytes + granule - 1) / granule) * granule;
}

void* host_allocate(size_t bytes) {
  void* data = std::aligned_alloc(kAlignment, bytes);
  if (data == nullptr) fail("out of host memory: could not allocate ", bytes, " bytes");
  return data;
}

constexpr const char* kNoCudaSupport =
    "cuda: this build of Lethe has no CUDA support (rebuild with a CUDA toolkit and "
    "-DLETHE_CUDA=ON)";

void* cuda_raw_allocate(size_t bytes) {
#ifdef LETHE_WITH_CUDA
  return cuda::raw_allocate(bytes);
#else
  fail(kNoCudaSupport, ": cannot allocate ", bytes, " bytes");
#endif
}

void cuda_raw_release(void* data) {
#ifdef LETHE_WITH_CUDA
  cuda::raw_release(data);
#else
  (void)data;
#endif
}

class CachingAllocator {
 public:
  CachingAllocator(void* (*allocate)(size_t), void (*release)(void*))
      : allocate_(allocate), release_(release) {}

  void* take(size_t bytes) {
    const size_t size = rounded_size(bytes == 0 ? 1 : bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    void* data = nullptr;
    auto& list = free_lists_[size];
    if (!list.empty()) {
      data = list.back();
      list.pop_back();
      stats_.bytes_cached -= size;
    } else {
      data = allocate_(size);
    }
    stats_.bytes_in_use += size;
    if (stats_.bytes_in_use > stats_.peak_bytes_in_use) {
      stats_.peak_bytes_in_use = stats_.bytes_in_use;
    }
    return data;
  }

  void give_back(void* data, size_t bytes) {
    const size_t size = rounded_size(bytes == 0 ? 1 : bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    free_lists_[size].push_back(data);
    stats_.bytes_in_use -= size;
    stats_.bytes_cached += size;
  }

  AllocatorStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  void reset_peak() {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.peak_bytes_in_use = stats_.bytes_in_use;
  }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [size, list] : free_lists_) {
      for (void* data : list) release_(data);
      list.clear();
    }
    stats_.bytes_cached = 0;
  }

 private:
  void* (*allocate_)(size_t);
  void (*release_)(void*);
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_lists_;
  AllocatorStats stats_;
};

CachingAllocator& allocator_for(Device device) {
  // Never destroyed: tensors held by static objects may be released during exit.
  static auto* host = new CachingAllocator(host_allocate, std::free);
  static auto* gpu = new CachingAllocator(cuda_raw_allocate, cuda_raw_release);
  return device == Device::cpu ? *host : *gpu;
}

}  // namespace

void* device_allocate(size_t bytes, Device device) {
  return allocator_for(device).take(bytes);
}

void device_release(void* data, size_t bytes, Device device) {
  allocator_for(device).give_back(data, bytes);
}

AllocatorStats allocator_stats(Device device) {
  return allocator_for(device).stats();
}
void allocator_reset_peak(Device device) {
  allocator_for(device).reset_peak();
}
void allocator_empty_cache(Device device) {
  allocator_for(device).empty_cache();
}

void device_copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (dst_device == Device::cpu && src_device == Device::cpu) {
    std::memcpy(dst, src, bytes);
    return;
  }
#ifdef LETHE_WITH_CUDA
  const auto kind = src_device == Device::cpu   ? cuda::CopyKind::host_to_device
                    : dst_device == Device::cpu ? cuda::CopyKind::device_to_host
                                                : cuda::CopyKind::device_to_device;
  cuda::copy(dst, src, bytes, kind);
#else
  fail(kNoCudaSupport, ": cannot copy tensor data to or from cuda");
#endif
}

void device_fill_zero(void* data, size_t bytes, Device device) {
  if (bytes == 0) return;
  if (device == Device::cpu) {
    std::memset(data, 0, bytes);
    return;
  }
#ifdef LETHE_WITH_CUDA
  cuda::fill_zero(data, bytes);
#else
  fail(kNoCudaSupport, ": cannot fill cuda memory");
#endif
}

bool cuda_available() {
#ifdef LETHE_WITH_CUDA
  return cuda::device_count() > 0;
#else
  return false;
#endif
}

void require_device(Device device) {
  if (device == Device::cpu) return;
#ifdef LETHE_WITH_CUDA
  cuda::require_device();
#else
  fail(kNoCudaSupport);
#endif
}

}  // namespace lethe
