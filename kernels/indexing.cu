// Gathers and scatters by integer index (fp32 values, i64 indices): embedding rows and their
// gradient, and the cross-entropy's pick of one column per row and its gradient. Grid-stride loops
// over the output elements; the scatters own their outputs (no atomics), so they are deterministic
// and sum in the CPU's order.
#pragma once
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

// out: (count, width); out[i, j] = weight[indices[i], j].
__global__ void gather_rows_kernel(const float* __restrict__ weight, long long width,
                                   const long long* __restrict__ indices, long long count,
                                   float* __restrict__ out) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
       e < count * width; e += stride) {
    out[e] = weight[indices[e / width] * width + e % width];
  }
}

// grad_weight: (rows, width), overwritten with the sum over i (ascending) of grad_out[i, j] for
// the i with indices[i] == r; grad_out: (count, width).
__global__ void scatter_add_rows_kernel(const float* __restrict__ grad_out, long long width,
                                        const long long* __restrict__ indices, long long count,
                                        float* __restrict__ grad_weight, long long rows) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
       e < rows * width; e += stride) {
    const long long row = e / width, column = e % width;
    float total = 0.0f;
    for (long long i = 0; i < count; ++i) {
      if (indices[i] == row) total += grad_out[i * width + column];
    }
    grad_weight[e] = total;
  }
}

// picked: (count); picked[i] = values[i, indices[i]] for values (count, width).
__global__ void gather_columns_kernel(const float* __restrict__ values, long long width,
                                      const long long* __restrict__ indices, long long count,
                                      float* __restrict__ picked) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += stride) {
    picked[i] = values[i * width + indices[i]];
  }
}

// grad_values: (count, width), overwritten: grad_picked[i] at column indices[i] of row i, else 0.
__global__ void scatter_columns_kernel(const float* __restrict__ grad_picked, long long width,
                                       const long long* __restrict__ indices, long long count,
                                       float* __restrict__ grad_values) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
       e < count * width; e += stride) {
    const long long row = e / width;
    grad_values[e] = e % width == indices[row] ? grad_picked[row] : 0.0f;
  }
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
