#include "cpu/conv.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "cpu/blas.h"

namespace lethe::cpu {
namespace {

// col: (Cin * KH * KW, OH * OW); row (c, kh, kw) holds x[c, oh * s - p + kh, ow * s - p + kw].
template <class T>
void im2col(const ConvGeometry& g, const T* image, T* col) {
  const int64_t oh_count = g.out_h(), ow_count = g.out_w();
  for (int64_t c = 0; c < g.in_channels; ++c) {
    const T* plane = image + c * g.height * g.width;
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        T* row = col + ((c * g.kernel_h + kh) * g.kernel_w + kw) * oh_count * ow_count;
        for (int64_t oh = 0; oh < oh_count; ++oh) {
          const int64_t ih = oh * g.stride - g.padding + kh;
          T* out = row + oh * ow_count;
          if (ih < 0 || ih >= g.height) {
            std::fill(out, out + ow_count, T(0));
            continue;
          }
          const T* in = plane + ih * g.width;
          if (g.stride == 1) {  // a shifted copy of the input row, zero-filled at the borders
            const int64_t shift = kw - g.padding;
            const int64_t first = std::max<int64_t>(0, -shift);
            const int64_t last = std::min<int64_t>(ow_count, g.width - shift);
            std::fill(out, out + first, T(0));
            if (last > first) std::copy(in + first + shift, in + last + shift, out + first);
            std::fill(out + std::max(first, last), out + ow_count, T(0));
            continue;
          }
          for (int64_t ow = 0; ow < ow_count; ++ow) {
            const int64_t iw = ow * g.stride - g.padding + kw;
            out[ow] = (iw >= 0 && iw < g.width) ? in[iw] : T(0);
          }
        }
      }
    }
  }
}

// The adjoint of im2col: image (zeroed here) accumulates every column entry at its pixel.
template <class T>
void col2im(const ConvGeometry& g, const T* col, T* image) {
  const int64_t oh_count = g.out_h(), ow_count = g.out_w();
  std::fill(image, image + g.in_channels * g.height * g.width, T(0));
  for (int64_t c = 0; c < g.in_channels; ++c) {
    T* plane = image + c * g.height * g.width;
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const T* row = col + ((c * g.kernel_h + kh) * g.kernel_w + kw) * oh_count * ow_count;
        for (int64_t oh = 0; oh < oh_count; ++oh) {
          const int64_t ih = oh * g.stride - g.padding + kh;
          if (ih < 0 || ih >= g.height) continue;
          const T* in = row + oh * ow_count;
          T* out = plane + ih * g.width;
          if (g.stride == 1) {
            const int64_t shift = kw - g.padding;
            const int64_t first = std::max<int64_t>(0, -shift);
            const int64_t last = std::min<int64_t>(ow_count, g.width - shift);
            for (int64_t ow = first; ow < last; ++ow) out[ow + shift] += in[ow];
            continue;
          }
          for (int64_t ow = 0; ow < ow_count; ++ow) {
            const int64_t iw = ow * g.stride - g.padding + kw;
            if (iw >= 0 && iw < g.width) out[iw] += in[ow];
          }
        }
      }
    }
  }
}

// A per-thread scratch buffer that grows to the largest request and is then reused.
template <class T>
T* scratch(int64_t count) {
  thread_local std::vector<T> buffer;
  if (static_cast<int64_t>(buffer.size()) < count) buffer.resize(count);
  return buffer.data();
}

}  // namespace

template <class T>
void conv2d_forward(const ConvGeometry& g, const T* x, const T* weight, const T* bias, T* y) {
  const int64_t pixels = g.out_h() * g.out_w();
  const int64_t in_image = g.in_channels * g.height * g.width;
#pragma omp parallel for if (g.batch > 1) schedule(static)
  for (int64_t b = 0; b < g.batch; ++b) {
    const T* image = x + b * in_image;
    T* out = y + b * g.out_channels * pixels;
    const T* col = image;
    if (!g.is_pointwise()) {
      T* buffer = scratch<T>(g.patch() * pixels);
      im2col(g, image, buffer);
      col = buffer;
    }
    // out (Cout, P) = weight (Cout, patch) . col (patch, P)
    gemm(false, false, g.out_channels, pixels, g.patch(), T(1), weight, g.patch(), col, pixels,
         T(0), out, pixels);
    if (bias == nullptr) continue;
    for (int64_t c = 0; c < g.out_channels; ++c) {
      for (int64_t p = 0; p < pixels; ++p) out[c * pixels + p] += bias[c];
    }
  }
}

