// AVX-512 shifted_im2col, phase_gradient_rows and merge_phases of cpu/shifted_planes.h for
// stride 1 and 2. A tap reads its source plane (the channel at stride 1, one of its four phase
// planes at stride 2) moved by dh * OW + dw, so each 16 outputs are one masked load at that
// offset: the mask keeps the lanes whose source pixel lies in the plane (no row crossed at the
// left or right edge, none above or below). The masks depend only on the geometry and are kept
// per thread until it changes (tap_plan_avx512.h). Phase planes are split and merged 32 image
// pixels at a time with lane permutes. Compile with -mavx512f.
#include <immintrin.h>

#include <vector>

#include "lethe/cpu/prefetch.h"
#include "lethe/cpu/shifted_planes.h"
#include "lethe/cpu/tap_plan_avx512.h"

namespace lethe::cpu::detail {
namespace {

// Stride 2: the 32 floats a:b of two vectors, even lanes or odd lanes, and back.
const __m512i kEvenLanes =
    _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
const __m512i kOddLanes =
    _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
const __m512i kInterleaveLow =
    _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
const __m512i kInterleaveHigh =
    _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

// plane (H, W) -> the four phase planes at plan.plane_stride (split_phases). Rows are written in
// order with full stores: what a store puts past its row is overwritten by the next row or falls
// in the gap after the plane.
void split_phases_stride2(const TapPlan& plan, const float* image_plane, float* phases) {
  const ConvGeometry& g = plan.geometry;
  const int64_t oh_count = g.out_h(), ow_count = g.out_w();
  for (int64_t a = 0; a < oh_count; ++a) {
    for (int64_t rh = 0; rh < 2; ++rh) {
      const int64_t ih = 2 * a + rh;
      float* even_row = phases + rh * 2 * plan.plane_stride + a * ow_count;
      float* odd_row = even_row + plan.plane_stride;
      const float* in = image_plane + ih * g.width;
      for (int64_t b = 0; b < ow_count; b += kLanes) {
        const int64_t left = ih < g.height ? g.width - 2 * b : 0;  // image pixels left in the row
        const __m512 low = _mm512_maskz_loadu_ps(first_lanes(left), in + 2 * b);
        const __m512 high = _mm512_maskz_loadu_ps(first_lanes(left - kLanes), in + 2 * b + kLanes);
        _mm512_storeu_ps(even_row + b, _mm512_permutex2var_ps(low, kEvenLanes, high));
        _mm512_storeu_ps(odd_row + b, _mm512_permutex2var_ps(low, kOddLanes, high));
      }
    }
  }
}

// Stores the first `count` lanes of v at out. Rows are written in order, so where the whole
// vector lies in the plane (before plane_end) a full store is used: the lanes past the row land in
// the next row, which is written after it. A masked store of a short unaligned row costs several
// full ones on this CPU.
void store_row_part(float* out, int64_t count, const float* plane_end, __m512 v) {
  if (count <= 0) return;
  if (out + kLanes <= plane_end) {
    _mm512_storeu_ps(out, v);
  } else {
    _mm512_mask_storeu_ps(out, first_lanes(count), v);
  }
}

// The adjoint: the four phase planes, phase_stride apart -> plane (H, W), each pixel its phase
// entry.
void merge_phases_stride2(const ConvGeometry& g, const float* phases, int64_t phase_stride,
                          float* image_plane) {
  const int64_t ow_count = g.out_w();
  const float* plane_end = image_plane + g.height * g.width;
  const __m512i interleave_low = kInterleaveLow, interleave_high = kInterleaveHigh;
  for (int64_t ih = 0; ih < g.height; ++ih) {
    const int64_t a = ih / 2, rh = ih % 2;
    const float* even_row = phases + rh * 2 * phase_stride + a * ow_count;
    const float* odd_row = even_row + phase_stride;
    float* out = image_plane + ih * g.width;
    for (int64_t b = 0; b < ow_count; b += kLanes) {
      const __m512 evens = _mm512_loadu_ps(even_row + b), odds = _mm512_loadu_ps(odd_row + b);
      const int64_t left = g.width - 2 * b;
      store_row_part(out + 2 * b, std::min(left, kLanes), plane_end,
                     _mm512_permutex2var_ps(evens, interleave_low, odds));
      store_row_part(out + 2 * b + kLanes, left - kLanes, plane_end,
                     _mm512_permutex2var_ps(evens, interleave_high, odds));
    }
  }
}

// Strides this file runs: 1, and 2 where every image pixel has a phase entry.
bool runs_here(const ConvGeometry& g) {
  return g.stride == 1 || (g.stride == 2 && 2 * g.out_h() >= g.height && 2 * g.out_w() >= g.width);
}

}  // namespace

void shifted_im2col_avx512(const ConvGeometry& g, const float* image, float* col, int64_t ld) {
  if (!runs_here(g)) return shifted_im2col_portable(g, image, col, ld);
  const TapPlan& plan = tap_plan_of(g);
  const int64_t vectors = plan.vectors, taps = g.kernel_h * g.kernel_w;
  const __mmask16 tail_store = first_lanes(plan.pixels - (vectors - 1) * kLanes);
  // Phase planes plus one vector, as split_phases_stride2 overruns the last plane's last row.
  float* phases = g.stride > 1 ? thread_scratch<float, 2>(4 * plan.plane_stride + kLanes) : nullptr;
  for (int64_t c = 0; c < g.in_channels; ++c) {
    const float* channel = image + c * g.height * g.width;
    if (c + 1 < g.in_channels) prefetch_floats(channel + g.height * g.width, g.height * g.width);
    if (phases != nullptr) split_phases_stride2(plan, channel, phases);
    const float* planes = phases != nullptr ? phases : channel;
    for (int64_t tap = 0; tap < taps; ++tap) {
      const __mmask16* masks = plan.source_masks.data() + tap * vectors;
      float* row = col + (c * taps + tap) * ld;
      // Only the lanes a mask keeps are read: they lie in the source plane.
      const float* source = planes + plan.phase[tap] + plan.shift[tap];
      for (int64_t j = 0; j + 1 < vectors; ++j) {
        _mm512_storeu_ps(row + j * kLanes, _mm512_maskz_loadu_ps(masks[j], source + j * kLanes));
      }
      const int64_t j = vectors - 1;
      _mm512_mask_storeu_ps(row + j * kLanes, tail_store,
                            _mm512_maskz_loadu_ps(masks[j], source + j * kLanes));
    }
  }
}

void phase_gradient_rows_avx512(const ConvGeometry& g, const std::vector<int64_t>& order,
                                const float* grad_y, float* rows, int64_t ld) {
  if (!runs_here(g) || g.stride == 1) {
    return phase_gradient_rows_portable(g, order, grad_y, rows, ld);
  }
  const TapPlan& plan = tap_plan_of(g);
  const int64_t vectors = plan.vectors;
  const __mmask16 tail_store = first_lanes(plan.pixels - (vectors - 1) * kLanes);
  for (int64_t k = 0; k < static_cast<int64_t>(order.size()); ++k) {
    const int64_t tap = order[k];
    const __mmask16* masks = plan.target_masks.data() + tap * vectors;
    for (int64_t co = 0; co < g.out_channels; ++co) {
      // Plane pixel q takes grad_y pixel q - shift, where the tap read it.
      const float* source = grad_y + co * plan.pixels - plan.shift[tap];
      float* row = rows + (k * g.out_channels + co) * ld;
      for (int64_t j = 0; j + 1 < vectors; ++j) {
        _mm512_storeu_ps(row + j * kLanes, _mm512_maskz_loadu_ps(masks[j], source + j * kLanes));
      }
      const int64_t j = vectors - 1;
      _mm512_mask_storeu_ps(row + j * kLanes, tail_store,
                            _mm512_maskz_loadu_ps(masks[j], source + j * kLanes));
    }
  }
}

void merge_phases_avx512(const ConvGeometry& g, const float* phases, int64_t phase_stride,
                         float* plane) {
  if (!runs_here(g) || g.stride == 1) return merge_phases(g, phases, phase_stride, plane);
  merge_phases_stride2(g, phases, phase_stride, plane);
}

}  // namespace lethe::cpu::detail
