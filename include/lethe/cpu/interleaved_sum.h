// Sums of long runs of values in kLanes interleaved partial sums: a fixed order (the same result
// on every call and thread count) that the compiler vectorises, where one running sum would wait
// on each add.
#pragma once
#include <cstdint>

namespace lethe::cpu {

// Sum of n values, accumulated in Acc.
template <class Acc, class T>
Acc interleaved_sum(const T* values, int64_t n) {
  constexpr int kLanes = 16;
  Acc partial[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int lane = 0; lane < kLanes; ++lane) partial[lane] += values[i + lane];
  }
  Acc total = Acc(0);
  for (; i < n; ++i) total += values[i];
  for (const Acc lane : partial) total += lane;
  return total;
}

}  // namespace lethe::cpu
