// The shared-memory tile machinery behind the GEMM and the implicit-GEMM convolutions.
//
// A block computes a kRows x kCols tile of C = op(A) op(B) (A: M x depth, B: depth x N), stepping
// through the depth kDepth at a time. Each step stages a kRows x kDepth tile of op(A) and a
// kDepth x kCols tile of op(B) in shared memory, both depth-major (tile[k][row]), in two buffers:
// while the block multiplies one, each thread holds its share of the next step's tiles in
// registers (fetched from global memory before the multiply, stored to the other buffer after
// it), so one barrier per step suffices and the global loads overlap the arithmetic.
//
// Every thread accumulates a kThreadRows x kThreadCols register block. Its rows come in groups of
// four: group g covers rows g * (kRows / groups) + 4 * ty .. + 3 (ty = thread / threads_across),
// and likewise for the columns, so a quarter warp's float4 reads of a tile row hit distinct banks.
//
// Operands reach the tiles through "sources": objects with fetch(k0, Fragment&), which reads this
// thread's share of the step at depth k0 into registers (zero outside the matrix), and
// store(const Fragment&, tile), which writes it to shared memory.
//
// The staged tiles are multiplied either in fp32 on the FMA units (RegisterBlock, here) or in TF32
// on the tensor cores (TensorCoreBlock, kernels/tensor_core_tile.cuh); kernels read their results
// through for_each_result, which hands each (tile row, tile column, value) to an epilogue.
#pragma once
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

template <int rows, int cols, int depth, int thread_rows, int thread_cols>
struct TileConfig {
  static constexpr int kRows = rows, kCols = cols, kDepth = depth;
  static constexpr int kThreadRows = thread_rows, kThreadCols = thread_cols;
  static constexpr int kThreadsAcross = cols / thread_cols;
  static constexpr int kThreads = (rows / thread_rows) * kThreadsAcross;
  static constexpr int kRowGroups = thread_rows / 4, kColGroups = thread_cols / 4;
  static_assert(thread_rows % 4 == 0 && thread_cols % 4 == 0, "register blocks come in fours");
  static_assert(rows * depth % kThreads == 0 && cols * depth % kThreads == 0, "even tile loads");
};

// 128 x 128 tiles of 8 x 8 register blocks for large GEMMs; 64 x 64 tiles of 4 x 4 for GEMMs too
// small to fill the GPU with the large ones and for the convolution's weight gradient; tiles that
// are 32 or 64 channels tall and 256 or 128 pixels wide for the convolution's data passes.
using LargeTiles = TileConfig<128, 128, 8, 8, 8>;
using SmallTiles = TileConfig<64, 64, 16, 4, 4>;
using Channels32Tiles = TileConfig<32, 256, 8, 4, 8>;
using Channels64Tiles = TileConfig<64, 128, 8, 4, 8>;

// Tile rows are padded by kPad floats where the multiplication reads columns across rows (the
// tensor cores: kernels/tensor_core_tile.cuh); the FMA units read along rows and use kPad = 0.
// 32-byte aligned: the tensor cores' fragment loads need it.
template <class Config, int kPad = 0>
struct alignas(32) DoubleTiles {
  static constexpr int kRowsLd = Config::kRows + kPad, kColsLd = Config::kCols + kPad;
  float a[2][Config::kDepth][kRowsLd];  // a[stage][k][m] = op(A)(m0 + m, k0 + k)
  float b[2][Config::kDepth][kColsLd];  // b[stage][k][n] = op(B)(k0 + k, n0 + n)
};

template <class Config>
struct RegisterBlock {
  static constexpr int kTilePad = 0;  // the DoubleTiles padding its multiply_tiles reads
  float value[Config::kThreadRows][Config::kThreadCols];
  // Operand values on their way into the tiles: fp32 stages them as they are.
  template <int count>
  __device__ static void stage_values(float (&)[count]) {}
};

// Row (within the block's tile) of this thread's register-block row i; column of column j.
template <class Config>
__device__ __forceinline__ int tile_row_of(int thread, int i) {
  constexpr int group_stride = Config::kRows / Config::kRowGroups;
  return (i / 4) * group_stride + (thread / Config::kThreadsAcross) * 4 + i % 4;
}
template <class Config>
__device__ __forceinline__ int tile_col_of(int thread, int j) {
  constexpr int group_stride = Config::kCols / Config::kColGroups;
  return (j / 4) * group_stride + (thread % Config::kThreadsAcross) * 4 + j % 4;
}

