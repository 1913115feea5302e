// Fused single-head attention over the positions of a feature map (fp32), for the U-Net's
// attention blocks (N = 49 at 7x7):
//   q, k, v, out: (B, C, N), channels first; weights: (B, N, N), row i the query position;
//   weights[b, i, :] = softmax_j(scale * sum_c q[b, c, i] k[b, c, j]);
//   out[b, c, i]     = sum_j weights[b, i, j] v[b, c, j].
// One warp per query row (forward, and the backward's row pass) or key column (the backward's
// column pass): a row of N scores lives in the warp's slice of dynamic shared memory, lane l
// owning entries l, l + 32, ..., so every lane reads back only what it wrote and no barrier is
// needed; the maximum and sums are warp shuffles. Sums over channels read q or the output gradient
// at one position (a broadcast) and k or v along a row of positions (coalesced); sums over
// positions are lane-strided, then reduced across the warp. Nothing is accumulated with atomics,
// so the results do not depend on scheduling.
#pragma once
#include "kernels/block_reduce.cuh"
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

constexpr int kAttentionWarpsPerBlock = 8;
constexpr int kAttentionLanes = 32;

struct AttentionShape {
  int channels, positions;
  float scale;
  __device__ long long image(int b) const {
    return static_cast<long long>(b) * channels * positions;
  }
  __device__ long long square(int b) const {
    return static_cast<long long>(b) * positions * positions;
  }
};

// sum_j row[j] m[c * N + j] over this lane's j, summed across the warp (every lane gets it).
__device__ __forceinline__ float row_times_channel(const float* row, const float* m, int c,
                                                   int positions, int lane) {
  float partial = 0.0f;
  for (int j = lane; j < positions; j += kAttentionLanes) {
    partial = fmaf(row[j], m[static_cast<long long>(c) * positions + j], partial);
  }
  return warp_sum(partial);
}

// out[c * N + position] = sum_j row[j] m[c * N + j] for every channel c; lane 0 writes.
__device__ __forceinline__ void row_times_channels(const float* row, const float* m,
                                                   const AttentionShape& s, int lane, int position,
                                                   float* out) {
  for (int c = 0; c < s.channels; ++c) {
    const float value = row_times_channel(row, m, c, s.positions, lane);
    if (lane == 0) out[static_cast<long long>(c) * s.positions + position] = value;
  }
}

// sum_c a[c * N + i] b[c * N + j]: channel dot product of position i of a with position j of b.
__device__ __forceinline__ float channel_dot(const float* a, int i, const float* b, int j,
                                             int channels, int positions) {
  float sum = 0.0f;
  for (int c = 0; c < channels; ++c) {
    const long long offset = static_cast<long long>(c) * positions;
    sum = fmaf(a[offset + i], b[offset + j], sum);
  }
  return sum;
}

// grid: (ceil(N / kAttentionWarpsPerBlock), B), block: 256,
// dynamic shared: kAttentionWarpsPerBlock * N floats.
__global__ void __launch_bounds__(256)
    attention_forward_kernel(AttentionShape s, const float* __restrict__ q,
                             const float* __restrict__ k, const float* __restrict__ v,
                             float* __restrict__ weights, float* __restrict__ out) {
  LETHE_DYNAMIC_SHARED(float, rows);
  const int warp = threadIdx.x / kAttentionLanes, lane = threadIdx.x % kAttentionLanes;
  const int i = blockIdx.x * kAttentionWarpsPerBlock + warp, b = blockIdx.y;
  if (i >= s.positions) return;  // the whole warp leaves together
  float* row = rows + warp * s.positions;
  const float *qb = q + s.image(b), *kb = k + s.image(b), *vb = v + s.image(b);
  float largest = -INFINITY;
  for (int j = lane; j < s.positions; j += kAttentionLanes) {
    row[j] = s.scale * channel_dot(qb, i, kb, j, s.channels, s.positions);
    largest = fmaxf(largest, row[j]);
  }
  largest = warp_max(largest);
  float total = 0.0f;
  for (int j = lane; j < s.positions; j += kAttentionLanes) {
    row[j] = expf(row[j] - largest);
    total += row[j];
  }
  const float inverse = 1.0f / warp_sum(total);
  float* weight_row = weights + s.square(b) + static_cast<long long>(i) * s.positions;
  for (int j = lane; j < s.positions; j += kAttentionLanes) {
    row[j] *= inverse;
    weight_row[j] = row[j];
  }
  row_times_channels(row, vb, s, lane, i, out + s.image(b));
}

