#include "lethe/cpu/conv.h"

#include <omp.h>

#include <algorithm>
#include <memory>
#include <type_traits>
#include <vector>

#include "lethe/cpu/blas.h"
#include "lethe/cpu/conv_direct.h"
#include "lethe/cpu/conv_implicit.h"
#include "lethe/cpu/conv_weight_gradient.h"
#include "lethe/cpu/image_matrix.h"
#include "lethe/cpu/interleaved_sum.h"
#include "lethe/cpu/prefetch.h"
#include "lethe/cpu/scratch.h"
#include "lethe/cpu/shifted_planes.h"
#include "lethe/cpu/thin_conv.h"

namespace lethe::cpu {
namespace {

bool im2col_baseline = false;  // set_im2col_baseline

// Whether the direct convolution and the pixel-major weight gradient may run: they drive the fp32
// micro-kernels themselves, so under bf16 math (and for the im2col baseline) those passes go
// through im2col and the GEMM, which then multiplies in bf16. The implicit passes run either
// family (on pairs of channels or of output pixels under bf16). The thin convolutions (few
// channels, cheap) stay fp32 either way.
bool fp32_paths() {
  return !im2col_baseline && matmul_math() == MatmulMath::fp32;
}

struct ColumnRange {
  int64_t first, last, shift;
};

// Output columns whose input column ow * stride + shift (shift = kw - padding) lies inside the
// image, for kernel column kw; first <= last.
ColumnRange valid_columns(const ConvGeometry& g, int64_t kw) {
  const int64_t shift = kw - g.padding;
  const int64_t first = shift >= 0 ? 0 : (-shift + g.stride - 1) / g.stride;
  const int64_t last = g.width - shift <= 0 ? 0 : (g.width - shift - 1) / g.stride + 1;
  const int64_t bounded_last = std::min(last, g.out_w());
  return {std::min(first, bounded_last), bounded_last, shift};
}

// col: (Cin * KH * KW) rows of OH * OW entries, `ld` apart; row (c, kh, kw) holds
// x[c, oh * s - p + kh, ow * s - p + kw].
template <class T>
void im2col(const ConvGeometry& g, const T* image, T* col, int64_t ld) {
  const int64_t oh_count = g.out_h(), ow_count = g.out_w();
  if (has_shifted_plane_taps(g)) {
    if constexpr (std::is_same_v<T, float>) {
      shifted_im2col(g, image, col, ld);
    } else {
      shifted_im2col_portable(g, image, col, ld);
    }
    return;
  }
  for (int64_t c = 0; c < g.in_channels; ++c) {
    const T* plane = image + c * g.height * g.width;
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        T* row = col + ((c * g.kernel_h + kh) * g.kernel_w + kw) * ld;
        for (int64_t oh = 0; oh < oh_count; ++oh) {
          const int64_t ih = oh * g.stride - g.padding + kh;
          T* out = row + oh * ow_count;
          if (ih < 0 || ih >= g.height) {
            std::fill(out, out + ow_count, T(0));
            continue;
          }
          const T* in = plane + ih * g.width;
          // Output columns [first, last) read in[ow * s + shift]; the rest is zero padding.
          const auto [first, last, shift] = valid_columns(g, kw);
          std::fill(out, out + first, T(0));
          if (g.stride == 1) {
            std::copy(in + first + shift, in + last + shift, out + first);
          } else if (g.stride == 2) {  // a constant stride, so that the gather vectorises
            for (int64_t ow = first; ow < last; ++ow) out[ow] = in[ow * 2 + shift];
          } else {
            for (int64_t ow = first; ow < last; ++ow) out[ow] = in[ow * g.stride + shift];
          }
          std::fill(out + last, out + ow_count, T(0));
        }
      }
    }
  }
}

