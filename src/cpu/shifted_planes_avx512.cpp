// AVX-512 same_size_im2col of cpu/shifted_planes.h. A tap moves the flattened plane by
// dh * W + dw, so each 16 outputs are one masked load at that offset: the mask keeps the lanes
// whose source pixel lies in the plane (no row crossed at the left or right edge, none above or
// below). The masks depend only on the geometry and are kept per thread until it changes; every
// store but the last of a row is a full one. Compile with -mavx512f.
#include <immintrin.h>

#include <vector>

#include "cpu/shifted_planes.h"

namespace lethe::cpu::detail {
namespace {

constexpr int64_t kLanes = 16;

// The masks of one geometry: masks[tap * vectors + j] holds the lanes i of output vector j
// (pixel p = 16 j + i) whose tap source (u + dh, v + dw) lies in the plane.
struct TapMasks {
  int64_t height = -1, width = -1, kernel_h = -1, kernel_w = -1, padding = -1;
  std::vector<__mmask16> masks;

  bool matches(const ConvGeometry& g) const {
    return height == g.height && width == g.width && kernel_h == g.kernel_h &&
           kernel_w == g.kernel_w && padding == g.padding;
  }

  void build(const ConvGeometry& g, int64_t vectors) {
    height = g.height, width = g.width, kernel_h = g.kernel_h, kernel_w = g.kernel_w;
    padding = g.padding;
    const int64_t pixels = g.height * g.width;
    masks.assign(g.kernel_h * g.kernel_w * vectors, 0);
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        __mmask16* tap = masks.data() + (kh * g.kernel_w + kw) * vectors;
        for (int64_t p = 0; p < pixels; ++p) {
          const int64_t u = p / g.width + kh - g.padding, v = p % g.width + kw - g.padding;
          if (u >= 0 && u < g.height && v >= 0 && v < g.width) {
            tap[p / kLanes] = static_cast<__mmask16>(tap[p / kLanes] | (1u << (p % kLanes)));
          }
        }
      }
    }
  }
};

}  // namespace

void same_size_im2col_avx512(const ConvGeometry& g, const float* image, float* col, int64_t ld) {
  const int64_t pixels = g.height * g.width, vectors = (pixels + kLanes - 1) / kLanes;
  const int64_t taps = g.kernel_h * g.kernel_w;
  thread_local TapMasks tap_masks_of_geometry;  // rebuilt when the geometry changes
  if (!tap_masks_of_geometry.matches(g)) tap_masks_of_geometry.build(g, vectors);
  const std::vector<__mmask16>& masks = tap_masks_of_geometry.masks;
  const int64_t tail = pixels - (vectors - 1) * kLanes;
  const __mmask16 tail_store = static_cast<__mmask16>((1u << tail) - 1u);
  for (int64_t c = 0; c < g.in_channels; ++c) {
    const float* plane = image + c * pixels;
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const int64_t tap = kh * g.kernel_w + kw;
        const int64_t shift = (kh - g.padding) * g.width + (kw - g.padding);
        const __mmask16* tap_masks = masks.data() + tap * vectors;
        float* row = col + (c * taps + tap) * ld;
        // Only the lanes a mask keeps are read: they lie in the plane.
        const float* source = plane + shift;
        for (int64_t j = 0; j + 1 < vectors; ++j) {
          _mm512_storeu_ps(row + j * kLanes,
                           _mm512_maskz_loadu_ps(tap_masks[j], source + j * kLanes));
        }
        const int64_t j = vectors - 1;
        _mm512_mask_storeu_ps(row + j * kLanes, tail_store,
                              _mm512_maskz_loadu_ps(tap_masks[j], source + j * kLanes));
      }
    }
  }
}

}  // namespace lethe::cpu::detail
