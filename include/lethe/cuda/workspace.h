// Grow-only scratch memory on a kernel target: device memory for native launches, host memory for
// emulated ones. A launcher keeps one Workspace per purpose (a function-local static) and asks it
// for the bytes each call needs; the memory is reused until a larger request replaces it. Native
// releases go through cudaFree, which waits for the device, so work still reading the old buffer
// finishes first.
#pragma once
#include <cstddef>
#include <cstdlib>

#include "lethe/core/cuda_runtime.h"
#include "lethe/core/error.h"
#include "lethe/cuda/target.h"

namespace lethe::cuda {

template <Target target>
class Workspace {
 public:
  Workspace() = default;
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace() {
    if constexpr (target == Target::native) {
      raw_release_ignoring_errors(data_);
    } else {
      std::free(data_);
    }
  }

  // At least `bytes` bytes (16-byte aligned), valid until the next reserve() that grows them.
  void* reserve(size_t bytes) {
    if (bytes <= capacity_) return data_;
    release();
    if constexpr (target == Target::native) {
      data_ = raw_allocate(bytes);
    } else {
      data_ = std::aligned_alloc(16, (bytes + 15) / 16 * 16);
      LETHE_CHECK(data_ != nullptr, "workspace: cannot allocate ", bytes, " host bytes");
    }
    capacity_ = bytes;
    return data_;
  }

 private:
  void release() {
    if (data_ == nullptr) return;
    if constexpr (target == Target::native) {
      raw_release(data_);
    } else {
      std::free(data_);
    }
    data_ = nullptr;
    capacity_ = 0;
  }

  void* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace lethe::cuda
