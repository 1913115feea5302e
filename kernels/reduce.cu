// Sum reductions (fp32): the sum of a tensor over the axes it was broadcast along (the gradient of
// a broadcast op). One block per output element; its threads stride over the reduced elements and
// meet in block_sum (warp shuffles, then shared memory). When the reduced axes are the trailing
// ones ((B, C, H, W) to (B, C, 1, 1)) each output's elements are one contiguous run, summed
// without index arithmetic.
#pragma once
#include "kernels/block_reduce.cuh"
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

constexpr int kReductionRank = 5;

// Input offsets split into the axes an output element keeps and the axes summed over; both lists
// are padded with extent 1 (stride 0) to five axes, last axis fastest.
struct ReductionIndex {
  long long kept_extents[kReductionRank];
  long long kept_strides[kReductionRank];
  long long reduced_extents[kReductionRank];
  long long reduced_strides[kReductionRank];
  long long reduced_count;
};

__device__ __forceinline__ long long offset_of(long long linear, const long long* extents,
                                               const long long* strides) {
  long long offset = 0;
  for (int axis = kReductionRank - 1; axis >= 0; --axis) {
    offset += (linear % extents[axis]) * strides[axis];
    linear /= extents[axis];
  }
  return offset;
}

// in: the input described by index; out: (gridDim.x) outputs. blockDim.x a multiple of 32.
__global__ void sum_to_shape_kernel(const float* __restrict__ in, float* __restrict__ out,
                                    ReductionIndex index) {
  const long long base = offset_of(blockIdx.x, index.kept_extents, index.kept_strides);
  float partial = 0.0f;
  for (long long r = threadIdx.x; r < index.reduced_count; r += blockDim.x) {
    partial += in[base + offset_of(r, index.reduced_extents, index.reduced_strides)];
  }
  const float total = block_sum(partial);
  if (threadIdx.x == 0) out[blockIdx.x] = total;
}

// out[row] = sum of in[row * length .. (row + 1) * length): the reduced axes are in's trailing
// ones, so each output sums one contiguous run. grid: rows, blockDim.x a multiple of 32.
__global__ void sum_rows_kernel(const float* __restrict__ in, float* __restrict__ out,
                                long long length) {
  const float* row = in + blockIdx.x * length;
  float partial = 0.0f;
  for (long long r = threadIdx.x; r < length; r += blockDim.x) partial += row[r];
  const float total = block_sum(partial);
  if (threadIdx.x == 0) out[blockIdx.x] = total;
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
