#include "lethe/cpu/thin_conv.h"

#include "lethe/cpu/isa.h"

namespace lethe::cpu {
namespace {

bool is_thin_kernel_shape(const ConvGeometry& g) {
  return cpu_runs_avx512() && is_same_size_stride1(g) && g.kernel_h == 3 && g.kernel_w == 3;
}

}  // namespace

bool thin_conv_applies(const ConvGeometry& g) {
  return is_thin_kernel_shape(g) &&
         (g.in_channels <= kMaxThinChannels || g.out_channels <= kMaxThinChannels);
}

void thin_conv2d_forward(const ConvGeometry& g, const float* x, const float* weight,
                         const float* bias, float* y) {
  const int64_t in_image = g.in_channels * g.height * g.width;
  const int64_t out_image = g.out_channels * g.height * g.width;
#pragma omp parallel for if (g.batch > 1) schedule(dynamic)
  for (int64_t b = 0; b < g.batch; ++b) {
    detail::thin_forward_image_avx512(g, x + b * in_image, weight, bias, y + b * out_image);
  }
}

}  // namespace lethe::cpu
