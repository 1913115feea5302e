#include "lethe/tt/copy.h"

#include "dispatch.h"
#include "lethe/cpu/copy.h"
#include "lethe/cuda/copy.h"

namespace lethe::tt {

void copy_blocks(Tensor& dst, int64_t dst_offset, int64_t dst_stride, const Tensor& src,
                 int64_t src_offset, int64_t src_stride, int64_t block_bytes, int64_t count) {
  char* to = static_cast<char*>(dst.raw_data()) + dst_offset;
  const char* from = static_cast<const char*>(src.raw_data()) + src_offset;
  if (on_cuda(dst)) {
    if constexpr (kCudaBuild) {  // cuda data is f32: every offset and stride is a multiple of 4
      constexpr int64_t kFloat = sizeof(float);
      cuda::copy_blocks<kNative>(reinterpret_cast<float*>(to), dst_stride / kFloat,
                                 reinterpret_cast<const float*>(from), src_stride / kFloat,
                                 block_bytes / kFloat, count);
    }
    return;
  }
  cpu::copy_blocks(to, dst_stride, from, src_stride, block_bytes, count);
}

}  // namespace lethe::tt
