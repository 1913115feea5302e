#include "cpu/shifted_planes.h"

#include <cstring>

#include "cpu/peak.h"

namespace lethe::cpu {
namespace {

bool has_avx512() {
  static const bool avx512 = std::strcmp(cpu_isa_name(), "avx512") == 0;
  return avx512;
}

}  // namespace

void shifted_im2col(const ConvGeometry& g, const float* image, float* col, int64_t ld) {
  if (has_avx512()) {
    detail::shifted_im2col_avx512(g, image, col, ld);
  } else {
    shifted_im2col_portable(g, image, col, ld);
  }
}

void shifted_col2im(const ConvGeometry& g, const float* col, int64_t ld, float* image) {
  if (has_avx512()) {
    detail::shifted_col2im_avx512(g, col, ld, image);
  } else {
    shifted_col2im_portable(g, col, ld, image);
  }
}

void phase_gradient_rows(const ConvGeometry& g, const float* grad_y, float* rows, int64_t ld) {
  if (has_avx512()) {
    detail::phase_gradient_rows_avx512(g, grad_y, rows, ld);
  } else {
    phase_gradient_rows_portable(g, grad_y, rows, ld);
  }
}

void merge_phases_fast(const ConvGeometry& g, const float* phases, int64_t phase_stride,
                       float* plane) {
  if (has_avx512()) {
    detail::merge_phases_avx512(g, phases, phase_stride, plane);
  } else {
    merge_phases(g, phases, phase_stride, plane);
  }
}

}  // namespace lethe::cpu
