#include "cpu/shifted_planes.h"

#include <cstring>

#include "cpu/peak.h"

namespace lethe::cpu {

void same_size_im2col(const ConvGeometry& g, const float* image, float* col, int64_t ld) {
  static const auto best = std::strcmp(cpu_isa_name(), "avx512") == 0
                               ? &detail::same_size_im2col_avx512
                               : &same_size_im2col_portable<float>;
  best(g, image, col, ld);
}

}  // namespace lethe::cpu
