// CUDA launchers for the index gathers and scatters (kernels/indexing.cu): fp32 values, i64
// indices already checked to be in range. Same contracts as cpu/indexing.h; pointers live on the
// target.
#pragma once
#include <cstdint>

#include "lethe/cuda/target.h"

namespace lethe::cuda {

// out: (count, width); out[i, :] = weight[indices[i], :].
template <Target target>
void gather_rows(const float* weight, int64_t width, const int64_t* indices, int64_t count,
                 float* out);
// grad_weight: (rows, width), overwritten with grad_out's rows summed at their indices.
template <Target target>
void scatter_add_rows(const float* grad_out, int64_t width, const int64_t* indices, int64_t count,
                      float* grad_weight, int64_t rows);
// picked: (count); picked[i] = values[i, indices[i]] for values (count, width).
template <Target target>
void gather_columns(const float* values, int64_t width, const int64_t* indices, int64_t count,
                    float* picked);
// grad_values: (count, width), overwritten: grad_picked[i] at (i, indices[i]), zero elsewhere.
template <Target target>
void scatter_columns(const float* grad_picked, int64_t width, const int64_t* indices, int64_t count,
                     float* grad_values);

}  // namespace lethe::cuda