template <class T>
void conv2d_backward_input(const ConvGeometry& g, const T* grad_y, const T* weight, T* grad_x) {
  const int64_t pixels = g.out_h() * g.out_w();
  const int64_t in_image = g.in_channels * g.height * g.width;
#pragma omp parallel for if (g.batch > 1) schedule(static)
  for (int64_t b = 0; b < g.batch; ++b) {
    const T* grad_out = grad_y + b * g.out_channels * pixels;
    T* grad_image = grad_x + b * in_image;
    // grad_col (patch, P) = weight^T (patch, Cout) . grad_out (Cout, P)
    T* grad_col = g.is_pointwise() ? grad_image : scratch<T>(g.patch() * pixels);
    gemm(true, false, g.patch(), pixels, g.out_channels, T(1), weight, g.patch(), grad_out, pixels,
         T(0), grad_col, pixels);
    if (!g.is_pointwise()) col2im(g, grad_col, grad_image);
  }
}

template <class T>
void conv2d_backward_weight(const ConvGeometry& g, const T* grad_y, const T* x, T* grad_weight,
                            T* grad_bias) {
  const int64_t pixels = g.out_h() * g.out_w();
  const int64_t in_image = g.in_channels * g.height * g.width;
  const int64_t weight_count = g.out_channels * g.patch();
  const int threads = g.batch > 1 ? omp_get_max_threads() : 1;
  // One partial weight gradient per thread, summed at the end in thread order (deterministic).
  std::vector<T> partials(static_cast<size_t>(threads) * weight_count, T(0));
#pragma omp parallel num_threads(threads)
  {
    T* partial = partials.data() + static_cast<int64_t>(omp_get_thread_num()) * weight_count;
#pragma omp for schedule(static)
    for (int64_t b = 0; b < g.batch; ++b) {
      const T* image = x + b * in_image;
      const T* col = image;
      if (!g.is_pointwise()) {
        T* buffer = scratch<T>(g.patch() * pixels);
        im2col(g, image, buffer);
        col = buffer;
      }
      // partial (Cout, patch) += grad_out (Cout, P) . col^T (P, patch)
      gemm(false, true, g.out_channels, g.patch(), pixels, T(1),
           grad_y + b * g.out_channels * pixels, pixels, col, pixels, T(1), partial, g.patch());
    }
  }
  for (int64_t i = 0; i < weight_count; ++i) {
    T total = T(0);
    for (int t = 0; t < threads; ++t) total += partials[static_cast<size_t>(t) * weight_count + i];
    grad_weight[i] = total;
  }
  if (grad_bias == nullptr) return;
  for (int64_t c = 0; c < g.out_channels; ++c) {
    T total = T(0);
    for (int64_t b = 0; b < g.batch; ++b) {
      const T* plane = grad_y + (b * g.out_channels + c) * pixels;
      for (int64_t p = 0; p < pixels; ++p) total += plane[p];
    }
    grad_bias[c] = total;
  }
}

template <class T>
void upsample_nearest2x_forward(const T* x, T* y, int64_t planes, int64_t height, int64_t width) {
#pragma omp parallel for if (planes * height * width > (1 << 14)) schedule(static)
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T* in = x + plane * height * width;
    T* out = y + plane * 4 * height * width;
    for (int64_t h = 0; h < height; ++h) {
      T* row = out + 2 * h * 2 * width;
      for (int64_t w = 0; w < width; ++w) row[2 * w] = row[2 * w + 1] = in[h * width + w];
      std::copy(row, row + 2 * width, row + 2 * width);
    }
  }
}

template <class T>
void upsample_nearest2x_backward(const T* grad_y, T* grad_x, int64_t planes, int64_t height,
                                 int64_t width) {
#pragma omp parallel for if (planes * height * width > (1 << 14)) schedule(static)
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T* in = grad_y + plane * 4 * height * width;
    T* out = grad_x + plane * height * width;
    for (int64_t h = 0; h < height; ++h) {
      const T* top = in + 2 * h * 2 * width;
      const T* bottom = top + 2 * width;
      for (int64_t w = 0; w < width; ++w) {
        out[h * width + w] = top[2 * w] + top[2 * w + 1] + bottom[2 * w] + bottom[2 * w + 1];
      }
    }
  }
}

#define LETHE_INSTANTIATE(T)                                                                \
  template void conv2d_forward<T>(const ConvGeometry&, const T*, const T*, const T*, T*);   \
  template void conv2d_backward_input<T>(const ConvGeometry&, const T*, const T*, T*);      \
  template void conv2d_backward_weight<T>(const ConvGeometry&, const T*, const T*, T*, T*); \
  template void upsample_nearest2x_forward<T>(const T*, T*, int64_t, int64_t, int64_t);     \
  template void upsample_nearest2x_backward<T>(const T*, T*, int64_t, int64_t, int64_t);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)
#undef LETHE_INSTANTIATE

}  // namespace lethe::cpu