// The adjoint of im2col: image (zeroed here) accumulates every column entry at its pixel. Only the
// geometries that are neither same-size stride 1 nor phase-shiftable come here: those have their
// own input-gradient routes (same_size_backward_input, phase_backward_input).
template <class T>
void col2im(const ConvGeometry& g, const T* col, int64_t ld, T* image) {
  const int64_t oh_count = g.out_h(), ow_count = g.out_w();
  std::fill(image, image + g.in_channels * g.height * g.width, T(0));
  for (int64_t c = 0; c < g.in_channels; ++c) {
    T* plane = image + c * g.height * g.width;
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const T* row = col + ((c * g.kernel_h + kh) * g.kernel_w + kw) * ld;
        for (int64_t oh = 0; oh < oh_count; ++oh) {
          const int64_t ih = oh * g.stride - g.padding + kh;
          if (ih < 0 || ih >= g.height) continue;
          const T* in = row + oh * ow_count;
          T* out = plane + ih * g.width;
          const auto [first, last, shift] = valid_columns(g, kw);
          if (g.stride == 1) {  // contiguous, so that it vectorises
            for (int64_t ow = first; ow < last; ++ow) out[ow + shift] += in[ow];
          } else {
            for (int64_t ow = first; ow < last; ++ow) out[ow * g.stride + shift] += in[ow];
          }
        }
      }
    }
  }
}

// Images handled by one GEMM: small outputs (7x7, 14x14) are batched side by side so each GEMM
// has at least ~256 columns.
int64_t images_per_gemm(const ConvGeometry& g) {
  const int64_t pixels = g.out_h() * g.out_w();
  return std::clamp<int64_t>((256 + pixels - 1) / pixels, 1, g.batch);
}

// Runs body(first, count) on each group of images_per_gemm(g) consecutive images, in parallel.
template <class Body>
void for_each_image_group(const ConvGeometry& g, Body&& body) {
  const int64_t group = images_per_gemm(g), groups = (g.batch + group - 1) / group;
#pragma omp parallel for if (groups > 1) schedule(dynamic)
  for (int64_t k = 0; k < groups; ++k) {
    const int64_t first = k * group;
    body(first, std::min(group, g.batch - first));
  }
}

// The im2col matrix of images [first, first + count): (patch, count * P), image i in columns
// [i P, (i + 1) P).
template <class T>
void gather_columns(const ConvGeometry& g, const T* x, int64_t first, int64_t count, T* col) {
  const int64_t pixels = g.out_h() * g.out_w(), ld = count * pixels;
  const int64_t in_image = g.in_channels * g.height * g.width;
  for (int64_t i = 0; i < count; ++i) {
    const T* image = x + (first + i) * in_image;
    if (!g.is_pointwise()) {
      im2col(g, image, col + i * pixels, ld);
      continue;
    }
    for (int64_t c = 0; c < g.in_channels; ++c) {
      std::copy(image + c * pixels, image + (c + 1) * pixels, col + c * ld + i * pixels);
    }
  }
}

}  // namespace

void set_im2col_baseline(bool on) {
  im2col_baseline = on;
}

template <class T>
void conv2d_forward(const ConvGeometry& g, const T* x, const T* weight, const T* bias, T* y) {
  if constexpr (std::is_same_v<T, float>) {
    if (fp32_paths() && direct_conv_applies(g)) {
      direct_conv2d_forward(g, x, weight, bias, y);
      return;
    }
    if (!im2col_baseline && implicit_forward_applies(g)) {
      implicit_conv2d_forward(g, x, weight, bias, y);
      return;
    }
    if (thin_conv_applies(g)) {
      thin_conv2d_forward(g, x, weight, bias, y);
      return;
    }
  }
  const int64_t pixels = g.out_h() * g.out_w();
  for_each_image_group(g, [&](int64_t first, int64_t count) {
    // A single image reads and writes in place where no rearrangement is needed.
    const bool single = count == 1;
    const int64_t in_image = g.in_channels * g.height * g.width;
    const T* col = x + first * in_image;
    if (!single || !g.is_pointwise()) {
      T* buffer = thread_scratch<T, 0>(g.patch() * count * pixels);
      gather_columns(g, x, first, count, buffer);
      col = buffer;
    }
    T* out = single ? y + first * g.out_channels * pixels
                    : thread_scratch<T, 1>(g.out_channels * count * pixels);
    // out (Cout, count P) = weight (Cout, patch) . col (patch, count P)
    gemm(false, false, g.out_channels, count * pixels, g.patch(), T(1), weight, g.patch(), col,
         count * pixels, T(0), out, count * pixels);
    if (bias != nullptr) {
      for (int64_t c = 0; c < g.out_channels; ++c) {
        T* row = out + c * count * pixels;
        for (int64_t p = 0; p < count * pixels; ++p) row[p] += bias[c];
      }
    }
    if (!single) matrix_to_images(out, g.out_channels, pixels, first, count, y);
  });
}

