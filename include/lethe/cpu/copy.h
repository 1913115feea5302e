// CPU block copies: the data movement behind concat, split and narrow (lethe/tt/copy.h).
#pragma once
#include <cstdint>

namespace lethe::cpu {

// Copies `count` blocks of `block_bytes`, the k-th from src + k * src_stride to
// dst + k * dst_stride (strides in bytes), in parallel over blocks when there is over 1 MiB.
void copy_blocks(char* dst, int64_t dst_stride, const char* src, int64_t src_stride,
                 int64_t block_bytes, int64_t count);

}  // namespace lethe::cpu
