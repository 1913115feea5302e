#include "lethe/cpu/shifted_planes.h"

#include "lethe/cpu/isa.h"

namespace lethe::cpu {

void shifted_im2col(const ConvGeometry& g, const float* image, float* col, int64_t ld) {
  if (cpu_runs_avx512()) {
    detail::shifted_im2col_avx512(g, image, col, ld);
  } else {
    shifted_im2col_portable(g, image, col, ld);
  }
}

void phase_gradient_rows(const ConvGeometry& g, const std::vector<int64_t>& order,
                         const float* grad_y, float* rows, int64_t ld) {
  if (cpu_runs_avx512()) {
    detail::phase_gradient_rows_avx512(g, order, grad_y, rows, ld);
  } else {
    phase_gradient_rows_portable(g, order, grad_y, rows, ld);
  }
}

void merge_phases_fast(const ConvGeometry& g, const float* phases, int64_t phase_stride,
                       float* plane) {
  if (cpu_runs_avx512()) {
    detail::merge_phases_avx512(g, phases, phase_stride, plane);
  } else {
    merge_phases(g, phases, phase_stride, plane);
  }
}

}  // namespace lethe::cpu
