// Between a batch of images (B, C, P) and the (C, count * P) matrix of images
// [first, first + count) side by side (image i in columns [i P, (i + 1) P)), the layout in which
// several small images share one GEMM.
#pragma once
#include <algorithm>
#include <cstdint>

namespace lethe::cpu {

template <class T>
void images_to_matrix(const T* images, int64_t channels, int64_t pixels, int64_t first,
                      int64_t count, T* matrix) {
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t c = 0; c < channels; ++c) {
      const T* source = images + ((first + i) * channels + c) * pixels;
      std::copy(source, source + pixels, matrix + c * count * pixels + i * pixels);
    }
  }
}

template <class T>
void matrix_to_images(const T* matrix, int64_t channels, int64_t pixels, int64_t first,
                      int64_t count, T* images) {
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t c = 0; c < channels; ++c) {
      const T* source = matrix + c * count * pixels + i * pixels;
      std::copy(source, source + pixels, images + ((first + i) * channels + c) * pixels);
    }
  }
}

}  // namespace lethe::cpu
