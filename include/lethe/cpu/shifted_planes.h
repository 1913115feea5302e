// Planes moved by a tap offset, zero where the tap falls outside them: the rows of im2col
// (cpu/conv.cpp) for same-size stride-1 convolutions and for the phase planes of strided ones, and
// of the phase-wise input gradient of strided ones.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "lethe/cpu/conv.h"
#include "lethe/cpu/scratch.h"

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

// A convolution whose im2col rows are shifted planes: is_same_size_stride1 (each row is the
// channel moved by the tap) or is_phase_shiftable (each row is one of the channel's phase planes
// moved by at most one row and column back, phase_tap).
inline bool has_shifted_plane_taps(const ConvGeometry& g) {
  return is_same_size_stride1(g) || is_phase_shiftable(g);
}

// plane (H, W) -> phases (stride^2, OH, OW), zero where a phase pixel falls outside the plane.
template <class T>
void split_phases(const ConvGeometry& g, const T* plane, T* phases) {
  const int64_t oh_count = g.out_h(), ow_count = g.out_w(), s = g.stride;
  for (int64_t rh = 0; rh < s; ++rh) {
    for (int64_t rw = 0; rw < s; ++rw) {
      T* phase = phases + (rh * s + rw) * oh_count * ow_count;
      const int64_t inside_w = std::clamp<int64_t>((g.width - rw + s - 1) / s, 0, ow_count);
      for (int64_t a = 0; a < oh_count; ++a) {
        T* out = phase + a * ow_count;
        const int64_t ih = s * a + rh;
        const int64_t valid = ih < g.height ? inside_w : 0;
        const T* in = plane + ih * g.width + rw;
        if (s == 2) {  // a constant stride, so that the gather vectorises
          for (int64_t b = 0; b < valid; ++b) out[b] = in[2 * b];
        } else {
          for (int64_t b = 0; b < valid; ++b) out[b] = in[s * b];
        }
        std::fill(out + valid, out + ow_count, T(0));
      }
    }
  }
}

// The adjoint of split_phases, from phase planes `phase_stride` apart: every plane pixel gets its
// phase entry (zero where it has none).
template <class T>
void merge_phases(const ConvGeometry& g, const T* phases, int64_t phase_stride, T* plane) {
  const int64_t oh_count = g.out_h(), ow_count = g.out_w(), s = g.stride;
  std::fill(plane, plane + g.height * g.width, T(0));
  for (int64_t rh = 0; rh < s; ++rh) {
    for (int64_t rw = 0; rw < s; ++rw) {
      const T* phase = phases + (rh * s + rw) * phase_stride;
      const int64_t inside_w = std::clamp<int64_t>((g.width - rw + s - 1) / s, 0, ow_count);
      for (int64_t a = 0; a < oh_count && s * a + rh < g.height; ++a) {
        const T* in = phase + a * ow_count;
        T* out = plane + (s * a + rh) * g.width + rw;
        if (s == 2) {  // a constant stride, so that the scatter vectorises
          for (int64_t b = 0; b < inside_w; ++b) out[2 * b] = in[b];
        } else {
          for (int64_t b = 0; b < inside_w; ++b) out[s * b] = in[b];
        }
      }
    }
  }
}

// The taps (kh * KW + kw) of an is_phase_shiftable convolution ordered by the phase they read
// (residue_h * stride + residue_w), and where each phase's taps begin: phase r has taps
// order[begin[r]] ... order[begin[r + 1] - 1] (none when the kernel is smaller than the stride).
struct TapsByPhase {
  std::vector<int64_t> order, begin;
};

inline TapsByPhase taps_by_phase(const ConvGeometry& g) {
  const int64_t phases = g.stride * g.stride;
  TapsByPhase taps;
  for (int64_t phase = 0; phase < phases; ++phase) {
    taps.begin.push_back(static_cast<int64_t>(taps.order.size()));
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        if (phase_tap(g, kh).residue * g.stride + phase_tap(g, kw).residue == phase) {
          taps.order.push_back(kh * g.kernel_w + kw);
        }
      }
    }
  }
  taps.begin.push_back(static_cast<int64_t>(taps.order.size()));
  return taps;
}

// The input gradient of an is_phase_shiftable convolution, phase by phase: phase r of grad_x
// channel ci is sum over the taps t of phase r and over co of w[co, ci, t] times grad_y channel co
// moved back by t's shift. rows (KH * KW * Cout rows of OH * OW entries, `ld` apart): row
// (k, co) is grad_y channel co of one image moved by minus the shift of tap order[k], order being
// taps_by_phase(g).order.
template <class T>
void phase_gradient_rows_portable(const ConvGeometry& g, const std::vector<int64_t>& order,
                                  const T* grad_y, T* rows, int64_t ld) {
  const int64_t pixels = g.out_h() * g.out_w();
  for (int64_t k = 0; k < static_cast<int64_t>(order.size()); ++k) {
    const PhaseTap th = phase_tap(g, order[k] / g.kernel_w),
                   tw = phase_tap(g, order[k] % g.kernel_w);
    for (int64_t co = 0; co < g.out_channels; ++co) {
      shift_plane(grad_y + co * pixels, g.out_h(), g.out_w(), -th.shift, -tw.shift,
                  rows + (k * g.out_channels + co) * ld);
    }
  }
}

// im2col of one image (Cin, H, W) of a has_shifted_plane_taps convolution: row (c, kh, kw) of col,
// OH * OW entries at col + ((c * KH + kh) * KW + kw) * ld, is the tap's phase plane of channel c
// (the channel itself at stride 1) moved by the tap's shift.
template <class T>
void shifted_im2col_portable(const ConvGeometry& g, const T* image, T* col, int64_t ld) {
  const int64_t pixels = g.out_h() * g.out_w();
  T* phases = g.stride > 1 ? thread_scratch<T, 2>(g.stride * g.stride * pixels) : nullptr;
  for (int64_t c = 0; c < g.in_channels; ++c) {
    const T* channel = image + c * g.height * g.width;
    if (phases != nullptr) split_phases(g, channel, phases);
    const T* source = phases != nullptr ? phases : channel;
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      const PhaseTap th = phase_tap(g, kh);
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const PhaseTap tw = phase_tap(g, kw);
        shift_plane(source + (th.residue * g.stride + tw.residue) * pixels, g.out_h(), g.out_w(),
                    th.shift, tw.shift, col + ((c * g.kernel_h + kh) * g.kernel_w + kw) * ld);
      }
    }
  }
}

// The same for float on the fastest implementation this CPU has: AVX-512 (per tap, one masked
// load per 16 pixels of the whole plane) or the portable one.
void shifted_im2col(const ConvGeometry& g, const float* image, float* col, int64_t ld);
void phase_gradient_rows(const ConvGeometry& g, const std::vector<int64_t>& order,
                         const float* grad_y, float* rows, int64_t ld);
// merge_phases; reads up to 16 floats past the last phase plane's last row.
void merge_phases_fast(const ConvGeometry& g, const float* phases, int64_t phase_stride,
                       float* plane);

namespace detail {
void shifted_im2col_avx512(const ConvGeometry& g, const float* image, float* col, int64_t ld);
void phase_gradient_rows_avx512(const ConvGeometry& g, const std::vector<int64_t>& order,
                                const float* grad_y, float* rows, int64_t ld);
void merge_phases_avx512(const ConvGeometry& g, const float* phases, int64_t phase_stride,
                         float* plane);
}  // namespace detail
}  // namespace lethe::cpu
