#include "lethe/cpu/indexing.h"

#include <algorithm>

namespace lethe::cpu {

template <class T, class Index>
void gather_rows(const T* weight, int64_t width, const Index* indices, int64_t count, T* out) {
  for (int64_t i = 0; i < count; ++i) {
    std::copy(weight + indices[i] * width, weight + (indices[i] + 1) * width, out + i * width);
  }
}

template <class T, class Index>
void scatter_add_rows(const T* grad_out, int64_t width, const Index* indices, int64_t count,
                      T* grad_weight, int64_t rows) {
  std::fill(grad_weight, grad_weight + rows * width, T(0));
  for (int64_t i = 0; i < count; ++i) {
    T* row = grad_weight + indices[i] * width;
    for (int64_t k = 0; k < width; ++k) row[k] += grad_out[i * width + k];
  }
}

template <class T, class Index>
void gather_columns(const T* values, int64_t width, const Index* indices, int64_t count,
                    T* picked) {
  for (int64_t i = 0; i < count; ++i) picked[i] = values[i * width + indices[i]];
}

template <class T, class Index>
void scatter_columns(const T* grad_picked, int64_t width, const Index* indices, int64_t count,
                     T* grad_values) {
  std::fill(grad_values, grad_values + count * width, T(0));
  for (int64_t i = 0; i < count; ++i) grad_values[i * width + indices[i]] = grad_picked[i];
}

#define LETHE_INSTANTIATE(T, Index)                                                                \
  template void gather_rows<T, Index>(const T*, int64_t, const Index*, int64_t, T*);               \
  template void scatter_add_rows<T, Index>(const T*, int64_t, const Index*, int64_t, T*, int64_t); \
  template void gather_columns<T, Index>(const T*, int64_t, const Index*, int64_t, T*);            \
  template void scatter_columns<T, Index>(const T*, int64_t, const Index*, int64_t, T*);
LETHE_INSTANTIATE(float, int64_t)
LETHE_INSTANTIATE(float, int32_t)
LETHE_INSTANTIATE(double, int64_t)
LETHE_INSTANTIATE(double, int32_t)
#undef LETHE_INSTANTIATE

}  // namespace lethe::cpu
