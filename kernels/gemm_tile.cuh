// The shared-memory tile machinery behind the GEMM and the implicit-GEMM convolutions.
//
// A block of 256 threads computes a 64 x 64 tile of C = op(A) op(B), stepping through the depth
// 16 at a time. Each step stages a 64 x 16 tile of op(A) and a 16 x 64 tile of op(B) in shared
// memory, both stored depth-major (tile[k][row]), and every thread accumulates a 4 x 4 register
// block: rows 4 * (t / 16) .. + 3 and columns 4 * (t % 16) .. + 3 of the block's tile.
#pragma once
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

constexpr int kTileRows = 64;  // rows of C per block (and columns: the tile is square)
constexpr int kTileDepth = 16;
constexpr int kTileThreads = 256;
constexpr int kThreadBlock = 4;                           // register block: 4 x 4 outputs
constexpr int kThreadsPerRow = kTileRows / kThreadBlock;  // 16

struct alignas(16) GemmTiles {
  float a[kTileDepth][kTileRows];  // a[k][m] = op(A)(m0 + m, k0 + k)
  float b[kTileDepth][kTileRows];  // b[k][n] = op(B)(k0 + k, n0 + n)
};

struct RegisterBlock {
  float value[kThreadBlock][kThreadBlock];
};

__device__ __forceinline__ int block_row_of(int thread) {
  return (thread / kThreadsPerRow) * 4;
}
__device__ __forceinline__ int block_col_of(int thread) {
  return (thread % kThreadsPerRow) * 4;
}

// Loads the tile of a matrix whose depth index is contiguous: value(r, k) = src[r * ld + k] for
// r0 <= r < r0 + 64, k0 <= k < k0 + 16 (zero outside rows x depth) into tile[k - k0][r - r0].
// Each thread reads four consecutive k of one row, as one float4 when `vectorised` (src 16-byte
// aligned, ld a multiple of 4) and the four are inside the matrix.
__device__ __forceinline__ void load_depth_contiguous(const float* __restrict__ src, long long ld,
                                                      int rows, int depth, int r0, int k0,
                                                      bool vectorised, float (*tile)[kTileRows]) {
  const int r = threadIdx.x / 4, k = (threadIdx.x % 4) * 4;
  const int row = r0 + r, col = k0 + k;
  float v[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  if (row < rows) {
    const float* line = src + row * ld + col;
    if (vectorised && col + 3 < depth) {
      const float4 quad = *reinterpret_cast<const float4*>(line);
      v[0] = quad.x, v[1] = quad.y, v[2] = quad.z, v[3] = quad.w;
    } else {
      for (int j = 0; j < 4; ++j) v[j] = col + j < depth ? line[j] : 0.0f;
    }
  }
  for (int j = 0; j < 4; ++j) tile[k + j][r] = v[j];
}

// Loads the tile of a matrix whose row index is contiguous: value(r, k) = src[k * ld + r], same
// region and zero fill as load_depth_contiguous. Each thread reads four consecutive rows of one k.
__device__ __forceinline__ void load_rows_contiguous(const float* __restrict__ src, long long ld,
                                                     int rows, int depth, int r0, int k0,
                                                     bool vectorised, float (*tile)[kTileRows]) {
  const int k = threadIdx.x / kThreadsPerRow, r = (threadIdx.x % kThreadsPerRow) * 4;
  const int row = r0 + r, col = k0 + k;
  float v[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  if (col < depth) {
    const float* line = src + col * ld + row;
    if (vectorised && row + 3 < rows) {
      const float4 quad = *reinterpret_cast<const float4*>(line);
      v[0] = quad.x, v[1] = quad.y, v[2] = quad.z, v[3] = quad.w;
    } else {
      for (int j = 0; j < 4; ++j) v[j] = row + j < rows ? line[j] : 0.0f;
    }
  }
  *reinterpret_cast<float4*>(&tile[k][r]) = make_float4(v[0], v[1], v[2], v[3]);
}

// Fills tile[k - k0][r - r0] = value(r, k) for the same region through a callable (the gathers of
// the implicit-GEMM convolutions); zero outside rows x depth. Four consecutive rows per thread.
template <class Value>
__device__ __forceinline__ void gather_tile(const Value& value, int rows, int depth, int r0, int k0,
                                            float (*tile)[kTileRows]) {
  const int k = threadIdx.x / kThreadsPerRow, r = (threadIdx.x % kThreadsPerRow) * 4;
  const bool inside_depth = k0 + k < depth;
  for (int j = 0; j < 4; ++j) {
    tile[k][r + j] = inside_depth && r0 + r + j < rows ? value(r0 + r + j, k0 + k) : 0.0f;
  }
}

// acc += a_tile^T b_tile over the staged depth, for this thread's 4 x 4 register block.
__device__ __forceinline__ void multiply_tiles(const GemmTiles& tiles, RegisterBlock& acc) {
  const int row = block_row_of(threadIdx.x), col = block_col_of(threadIdx.x);
  LETHE_UNROLL
  for (int k = 0; k < kTileDepth; ++k) {
    const float4 a = *reinterpret_cast<const float4*>(&tiles.a[k][row]);
    const float4 b = *reinterpret_cast<const float4*>(&tiles.b[k][col]);
    const float a_values[4] = {a.x, a.y, a.z, a.w};
    const float b_values[4] = {b.x, b.y, b.z, b.w};
    LETHE_UNROLL
    for (int i = 0; i < 4; ++i) {
      LETHE_UNROLL
      for (int j = 0; j < 4; ++j) acc.value[i][j] = fmaf(a_values[i], b_values[j], acc.value[i][j]);
    }
  }
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
