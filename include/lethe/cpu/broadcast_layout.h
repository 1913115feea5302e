// How an operand of a broadcast lines up with the broadcast shape, padded at the front to
// kMaxRank axes: shared by the broadcast elementwise ops (cpu/elementwise.cpp) and the sums back
// to an operand's shape (cpu/reduce.cpp).
#pragma once
#include <array>
#include <cstdint>

#include "lethe/core/tensor.h"

namespace lethe::cpu {

// Strides (in elements) of `shape` aligned to the trailing axes of `out_shape`, 0 where the
// operand broadcasts. Padded at the front to kMaxRank axes.
inline std::array<int64_t, kMaxRank> broadcast_strides(const Shape& shape, const Shape& out_shape) {
  std::array<int64_t, kMaxRank> strides{};
  int64_t stride = 1;
  const int offset = kMaxRank - static_cast<int>(out_shape.size());
  const int shift = static_cast<int>(out_shape.size() - shape.size());
  for (int axis = static_cast<int>(shape.size()) - 1; axis >= 0; --axis) {
    strides[offset + shift + axis] = shape[axis] == 1 ? 0 : stride;
    stride *= shape[axis];
  }
  return strides;
}

inline std::array<int64_t, kMaxRank> padded_extents(const Shape& shape) {
  std::array<int64_t, kMaxRank> extents;
  extents.fill(1);
  const int offset = kMaxRank - static_cast<int>(shape.size());
  for (size_t axis = 0; axis < shape.size(); ++axis) extents[offset + axis] = shape[axis];
  return extents;
}

// Elements below which an op stays on one thread (~0.1 ms of memory traffic): on a busy machine
// every OpenMP fork/join can wait a scheduler time slice for its second thread.
constexpr int64_t kParallelThreshold = 1 << 19;

}  // namespace lethe::cpu
