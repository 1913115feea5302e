// Gathers and scatters by integer index over tensors (lethe/cpu/indexing.h,
// lethe/cuda/indexing.h). The indices must already be checked to lie in range.
#pragma once
#include <cstdint>

#include "lethe/core/tensor.h"

namespace lethe::tt {

// The indices (i64 or i32, any device) as the backend of `values` reads them: unchanged for cpu
// values (which need cpu indices), i64 on the GPU for cuda values.
Tensor indices_for(const Tensor& values, const Tensor& indices);

// weight (N, D), indices (count) -> out (count, D): out[i, :] = weight[indices[i], :].
void gather_rows(const Tensor& weight, const Tensor& indices, Tensor& out);
// grad_weight (N, D), overwritten with grad_out's rows summed at their indices.
void scatter_add_rows(const Tensor& grad_out, const Tensor& indices, Tensor& grad_weight);
// values (count, W) -> picked (count): picked[i] = values[i, indices[i]].
void gather_columns(const Tensor& values, const Tensor& indices, Tensor& picked);
// grad_values (count, W), overwritten: grad_picked[i] at (i, indices[i]), zero elsewhere.
void scatter_columns(const Tensor& grad_picked, const Tensor& indices, Tensor& grad_values);

}  // namespace lethe::tt