namespace {

// grad_x of a same-size stride-1 convolution is itself one: grad_y convolved (same padding) with
// the weight's channels swapped and its taps rotated by 180 degrees. That forward runs as one
// (Cin x 9 Cout) . (9 Cout x pixels) product per image and needs no col2im.
template <class T>
void same_size_backward_input(const ConvGeometry& g, const T* grad_y, const T* weight, T* grad_x) {
  const int64_t taps = g.kernel_h * g.kernel_w;
  std::vector<T> rotated(g.in_channels * g.out_channels * taps);  // (Cin, Cout, KH, KW)
  for (int64_t co = 0; co < g.out_channels; ++co) {
    for (int64_t ci = 0; ci < g.in_channels; ++ci) {
      const T* taps_in = weight + (co * g.in_channels + ci) * taps;
      T* taps_out = rotated.data() + (ci * g.out_channels + co) * taps;
      for (int64_t t = 0; t < taps; ++t) taps_out[t] = taps_in[taps - 1 - t];
    }
  }
  const ConvGeometry transposed{g.batch,    g.out_channels, g.height, g.width,  g.in_channels,
                                g.kernel_h, g.kernel_w,     g.stride, g.padding};
  conv2d_forward(transposed, grad_y, rotated.data(), static_cast<const T*>(nullptr), grad_x);
}

// grad_x of an is_phase_shiftable convolution one phase plane at a time: phase r of grad_x is
// the (Cin x n_r Cout) weights of its n_r taps times the n_r Cout rows of grad_y moved back by
// those taps (phase_gradient_rows), and the phases are then merged into grad_x. Against im2col's
// route (a 9 x Cin row product, then col2im), the product writes one value per pixel of grad_x.
template <class T>
void phase_backward_input(const ConvGeometry& g, const T* grad_y, const T* weight, T* grad_x) {
  const TapsByPhase taps = taps_by_phase(g);
  const int64_t phases = g.stride * g.stride, taps_in_kernel = g.kernel_h * g.kernel_w;
  const int64_t depth = static_cast<int64_t>(taps.order.size()) * g.out_channels;
  // by_phase (Cin, taps * Cout): by_phase[ci, k Cout + co] = w[co, ci, order[k]]
  std::vector<T> by_phase(g.in_channels * depth);
  for (int64_t ci = 0; ci < g.in_channels; ++ci) {
    for (int64_t k = 0; k < static_cast<int64_t>(taps.order.size()); ++k) {
      for (int64_t co = 0; co < g.out_channels; ++co) {
        by_phase[ci * depth + k * g.out_channels + co] =
            weight[(co * g.in_channels + ci) * taps_in_kernel + taps.order[k]];
      }
    }
  }
  const int64_t pixels = g.out_h() * g.out_w();
  const int64_t in_image = g.in_channels * g.height * g.width;
  for_each_image_group(g, [&](int64_t first, int64_t count) {
    const int64_t columns = count * pixels;
    T* rows = thread_scratch<T, 0>(depth * columns);
    for (int64_t i = 0; i < count; ++i) {
      const T* image_grad_y = grad_y + (first + i) * g.out_channels * pixels;
      if constexpr (std::is_same_v<T, float>) {
        phase_gradient_rows(g, taps.order, image_grad_y, rows + i * pixels, columns);
      } else {
        phase_gradient_rows_portable(g, taps.order, image_grad_y, rows + i * pixels, columns);
      }
    }
    // planes (Cin, phases, count P), and the 16 floats merge_phases_fast may read past them
    T* planes = thread_scratch<T, 1>(g.in_channels * phases * columns + 16);
    for (int64_t r = 0; r < phases; ++r) {
      const int64_t begin = taps.begin[r],
                    phase_depth = (taps.begin[r + 1] - begin) * g.out_channels;
      T* phase = planes + r * columns;
      if (phase_depth == 0) {  // no tap reads this phase: its pixels get no gradient
        for (int64_t ci = 0; ci < g.in_channels; ++ci) {
          std::fill(phase + ci * phases * columns, phase + ci * phases * columns + columns, T(0));
        }
        continue;
      }
      // phase (Cin, count P) = by_phase[:, taps of r] (Cin, depth_r) . rows of r (depth_r, count P)
      gemm(false, false, g.in_channels, columns, phase_depth, T(1),
           by_phase.data() + begin * g.out_channels, depth, rows + begin * g.out_channels * columns,
           columns, T(0), phase, phases * columns);
    }
    for (int64_t i = 0; i < count; ++i) {
      for (int64_t ci = 0; ci < g.in_channels; ++ci) {
        const T* image_phases = planes + ci * phases * columns + i * pixels;
        T* plane = grad_x + (first + i) * in_image + ci * g.height * g.width;
        if constexpr (std::is_same_v<T, float>) {
          prefetch_floats_for_writing(plane + g.height * g.width, g.height * g.width);
          merge_phases_fast(g, image_phases, columns, plane);
        } else {
          merge_phases(g, image_phases, columns, plane);
        }
      }
    }
  });
}

}  // namespace