// The share of one operand tile (kTileRows x kDepth) that each thread loads per step.
template <int tile_rows, int depth, int threads>
struct TileShare {
  static constexpr int kPerThread = tile_rows * depth / threads;
  using Fragment = float[kPerThread];
};

// v[0 .. count) = line[0 .. count) as float4 loads; line is 16-byte aligned, count a multiple of 4.
template <int count>
__device__ __forceinline__ void load_quads(const float* line, float* v) {
  LETHE_UNROLL
  for (int j = 0; j < count; j += 4) {
    const float4 quad = *reinterpret_cast<const float4*>(line + j);
    v[j] = quad.x, v[j + 1] = quad.y, v[j + 2] = quad.z, v[j + 3] = quad.w;
  }
}

// A matrix whose depth index is contiguous: value(r, k) = src[r * ld + k], rows x depth. Each
// thread reads kPerThread consecutive k of one row (float4 at a time when `vectorised`: src
// 16-byte aligned and ld a multiple of 4).
template <int tile_rows, int depth, int threads>
struct DepthContiguousSource : TileShare<tile_rows, depth, threads> {
  using Share = TileShare<tile_rows, depth, threads>;
  using typename Share::Fragment;
  static constexpr int kPerThread = Share::kPerThread;
  static constexpr int kThreadsPerRow = depth / kPerThread;
  const float* __restrict__ src;
  long long ld;
  int rows, total_depth, r0;
  bool vectorised;

  __device__ int row() const { return r0 + threadIdx.x / kThreadsPerRow; }
  __device__ int k_offset() const { return (threadIdx.x % kThreadsPerRow) * kPerThread; }

  __device__ __forceinline__ void fetch(int k0, Fragment& v) const {
    const int r = row(), k = k0 + k_offset();
    const float* line = src + r * ld + k;
    const bool full = r < rows && k + kPerThread <= total_depth;
    if constexpr (kPerThread % 4 == 0) {
      if (vectorised && full) {
        load_quads<kPerThread>(line, v);
        return;
      }
    }
    LETHE_UNROLL
    for (int j = 0; j < kPerThread; ++j) v[j] = r < rows && k + j < total_depth ? line[j] : 0.0f;
  }
  template <int kLd>
  __device__ __forceinline__ void store(const Fragment& v, float (*tile)[kLd]) const {
    const int r = threadIdx.x / kThreadsPerRow, k = k_offset();
    LETHE_UNROLL
    for (int j = 0; j < kPerThread; ++j) tile[k + j][r] = v[j];
  }
};

// The thread-to-element map of operands whose row index is contiguous in the tile: each thread
// covers kPerThread consecutive rows r_offset() .. of depth index k_offset(), the same every step.
template <int tile_rows, int depth, int threads>
struct RowRunShare : TileShare<tile_rows, depth, threads> {
  using Share = TileShare<tile_rows, depth, threads>;
  static constexpr int kPerThread = Share::kPerThread;
  static constexpr int kThreadsPerK = tile_rows / kPerThread;
  __device__ static int k_offset() { return threadIdx.x / kThreadsPerK; }
  __device__ static int r_offset() { return (threadIdx.x % kThreadsPerK) * kPerThread; }
  template <int kLd>
  __device__ __forceinline__ static void store(const typename Share::Fragment& v,
                                               float (*tile)[kLd]) {
    float* line = &tile[k_offset()][r_offset()];
    if constexpr (kPerThread % 4 == 0) {
      LETHE_UNROLL
      for (int j = 0; j < kPerThread; j += 4) {
        *reinterpret_cast<float4*>(line + j) = make_float4(v[j], v[j + 1], v[j + 2], v[j + 3]);
      }
    } else {
      LETHE_UNROLL
      for (int j = 0; j < kPerThread; ++j) line[j] = v[j];
    }
  }
};

// A matrix whose row index is contiguous: value(r, k) = src[k * ld + r], rows x depth.
template <int tile_rows, int depth, int threads>
struct RowsContiguousSource : RowRunShare<tile_rows, depth, threads> {
  using Share = RowRunShare<tile_rows, depth, threads>;
  using typename Share::Fragment;
  static constexpr int kPerThread = Share::kPerThread;
  const float* __restrict__ src;
  long long ld;
  int rows, total_depth, r0;
  bool vectorised;

