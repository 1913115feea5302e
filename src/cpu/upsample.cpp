#include "lethe/cpu/upsample.h"

#include <algorithm>

namespace lethe::cpu {

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

#define LETHE_INSTANTIATE(T)                                                            \
  template void upsample_nearest2x_forward<T>(const T*, T*, int64_t, int64_t, int64_t); \
  template void upsample_nearest2x_backward<T>(const T*, T*, int64_t, int64_t, int64_t);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)
#undef LETHE_INSTANTIATE

}  // namespace lethe::cpu
