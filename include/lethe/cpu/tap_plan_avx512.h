// The masked shifted loads of the AVX-512 plane kernels (cpu/shifted_planes_avx512.cpp,
// cpu/thin_conv_avx512.cpp): per tap of a same-size stride-1 or phase-shiftable convolution, the
// lanes of each 16-pixel vector whose source lies in the plane. Include only from files compiled
// with -mavx512f.
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "lethe/cpu/shifted_planes.h"
#include "lethe/cpu/vector_avx512.h"

namespace lethe::cpu::detail {

// The taps of one geometry over its OH x OW source planes, `plane_stride` floats apart (at stride
// 2 one vector more than a plane, so that a full store of a plane's last row stays in the gap).
// For tap t: source_masks[t * vectors + j] holds the lanes i of column vector j (pixel
// p = 16 j + i) whose source pixel lies in the plane, target_masks the lanes q of plane vector j
// that a column entry lands on, phase[t] the start of its plane and shift[t] = dh * OW + dw.
struct TapPlan {
  ConvGeometry geometry{};
  int64_t pixels = 0, vectors = 0, plane_stride = 0;
  std::vector<__mmask16> source_masks, target_masks;
  std::vector<int64_t> phase, shift;

  bool matches(const ConvGeometry& g) const {
    return !phase.empty() && geometry.height == g.height && geometry.width == g.width &&
           geometry.kernel_h == g.kernel_h && geometry.kernel_w == g.kernel_w &&
           geometry.padding == g.padding && geometry.stride == g.stride;
  }

  void build(const ConvGeometry& g) {
    geometry = g;
    const int64_t oh_count = g.out_h(), ow_count = g.out_w(), taps = g.kernel_h * g.kernel_w;
    pixels = oh_count * ow_count;
    vectors = (pixels + kLanes - 1) / kLanes;
    plane_stride = g.stride == 1 ? pixels : pixels + kLanes;
    source_masks.assign(taps * vectors, 0);
    target_masks.assign(taps * vectors, 0);
    phase.assign(taps, 0);
    shift.assign(taps, 0);
    const auto inside = [&](int64_t u, int64_t v) {
      return u >= 0 && u < oh_count && v >= 0 && v < ow_count;
    };
    const auto set_lane = [](__mmask16* masks, int64_t p) {
      masks[p / kLanes] = static_cast<__mmask16>(masks[p / kLanes] | (1u << (p % kLanes)));
    };
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      const PhaseTap th = phase_tap(g, kh);
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const PhaseTap tw = phase_tap(g, kw);
        const int64_t tap = kh * g.kernel_w + kw;
        phase[tap] = (th.residue * g.stride + tw.residue) * plane_stride;
        shift[tap] = th.shift * ow_count + tw.shift;
        for (int64_t p = 0; p < pixels; ++p) {
          const int64_t u = p / ow_count, v = p % ow_count;
          if (inside(u + th.shift, v + tw.shift)) set_lane(source_masks.data() + tap * vectors, p);
          if (inside(u - th.shift, v - tw.shift)) set_lane(target_masks.data() + tap * vectors, p);
        }
      }
    }
  }
};

inline const TapPlan& tap_plan_of(const ConvGeometry& g) {
  thread_local TapPlan plan;  // rebuilt when the geometry changes
  if (!plan.matches(g)) plan.build(g);
  return plan;
}

}  // namespace lethe::cpu::detail