  __device__ __forceinline__ void fetch(int k0, Fragment& v) const {
    const int r = r0 + Share::r_offset(), k = k0 + Share::k_offset();
    const float* line = src + k * ld + r;
    const bool inside_depth = k < total_depth;
    if constexpr (kPerThread % 4 == 0) {
      if (vectorised && inside_depth && r + kPerThread <= rows) {
        load_quads<kPerThread>(line, v);
        return;
      }
    }
    LETHE_UNROLL
    for (int j = 0; j < kPerThread; ++j) v[j] = inside_depth && r + j < rows ? line[j] : 0.0f;
  }
};

// acc += a_tile^T b_tile over one staged depth step, for this thread's register block.
template <class Config>
__device__ __forceinline__ void multiply_tiles(const float (*a)[Config::kRows],
                                               const float (*b)[Config::kCols],
                                               RegisterBlock<Config>& acc) {
  const int row = tile_row_of<Config>(threadIdx.x, 0), col = tile_col_of<Config>(threadIdx.x, 0);
  constexpr int row_stride = Config::kRows / Config::kRowGroups;
  constexpr int col_stride = Config::kCols / Config::kColGroups;
  LETHE_UNROLL
  for (int k = 0; k < Config::kDepth; ++k) {
    float a_values[Config::kThreadRows], b_values[Config::kThreadCols];
    LETHE_UNROLL
    for (int g = 0; g < Config::kRowGroups; ++g) {
      const float4 quad = *reinterpret_cast<const float4*>(&a[k][row + g * row_stride]);
      a_values[4 * g] = quad.x, a_values[4 * g + 1] = quad.y;
      a_values[4 * g + 2] = quad.z, a_values[4 * g + 3] = quad.w;
    }
    LETHE_UNROLL
    for (int g = 0; g < Config::kColGroups; ++g) {
      const float4 quad = *reinterpret_cast<const float4*>(&b[k][col + g * col_stride]);
      b_values[4 * g] = quad.x, b_values[4 * g + 1] = quad.y;
      b_values[4 * g + 2] = quad.z, b_values[4 * g + 3] = quad.w;
    }
    LETHE_UNROLL
    for (int i = 0; i < Config::kThreadRows; ++i) {
      LETHE_UNROLL
      for (int j = 0; j < Config::kThreadCols; ++j) {
        acc.value[i][j] = fmaf(a_values[i], b_values[j], acc.value[i][j]);
      }
    }
  }
}

// visit(tile row, tile column, value) for each entry of this thread's register block.
template <class Config, class Visit>
__device__ __forceinline__ void for_each_result(const RegisterBlock<Config>& acc,
                                                DoubleTiles<Config>&, Visit visit) {
  LETHE_UNROLL
  for (int i = 0; i < Config::kThreadRows; ++i) {
    LETHE_UNROLL
    for (int j = 0; j < Config::kThreadCols; ++j) {
      visit(tile_row_of<Config>(threadIdx.x, i), tile_col_of<Config>(threadIdx.x, j),
            acc.value[i][j]);
    }
  }
}

// acc = sum over k in [k_begin, k_end) of op(A)(m, k) op(B)(k, n) for this thread's share of the
// tile (a RegisterBlock or a TensorCoreBlock), double-buffered as described at the top. k_begin
// is a multiple of kDepth. Ends with a barrier, so the tiles are free for the epilogue.
template <class Config, class SourceA, class SourceB, class Accumulators>
__device__ __forceinline__ void accumulate_tiles(const SourceA& a, const SourceB& b, int k_begin,
                                                 int k_end,
                                                 DoubleTiles<Config, Accumulators::kTilePad>& tiles,
                                                 Accumulators& acc) {
  typename SourceA::Fragment a_next;
  typename SourceB::Fragment b_next;
  a.fetch(k_begin, a_next);
  b.fetch(k_begin, b_next);
  Accumulators::stage_values(a_next);
  Accumulators::stage_values(b_next);
  a.store(a_next, tiles.a[0]);
  b.store(b_next, tiles.b[0]);
  __syncthreads();
  int stage = 0;
  for (int k0 = k_begin; k0 < k_end; k0 += Config::kDepth) {
    const bool more = k0 + Config::kDepth < k_end;
    if (more) {
      a.fetch(k0 + Config::kDepth, a_next);
      b.fetch(k0 + Config::kDepth, b_next);
    }
    multiply_tiles<Config>(tiles.a[stage], tiles.b[stage], acc);
    if (more) {
      Accumulators::stage_values(a_next);
      Accumulators::stage_values(b_next);
      a.store(a_next, tiles.a[stage ^ 1]);
      b.store(b_next, tiles.b[stage ^ 1]);
    }
    __syncthreads();
    stage ^= 1;
  }
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
