// Software prefetch for the CPU kernels that read or write runs of memory in an order the hardware
// prefetcher does not follow far enough ahead (planes read row by row, two rows apart, or a few
// KB at a time): the cache lines of a run asked for before they are needed. A hint only: any
// address may be given, nothing faults.
#pragma once
#include <cstdint>

namespace lethe::cpu {

inline constexpr int64_t kFloatsPerLine = 16;

// Asks for the lines of `count` floats from `first`, to read.
inline void prefetch_floats(const float* first, int64_t count) {
  for (int64_t i = 0; i < count; i += kFloatsPerLine) __builtin_prefetch(first + i, 0);
}

// The same, to write: the lines arrive owned, so the stores do not wait for them.
inline void prefetch_floats_for_writing(float* first, int64_t count) {
  for (int64_t i = 0; i < count; i += kFloatsPerLine) __builtin_prefetch(first + i, 1);
}

}  // namespace lethe::cpu
