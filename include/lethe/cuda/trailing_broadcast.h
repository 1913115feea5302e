// Recognises the broadcast the U-Net uses most (a per-(sample, channel) value against a feature
// map: (B, C, 1, 1) against (B, C, H, W)), for which the elementwise and reduction kernels have
// index-light fast paths.
#pragma once
#include <cstdint>

#include "lethe/core/tensor.h"

namespace lethe::cuda {

// When `small` equals `full` on its leading axes and is 1 on the rest (same rank, not equal), the
// number of elements of `full` per element of `small` (the product of full's trailing extents);
// 0 otherwise.
inline int64_t trailing_broadcast_extent(const Shape& small, const Shape& full) {
  if (small.size() != full.size() || small == full) return 0;
  size_t axis = 0;
  while (axis < full.size() && small[axis] == full[axis]) ++axis;
  int64_t extent = 1;
  for (; axis < full.size(); ++axis) {
    if (small[axis] != 1) return 0;
    extent *= full[axis];
  }
  return extent;
}

}  // namespace lethe::cuda
