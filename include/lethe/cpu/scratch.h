// Per-thread scratch buffers for the CPU kernels: buffer Slot of the calling thread, grown to at
// least `count` elements and reused by every later call, so steady-state steps never allocate.
// A kernel that needs several buffers at once takes distinct slots. The buffers start on a cache
// line, so the AVX-512 kernels' full-vector loads from them never straddle two lines (a 16-byte
// aligned `moved` buffer made the thin weight gradient's loads split three times in four).
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace lethe::cpu {

inline constexpr std::size_t kCacheLineBytes = 64;

template <class T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <class U>
  explicit CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{kCacheLineBytes}));
  }
  void deallocate(T* data, std::size_t) {
    ::operator delete (data, std::align_val_t{kCacheLineBytes});
  }
  friend bool operator==(const CacheLineAllocator&, const CacheLineAllocator&) { return true; }
  friend bool operator!=(const CacheLineAllocator&, const CacheLineAllocator&) { return false; }
};

template <class T, int Slot>
T* thread_scratch(int64_t count) {
  thread_local std::vector<T, CacheLineAllocator<T>> buffer;
  if (static_cast<int64_t>(buffer.size()) < count) buffer.resize(count);
  return buffer.data();
}

}  // namespace lethe::cpu
