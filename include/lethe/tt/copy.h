// Strided block copies within and between tensors (lethe/cpu/copy.h, lethe/cuda/copy.h): the
// data movement behind concat, split and narrow.
#pragma once
#include <cstdint>

#include "lethe/core/tensor.h"

namespace lethe::tt {

// Copies `count` blocks of `block_bytes`, the k-th from src's bytes at src_offset + k * src_stride
// to dst's at dst_offset + k * dst_stride. dst and src share a dtype and a device; offsets and
// strides are in bytes.
void copy_blocks(Tensor& dst, int64_t dst_offset, int64_t dst_stride, const Tensor& src,
                 int64_t src_offset, int64_t src_stride, int64_t block_bytes, int64_t count);

}  // namespace lethe::tt
