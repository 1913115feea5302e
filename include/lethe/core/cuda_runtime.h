// Host-side CUDA runtime plumbing used by the core (only compiled in a CUDA build). Every call is
// checked; failures throw lethe::Error naming the call and its meaning.
//
// Streams: Lethe uses one stream per process, the legacy default stream (stream 0) of device 0.
// Every kernel launch (simt::launch), copy below and cuBLAS / cuDNN call is issued on it, so work
// runs in issue order without events, and a copy to the host waits for every kernel before it.
#pragma once
#include <cstddef>

namespace lethe::cuda {

int device_count();  // 0 when the driver or a GPU is missing (never throws)
// Throws the --device cuda error unless a GPU is visible; checks once, then remembers.
void require_device();
void* raw_allocate(size_t bytes);
void raw_release(void* data);
// For destructors that may run after the CUDA runtime has shut down: failures are ignored.
void raw_release_ignoring_errors(void* data) noexcept;
enum class CopyKind { host_to_device, device_to_host, device_to_device };
// Host <-> device copies of pageable host memory go through a pinned staging buffer in chunks;
// every copy has finished when this returns.
void copy(void* dst, const void* src, size_t bytes, CopyKind kind);
void fill_zero(void* data, size_t bytes);  // device memory

}  // namespace lethe::cuda
