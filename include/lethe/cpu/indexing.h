// CPU kernels that gather rows by integer index and scatter gradients back.
#pragma once
#include <cstdint>

namespace lethe::cpu {

// out[i, :] = weight[indices[i], :] for i < count; weight rows have `width` elements.
template <class T, class Index>
void gather_rows(const T* weight, int64_t width, const Index* indices, int64_t count, T* out);
// grad_weight (rows x width, zeroed here) accumulates grad_out[i, :] at row indices[i], in order.
template <class T, class Index>
void scatter_add_rows(const T* grad_out, int64_t width, const Index* indices, int64_t count,
                      T* grad_weight, int64_t rows);
// picked[i] = values[i, indices[i]] for a (count, width) matrix.
template <class T, class Index>
void gather_columns(const T* values, int64_t width, const Index* indices, int64_t count, T* picked);
// grad_values (count x width), overwritten: grad_picked[i] at (i, indices[i]), zero elsewhere.
template <class T, class Index>
void scatter_columns(const T* grad_picked, int64_t width, const Index* indices, int64_t count,
                     T* grad_values);

}  // namespace lethe::cpu
