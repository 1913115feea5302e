// TF32 tensor-core multiplication of the staged tiles of kernels/gemm_tile.cuh.
//
// The block's kRows x kCols tile is cut into one region per warp, kWarpRows x kWarpCols (32 rows,
// or the whole tile when it is shorter), each held as 16 x 16 fp32 accumulator fragments. A depth
// step loads 16 x 8 fragments of A straight from the depth-major A tile (a column-major matrix with
// leading dimension kRows + 4) and 8 x 16 fragments of B from the B tile (row-major, kCols + 4) and
// multiplies them with mma_sync (m16n16k8). The operands are rounded to TF32 (10 mantissa bits, to
// nearest, __float_to_tf32) once, as they are staged (TensorCoreBlock::stage_values), rather than
// by every warp that loads them: the fragments then hold exact TF32 values, as the API requires.
//
// The padding of 4 floats per tile row: in the TF32 fragment layout of mma.sync (m16n8k8), lane
// (g, t) = (lane / 4, lane % 4) reads A(m = g, k = t) and B(k = t, n = g), that is word
// t * ld + g of the tile. With ld a multiple of 32 the four lanes of each g hit one bank (4-way
// conflicts on every fragment load); with ld = 4 (mod 32) the 32 words land in 32 banks. Rows
// stay 16-byte aligned for the sources' float4 stores, and rows 0 and 8 of a stage 32-byte
// aligned, as fragment loads need.
//
// Products of TF32 values are exact in fp32 and the sums stay fp32, so the result differs from an
// fp32 GEMM only by the rounding of the operands: a relative error of at most 2^-11 per operand.
//
// Results leave through the warp's 16 x 20 floats of the (then idle) staged tiles: one fragment at
// a time is stored there, and the 32 lanes read it back as 8 rows of 16 consecutive columns each.
// Lane (g, t) stores words g * ld + 2t and + 1 of each row pair; rows of 20 floats keep that to
// 2-way bank conflicts, against 4-way with rows of 16.
#pragma once
#include <type_traits>

#include "kernels/gemm_tile.cuh"
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

constexpr int kTensorCoreSide = 16;  // fragment rows and columns (m16n16k8)
constexpr int kTensorCoreDepth = 8;  // fragment depth for TF32
constexpr int kThreadsPerWarp = 32;
constexpr int kTensorCorePad = 4;  // floats added to each staged tile row and staging row

template <class Config>
struct TensorCoreLayout {
  static constexpr int kWarps = Config::kThreads / kThreadsPerWarp;
  static constexpr int kWarpRows = Config::kRows < 32 ? Config::kRows : 32;
  static constexpr int kWarpCols = Config::kRows * Config::kCols / (kWarps * kWarpRows);
  static constexpr int kWarpsAcross = Config::kCols / kWarpCols;
  static constexpr int kFragmentRows = kWarpRows / kTensorCoreSide;
  static constexpr int kFragmentCols = kWarpCols / kTensorCoreSide;
  static constexpr int kStagingLd = kTensorCoreSide + kTensorCorePad;
  static constexpr int kStagingFloats = kTensorCoreSide * kStagingLd;  // per warp
  static_assert(kWarpRows % kTensorCoreSide == 0 && kWarpCols % kTensorCoreSide == 0,
                "warp regions are whole fragments");
  static_assert((Config::kRows / kWarpRows) * kWarpsAcross == kWarps, "one region per warp");
  static_assert(Config::kDepth % kTensorCoreDepth == 0, "depth steps are whole fragments");
  static_assert(sizeof(DoubleTiles<Config, kTensorCorePad>) >=
                    kWarps * kStagingFloats * sizeof(float),
                "the staged tiles hold every warp's result fragment");
  __device__ static int warp() { return threadIdx.x / kThreadsPerWarp; }
  __device__ static int row0() { return (warp() / kWarpsAcross) * kWarpRows; }
  __device__ static int col0() { return (warp() % kWarpsAcross) * kWarpCols; }
};

using TensorCoreAccumulator = nvcuda::wmma::fragment<nvcuda::wmma::accumulator, kTensorCoreSide,
                                                     kTensorCoreSide, kTensorCoreDepth, float>;

