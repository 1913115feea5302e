// Host-side CUDA runtime plumbing used by the core (only compiled in a CUDA build). Every call is
// checked; failures throw lethe::Error naming the call and its meaning.
#pragma once
#include <cstddef>

namespace lethe::cuda {

int device_count();  // 0 when the driver or a GPU is missing (never throws)
void* raw_allocate(size_t bytes);
void raw_release(void* data);
// For destructors that may run after the CUDA runtime has shut down: failures are ignored.
void raw_release_ignoring_errors(void* data) noexcept;
enum class CopyKind { host_to_device, device_to_host, device_to_device };
void copy(void* dst, const void* src, size_t bytes, CopyKind kind);

}  // namespace lethe::cuda
