// Planes moved by a tap offset, zero where the tap falls outside them, and the adjoint: the rows
// of im2col / col2im for same-size stride-1 convolutions and for the phase planes of strided ones
// (cpu/conv.cpp).
#pragma once
#include <algorithm>
#include <cstdint>

#include "cpu/conv.h"

namespace lethe::cpu {

// For u < height, v < width: row[u * width + v] = plane[(u + dh) * width + v + dw] when
// 0 <= u + dh < height and 0 <= v + dw < width, else 0.
template <class T>
void shift_plane(const T* plane, int64_t height, int64_t width, int64_t dh, int64_t dw, T* row) {
  const int64_t first = std::clamp<int64_t>(-dw, 0, width);
  const int64_t last = std::clamp<int64_t>(width - dw, first, width);
  for (int64_t u = 0; u < height; ++u) {
    T* out = row + u * width;
    const int64_t source_row = u + dh;
    if (source_row < 0 || source_row >= height) {
      std::fill(out, out + width, T(0));
      continue;
    }
    const T* in = plane + source_row * width + dw;
    std::fill(out, out + first, T(0));
    std::copy(in + first, in + last, out + first);
    std::fill(out + last, out + width, T(0));
  }
}

// The adjoint of shift_plane: plane[(u + dh) * width + v + dw] += row[u * width + v] wherever
// shift_plane read that pixel.
template <class T>
void shift_plane_accumulate(const T* row, int64_t height, int64_t width, int64_t dh, int64_t dw,
                            T* plane) {
  const int64_t first = std::clamp<int64_t>(-dw, 0, width);
  const int64_t last = std::clamp<int64_t>(width - dw, first, width);
  for (int64_t u = std::max<int64_t>(0, -dh); u < std::min(height, height - dh); ++u) {
    const T* in = row + u * width;
    T* out = plane + (u + dh) * width + dw;
    for (int64_t v = first; v < last; ++v) out[v] += in[v];
  }
}

// im2col of one image (Cin, H, W) of an is_same_size_stride1 convolution: row (c, kh, kw) of col,
// at col + ((c * KH + kh) * KW + kw) * ld, is channel c moved by (kh - padding, kw - padding).
template <class T>
void same_size_im2col_portable(const ConvGeometry& g, const T* image, T* col, int64_t ld) {
  for (int64_t c = 0; c < g.in_channels; ++c) {
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        shift_plane(image + c * g.height * g.width, g.height, g.width, kh - g.padding,
                    kw - g.padding, col + ((c * g.kernel_h + kh) * g.kernel_w + kw) * ld);
      }
    }
  }
}

// The same for float on the fastest implementation this CPU has: AVX-512 (per tap, one masked
// load per 16 pixels of the whole plane) or the portable one.
void same_size_im2col(const ConvGeometry& g, const float* image, float* col, int64_t ld);

namespace detail {
void same_size_im2col_avx512(const ConvGeometry& g, const float* image, float* col, int64_t ld);
}  // namespace detail
}  // namespace lethe::cpu