// The backward's row pass, per query row i: grad_weights[i, j] = sum_c grad_out[c, i] v[c, j];
// grad_dots[i, j] = scale * weights[i, j] (grad_weights[i, j] - sum_j' weights grad_weights), the
// gradient of the unscaled channel dot products; grad_q[c, i] = sum_j grad_dots[i, j] k[c, j].
// grid, block and dynamic shared as attention_forward_kernel.
__global__ void __launch_bounds__(256)
    attention_backward_rows_kernel(AttentionShape s, const float* __restrict__ k,
                                   const float* __restrict__ v, const float* __restrict__ weights,
                                   const float* __restrict__ grad_out,
                                   float* __restrict__ grad_dots, float* __restrict__ grad_q) {
  LETHE_DYNAMIC_SHARED(float, rows);
  const int warp = threadIdx.x / kAttentionLanes, lane = threadIdx.x % kAttentionLanes;
  const int i = blockIdx.x * kAttentionWarpsPerBlock + warp, b = blockIdx.y;
  if (i >= s.positions) return;
  float* row = rows + warp * s.positions;
  const float *kb = k + s.image(b), *vb = v + s.image(b), *gb = grad_out + s.image(b);
  const long long row_offset = s.square(b) + static_cast<long long>(i) * s.positions;
  float weighted = 0.0f;
  for (int j = lane; j < s.positions; j += kAttentionLanes) {
    row[j] = channel_dot(gb, i, vb, j, s.channels, s.positions);
    weighted = fmaf(weights[row_offset + j], row[j], weighted);
  }
  weighted = warp_sum(weighted);
  for (int j = lane; j < s.positions; j += kAttentionLanes) {
    row[j] = s.scale * weights[row_offset + j] * (row[j] - weighted);
    grad_dots[row_offset + j] = row[j];
  }
  row_times_channels(row, kb, s, lane, i, grad_q + s.image(b));
}

// The backward's column pass, per key column j: grad_k[c, j] = sum_i grad_dots[i, j] q[c, i] and
// grad_v[c, j] = sum_i weights[i, j] grad_out[c, i]. The two columns are staged in the warp's
// shared slice first (2 * N floats), so the sums read q and grad_out along positions.
// grid: (ceil(N / kAttentionWarpsPerBlock), B), block: 256,
// dynamic shared: 2 * kAttentionWarpsPerBlock * N floats.
__global__ void __launch_bounds__(256)
    attention_backward_columns_kernel(AttentionShape s, const float* __restrict__ q,
                                      const float* __restrict__ weights,
                                      const float* __restrict__ grad_out,
                                      const float* __restrict__ grad_dots,
                                      float* __restrict__ grad_k, float* __restrict__ grad_v) {
  LETHE_DYNAMIC_SHARED(float, columns);
  const int warp = threadIdx.x / kAttentionLanes, lane = threadIdx.x % kAttentionLanes;
  const int j = blockIdx.x * kAttentionWarpsPerBlock + warp, b = blockIdx.y;
  if (j >= s.positions) return;
  float* dots_column = columns + 2 * warp * s.positions;
  float* weights_column = dots_column + s.positions;
  for (int i = lane; i < s.positions; i += kAttentionLanes) {
    const long long offset = s.square(b) + static_cast<long long>(i) * s.positions + j;
    dots_column[i] = grad_dots[offset];
    weights_column[i] = weights[offset];
  }
  const float *qb = q + s.image(b), *gb = grad_out + s.image(b);
  float *grad_k_b = grad_k + s.image(b), *grad_v_b = grad_v + s.image(b);
  for (int c = 0; c < s.channels; ++c) {
    const float key = row_times_channel(dots_column, qb, c, s.positions, lane);
    const float value = row_times_channel(weights_column, gb, c, s.positions, lane);
    if (lane == 0) {
      grad_k_b[static_cast<long long>(c) * s.positions + j] = key;
      grad_v_b[static_cast<long long>(c) * s.positions + j] = value;
    }
  }
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