template <class T>
void conv2d_backward_input(const ConvGeometry& g, const T* grad_y, const T* weight, T* grad_x) {
  if constexpr (std::is_same_v<T, float>) {
    if (fp32_paths() && direct_conv_applies(g)) {
      direct_conv2d_backward_input(g, grad_y, weight, grad_x);
      return;
    }
    if (!im2col_baseline && implicit_input_gradient_applies(g)) {
      implicit_conv2d_backward_input(g, grad_y, weight, grad_x);
      return;
    }
  }
  if (is_same_size_stride1(g) && !g.is_pointwise()) {
    same_size_backward_input(g, grad_y, weight, grad_x);
    return;
  }
  if (is_phase_shiftable(g)) {
    phase_backward_input(g, grad_y, weight, grad_x);
    return;
  }
  const int64_t pixels = g.out_h() * g.out_w();
  const int64_t in_image = g.in_channels * g.height * g.width;
  for_each_image_group(g, [&](int64_t first, int64_t count) {
    const bool single = count == 1;
    const T* grad_out = grad_y + first * g.out_channels * pixels;
    if (!single) {
      T* buffer = thread_scratch<T, 1>(g.out_channels * count * pixels);
      images_to_matrix(grad_y, g.out_channels, pixels, first, count, buffer);
      grad_out = buffer;
    }
    T* grad_col = single && g.is_pointwise() ? grad_x + first * in_image
                                             : thread_scratch<T, 0>(g.patch() * count * pixels);
    // grad_col (patch, count P) = weight^T (patch, Cout) . grad_out (Cout, count P)
    gemm(true, false, g.patch(), count * pixels, g.out_channels, T(1), weight, g.patch(), grad_out,
         count * pixels, T(0), grad_col, count * pixels);
    if (g.is_pointwise()) {
      if (!single) matrix_to_images(grad_col, g.in_channels, pixels, first, count, grad_x);
      return;
    }
    for (int64_t i = 0; i < count; ++i) {
      col2im(g, grad_col + i * pixels, count * pixels, grad_x + (first + i) * in_image);
    }
  });
}

namespace {

// grad_bias[c] = sum of grad_y over the batch and the pixels of channel c; nothing when null.
// The planes are summed in parallel, then added in image order (the same order on any number of
// threads).
template <class T>
void bias_gradient(const ConvGeometry& g, const T* grad_y, T* grad_bias) {
  if (grad_bias == nullptr) return;
  const int64_t pixels = g.out_h() * g.out_w(), planes = g.batch * g.out_channels;
  T* plane_sums = thread_scratch<T, 4>(planes);  // the calling thread's: no allocation per call
#pragma omp parallel for if (planes * pixels > (1 << 14)) schedule(static)
  for (int64_t plane = 0; plane < planes; ++plane) {
    plane_sums[plane] = interleaved_sum<T>(grad_y + plane * pixels, pixels);
  }
  for (int64_t c = 0; c < g.out_channels; ++c) {
    T total = T(0);
    for (int64_t b = 0; b < g.batch; ++b) total += plane_sums[b * g.out_channels + c];
    grad_bias[c] = total;
  }
}

}  // namespace