// This warp's region of the block's tile, zero at construction.
template <class Config>
struct TensorCoreBlock {
  using Layout = TensorCoreLayout<Config>;
  static constexpr int kTilePad = kTensorCorePad;  // the DoubleTiles padding multiply_tiles reads
  TensorCoreAccumulator fragment[Layout::kFragmentRows][Layout::kFragmentCols];
  // Operand values on their way into the tiles, rounded to TF32.
  template <int count>
  __device__ static void stage_values(float (&values)[count]) {
    LETHE_UNROLL
    for (int e = 0; e < count; ++e) values[e] = nvcuda::wmma::__float_to_tf32(values[e]);
  }
  __device__ TensorCoreBlock() {
    LETHE_UNROLL
    for (int i = 0; i < Layout::kFragmentRows; ++i) {
      LETHE_UNROLL
      for (int j = 0; j < Layout::kFragmentCols; ++j) {
        nvcuda::wmma::fill_fragment(fragment[i][j], 0.0f);
      }
    }
  }
};

// The accumulators of a kernel that multiplies on the tensor cores (kTf32) or the FMA units.
template <class Config, bool kTf32>
using Accumulators = std::conditional_t<kTf32, TensorCoreBlock<Config>, RegisterBlock<Config>>;

// acc += a_tile^T b_tile over one staged depth step, on the tensor cores.
template <class Config>
__device__ __forceinline__ void multiply_tiles(const float (*a)[Config::kRows + kTensorCorePad],
                                               const float (*b)[Config::kCols + kTensorCorePad],
                                               TensorCoreBlock<Config>& acc) {
  namespace wmma = nvcuda::wmma;
  using Layout = TensorCoreLayout<Config>;
  const int row0 = Layout::row0(), col0 = Layout::col0();
  LETHE_UNROLL
  for (int k = 0; k < Config::kDepth; k += kTensorCoreDepth) {
    wmma::fragment<wmma::matrix_a, kTensorCoreSide, kTensorCoreSide, kTensorCoreDepth,
                   wmma::precision::tf32, wmma::col_major>
        a_part[Layout::kFragmentRows];
    wmma::fragment<wmma::matrix_b, kTensorCoreSide, kTensorCoreSide, kTensorCoreDepth,
                   wmma::precision::tf32, wmma::row_major>
        b_part[Layout::kFragmentCols];
    LETHE_UNROLL
    for (int i = 0; i < Layout::kFragmentRows; ++i) {
      wmma::load_matrix_sync(a_part[i], &a[k][row0 + i * kTensorCoreSide],
                             Config::kRows + kTensorCorePad);
    }
    LETHE_UNROLL
    for (int j = 0; j < Layout::kFragmentCols; ++j) {
      wmma::load_matrix_sync(b_part[j], &b[k][col0 + j * kTensorCoreSide],
                             Config::kCols + kTensorCorePad);
    }
    LETHE_UNROLL
    for (int i = 0; i < Layout::kFragmentRows; ++i) {
      LETHE_UNROLL
      for (int j = 0; j < Layout::kFragmentCols; ++j) {
        wmma::mma_sync(acc.fragment[i][j], a_part[i], b_part[j], acc.fragment[i][j]);
      }
    }
  }
}

// visit(tile row, tile column, value) for each entry of this warp's region, a fragment at a time
// through the warp's staging area in `tiles`. Every thread of the block must have passed the
// barrier that ends accumulate_tiles.
template <class Config, class Visit>
__device__ __forceinline__ void for_each_result(const TensorCoreBlock<Config>& acc,
                                                DoubleTiles<Config, kTensorCorePad>& tiles,
                                                Visit visit) {
  using Layout = TensorCoreLayout<Config>;
  float* staging = reinterpret_cast<float*>(&tiles) + Layout::warp() * Layout::kStagingFloats;
  const int lane = threadIdx.x % kThreadsPerWarp;
  LETHE_UNROLL
  for (int i = 0; i < Layout::kFragmentRows; ++i) {
    LETHE_UNROLL
    for (int j = 0; j < Layout::kFragmentCols; ++j) {
      nvcuda::wmma::store_matrix_sync(staging, acc.fragment[i][j], Layout::kStagingLd,
                                      nvcuda::wmma::mem_row_major);
      __syncwarp();
      LETHE_UNROLL
      for (int e = lane; e < kTensorCoreSide * kTensorCoreSide; e += kThreadsPerWarp) {
        const int row = e / kTensorCoreSide, col = e % kTensorCoreSide;
        visit(Layout::row0() + i * kTensorCoreSide + row,
              Layout::col0() + j * kTensorCoreSide + col, staging[row * Layout::kStagingLd + col]);
      }
      __syncwarp();
    }
  }
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
