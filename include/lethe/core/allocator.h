// Caching allocators, one per device. Freed blocks go to a per-size free list and are handed out
// again for the next request of the same rounded size, so a training loop that allocates the same
// shapes every step stops calling the system allocator after its first step.
#pragma once
#include <cstddef>

#include "lethe/core/dtype.h"

namespace lethe {

struct AllocatorStats {
  size_t bytes_in_use = 0;       // handed out and not yet returned
  size_t peak_bytes_in_use = 0;  // since start or the last reset_peak()
  size_t bytes_cached = 0;       // returned and kept for reuse
};

void* device_allocate(size_t bytes, Device device);  // 64-byte aligned, throws on failure
void device_release(void* data, size_t bytes, Device device);
AllocatorStats allocator_stats(Device device);
void allocator_reset_peak(Device device);
void allocator_empty_cache(Device device);  // frees every cached block

// Copies bytes between any two devices (host<->device transfers on the CUDA build).
void device_copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);

// Zeroes `bytes` bytes at `data` on `device`.
void device_fill_zero(void* data, size_t bytes, Device device);

bool cuda_available();  // a CUDA build that sees at least one usable GPU
// Throws a clear lethe::Error ("--device cuda: ...") unless tensors can live on `device`: a CUDA
// build that sees a GPU. Every cuda allocation checks this first, so no request crashes.
void require_device(Device device);

}  // namespace lethe
