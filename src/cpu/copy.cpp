#include "lethe/cpu/copy.h"

#include <cstring>

namespace lethe::cpu {

void copy_blocks(char* dst, int64_t dst_stride, const char* src, int64_t src_stride,
                 int64_t block_bytes, int64_t count) {
#pragma omp parallel for if (count * block_bytes > (1 << 20)) schedule(static)
  for (int64_t k = 0; k < count; ++k) {
    std::memcpy(dst + k * dst_stride, src + k * src_stride, static_cast<size_t>(block_bytes));
  }
}

}  // namespace lethe::cpu