template <class T>
void conv2d_backward_weight(const ConvGeometry& g, const T* grad_y, const T* x, T* grad_weight,
                            T* grad_bias) {
  if constexpr (std::is_same_v<T, float>) {
    if (thin_conv_applies(g)) {
      thin_conv2d_weight_gradient(g, grad_y, x, grad_weight, grad_bias);
      return;
    }
    if (implicit_weight_gradient_applies(g)) {
      implicit_conv2d_weight_gradient(g, grad_y, x, grad_weight);
      bias_gradient(g, grad_y, grad_bias);
      return;
    }
    if (fp32_paths() && pixel_major_weight_gradient_applies(g)) {
      pixel_major_conv2d_weight_gradient(g, grad_y, x, grad_weight);
      bias_gradient(g, grad_y, grad_bias);
      return;
    }
  }
  const int64_t pixels = g.out_h() * g.out_w(), group = images_per_gemm(g);
  const int64_t groups = (g.batch + group - 1) / group;
  const int64_t weight_count = g.out_channels * g.patch();
  const int threads = groups > 1 ? omp_get_max_threads() : 1;
  // Chunks of consecutive groups, each with its own partial weight gradient, are shared out
  // dynamically (a thread the OS holds back leaves its work to the others); the partials are
  // summed in chunk order, so the result does not depend on which thread ran which chunk.
  const int64_t chunks = std::min<int64_t>(groups, 4 * threads);
  const std::unique_ptr<T[]> partials(new T[chunks * weight_count]);
#pragma omp parallel for num_threads(threads) schedule(dynamic)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    T* partial = partials.get() + chunk * weight_count;
    const int64_t first_group = chunk * groups / chunks;
    for (int64_t k = first_group; k < (chunk + 1) * groups / chunks; ++k) {
      const int64_t first = k * group, count = std::min(group, g.batch - first);
      const bool single = count == 1;
      const T* col = x + first * g.in_channels * g.height * g.width;
      if (!single || !g.is_pointwise()) {
        T* buffer = thread_scratch<T, 0>(g.patch() * count * pixels);
        gather_columns(g, x, first, count, buffer);
        col = buffer;
      }
      const T* grad_out = grad_y + first * g.out_channels * pixels;
      if (!single) {
        T* buffer = thread_scratch<T, 1>(g.out_channels * count * pixels);
        images_to_matrix(grad_y, g.out_channels, pixels, first, count, buffer);
        grad_out = buffer;
      }
      // partial (Cout, patch) (+)= grad_out (Cout, count P) . col^T (count P, patch)
      gemm(false, true, g.out_channels, g.patch(), count * pixels, T(1), grad_out, count * pixels,
           col, count * pixels, k == first_group ? T(0) : T(1), partial, g.patch());
    }
  }
  std::copy(partials.get(), partials.get() + weight_count, grad_weight);
  for (int64_t chunk = 1; chunk < chunks; ++chunk) {
    const T* partial = partials.get() + chunk * weight_count;
    for (int64_t i = 0; i < weight_count; ++i) grad_weight[i] += partial[i];
  }
  bias_gradient(g, grad_y, grad_bias);
}

#define LETHE_INSTANTIATE(T)                                                              \
  template void conv2d_forward<T>(const ConvGeometry&, const T*, const T*, const T*, T*); \
  template void conv2d_backward_input<T>(const ConvGeometry&, const T*, const T*, T*);    \
  template void conv2d_backward_weight<T>(const ConvGeometry&, const T*, const T*, T*, T*);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)
#undef LETHE_INSTANTIATE

}  // namespace lethe::cpu
