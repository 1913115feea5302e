// Per-thread scratch buffers for the CPU kernels: buffer Slot of the calling thread, grown to at
// least `count` elements and reused by every later call, so steady-state steps never allocate.
// A kernel that needs several buffers at once takes distinct slots.
#pragma once
#include <cstdint>
#include <vector>

namespace lethe::cpu {

template <class T, int Slot>
T* thread_scratch(int64_t count) {
  thread_local std::vector<T> buffer;
  if (static_cast<int64_t>(buffer.size()) < count) buffer.resize(count);
  return buffer.data();
}

}  // namespace lethe::cpu
