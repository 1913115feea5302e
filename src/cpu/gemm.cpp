// sgemm driver: runtime choice of micro-kernel family, BLIS-style packing and cache blocking, and
// OpenMP over blocks of C.  dgemm: a plain cache-blocked loop nest in double.
//
// Loop nest of one thread over its block of C (see gemm_on_this_thread):
//   for each nc-wide column block of C
//     for each kc-deep slice of K
//       pack op(B)(slice, column block) into nr-wide panels      (kc x nc, streams from L2)
//       for each mc-tall row block of C
//         pack op(A)(row block, slice) into mr-tall panels
//         for each mr-tall A panel                               (kc x mr, stays in L1)
//           for each nr-wide B panel: micro-kernel on the mr x nr tile of C
// Products with few rows skip packing op(B) = B and read its full panels in place.
// Threads split C into blocks and each runs this nest on its own block (gemm_on_team).
#include "lethe/cpu/gemm.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "lethe/cpu/isa.h"
#include "lethe/cpu/scratch.h"

namespace lethe::cpu {
namespace {

using detail::KernelFamily;
using detail::MicroTile;

// ---- portable micro-kernel ----------------------------------------------------------------------

constexpr int kPortableRows = 4;
constexpr int kPortableCols = 8;

// Plain loops over a full 4 x 8 tile (A panels are padded to 4 rows), which the compiler keeps in
// vector registers of the baseline ISA; only the rows x cols corner is stored. A's rows are
// A_STEP floats apart.
template <int A_STEP>
void portable_micro_kernel(const MicroTile& tile) {
  float acc[kPortableRows][kPortableCols] = {};
  const float* a = tile.a;
  const int segments = std::max(tile.segments, 1);
  for (int s = 0; s < segments; ++s) {
    const float* b = tile.b + (tile.b_segment_offsets != nullptr ? tile.b_segment_offsets[s] : 0);
    if (tile.a_segment_offsets != nullptr) a = tile.a + tile.a_segment_offsets[s];
    for (int64_t k = 0; k < tile.depth; ++k) {
      for (int r = 0; r < kPortableRows; ++r) {
        const float a_value = a[r * A_STEP];
        for (int j = 0; j < kPortableCols; ++j) acc[r][j] += a_value * b[j];
      }
      a += tile.a_k_stride;
      b += tile.b_k_stride;
    }
  }
  for (int r = 0; r < tile.rows; ++r) {
    float* c_row = tile.c + r * tile.ldc;
    for (int j = 0; j < tile.cols; ++j) {
      const float product = tile.alpha * acc[r][j];
      c_row[j] = tile.beta == 0.0f ? product : product + tile.beta * c_row[j];
    }
  }
}

const KernelFamily& portable_kernel_family() {
  constexpr int64_t kRowBlock = 128;
  constexpr int64_t kDepthBlock = 256;
  constexpr int64_t kColumnBlock = 1024;
  static const KernelFamily family{"portable",
                                   kPortableRows,
                                   kPortableCols,
                                   kRowBlock,
                                   kDepthBlock,
                                   kColumnBlock,
                                   1,
                                   &portable_micro_kernel<1>,
                                   &portable_micro_kernel<2>,
                                   &detail::pack_transposed_panel_portable,
                                   &detail::pack_row_panel_portable};
  return family;
}

// ---- runtime dispatch ---------------------------------------------------------------------------

const KernelFamily* family_for_isa(const char* isa) {
  if (std::strcmp(isa, "avx512") == 0) return &detail::avx512_kernel_family();
  if (std::strcmp(isa, "avx2") == 0) return &detail::avx2_kernel_family();
  if (std::strcmp(isa, "portable") == 0) return &portable_kernel_family();
  return nullptr;
}

const KernelFamily& best_family() {
  static const KernelFamily* const best = family_for_isa(cpu_isa_name());
  return *best;
}

// The test hook's choice; nullptr means the best family.
std::atomic<const KernelFamily*> forced_family{nullptr};

const KernelFamily& active_family() {
  const KernelFamily* forced = forced_family.load(std::memory_order_acquire);
  return forced != nullptr ? *forced : best_family();
}

std::atomic<MatmulMath> current_math{MatmulMath::fp32};

// The family sgemm runs: the bf16 one under MatmulMath::bf16, else the active fp32 one.
const KernelFamily& sgemm_family() {
  if (current_math.load(std::memory_order_acquire) == MatmulMath::bf16) {
    return detail::avx512bf16_kernel_family();
  }
  return active_family();
}

// ---- problem description ------------------------------------------------------------------------

struct GemmArgs {
  bool trans_a;
  bool trans_b;
  int64_t m;
  int64_t n;
  int64_t k;
  float alpha;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  float beta;
  float* c;
  int64_t ldc;
};

// The sub-problem computing C(row0 .. row0+rows, col0 .. col0+cols).
GemmArgs sub_block(const GemmArgs& g, int64_t row0, int64_t rows, int64_t col0, int64_t cols) {
  GemmArgs sub = g;
  sub.m = rows;
  sub.n = cols;
  sub.a = g.trans_a ? g.a + row0 : g.a + row0 * g.lda;
  sub.b = g.trans_b ? g.b + col0 * g.ldb : g.b + col0;
  sub.c = g.c + row0 * g.ldc + col0;
  return sub;
}

int64_t ceil_div(int64_t value, int64_t divisor) {
  return (value + divisor - 1) / divisor;
}

// C(M,N) = beta * C, with beta == 0 writing zeros whatever C held.
void scale_c(int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    if (beta == 0.0f) {
      std::fill(row, row + n, 0.0f);
    } else {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

// ---- packing ------------------------------------------------------------------------------------

// op(A)(row0 .. row0+rows, k0 .. k0+depth) as mr-tall panels, the panel of block row `row` at
// dst + row * word_rows(depth).
void pack_a_block(const GemmArgs& g, const KernelFamily& family, int64_t row0, int64_t rows,
                  int64_t k0, int64_t depth, float* dst) {
  const int mr = family.mr;
  for (int64_t panel_row = 0; panel_row < rows; panel_row += mr) {
    const int panel_rows = static_cast<int>(std::min<int64_t>(mr, rows - panel_row));
    const int64_t first_row = row0 + panel_row;
    float* panel = dst + panel_row * family.word_rows(depth);
    if (g.trans_a) {
      family.pack_rows(g.a + k0 * g.lda + first_row, g.lda, depth, panel_rows, mr, panel);
    } else {
      family.pack_transposed(g.a + first_row * g.lda + k0, g.lda, depth, panel_rows, mr, panel);
    }
  }
}

// op(B)(k0 .. k0+depth, col0+first_col .. col0+cols) as nr-wide panels, the panel of block column
// col at dst + col * word_rows(depth) (first_col a multiple of nr).
void pack_b_block(const GemmArgs& g, const KernelFamily& family, int64_t col0, int64_t first_col,
                  int64_t cols, int64_t k0, int64_t depth, float* dst) {
  const int nr = family.nr;
  for (int64_t panel_col = first_col; panel_col < cols; panel_col += nr) {
    const int panel_cols = static_cast<int>(std::min<int64_t>(nr, cols - panel_col));
    const int64_t b_col = col0 + panel_col;
    float* panel = dst + panel_col * family.word_rows(depth);
    if (g.trans_b) {
      family.pack_transposed(g.b + b_col * g.ldb + k0, g.ldb, depth, panel_cols, nr, panel);
    } else {
      family.pack_rows(g.b + k0 * g.ldb + b_col, g.ldb, depth, panel_cols, nr, panel);
    }
  }
}

// ---- blocked product on one thread --------------------------------------------------------------

// The B operand of one macro-kernel call, depth x cols of op(B) in nr-wide panels.  Block columns
// [0, in_place_cols) are full panels read straight from B (op(B) = B, fp32 families only) with
// row stride in_place_k_stride; the rest were packed, the panel of column col at
// packed + col * word_rows(depth).
struct BBlock {
  const float* packed;
  const float* in_place;
  int64_t in_place_k_stride;
  int64_t in_place_cols;
};

// C(rows, cols) = alpha * packed A block (rows x depth) * B block (depth x cols) + beta * C.
void macro_kernel(const KernelFamily& family, const float* packed_a, const BBlock& b, int64_t rows,
                  int64_t cols, int64_t depth, float alpha, float beta, float* c, int64_t ldc) {
  depth = family.word_rows(depth);
  MicroTile tile{};
  tile.depth = depth;
  tile.a_k_stride = family.mr;
  tile.ldc = ldc;
  tile.alpha = alpha;
  tile.beta = beta;
  for (int64_t row = 0; row < rows; row += family.mr) {
    tile.a = packed_a + row * depth;
    tile.rows = static_cast<int>(std::min<int64_t>(family.mr, rows - row));
    for (int64_t col = 0; col < cols; col += family.nr) {
      const bool in_place = col < b.in_place_cols;
      tile.b = in_place ? b.in_place + col : b.packed + col * depth;
      tile.b_k_stride = in_place ? b.in_place_k_stride : family.nr;
      tile.cols = static_cast<int>(std::min<int64_t>(family.nr, cols - col));
      tile.c = c + row * ldc + col;
      family.kernel(tile);
    }
  }
}

// kc is kept a multiple of this so that packing works on whole 16 x 16 blocks.
constexpr int64_t kDepthGranule = 16;

// The largest block <= max_block that splits extent into equal multiples of granule.
int64_t balanced_block(int64_t extent, int64_t max_block, int64_t granule) {
  const int64_t blocks = ceil_div(extent, max_block);
  return ceil_div(ceil_div(extent, blocks), granule) * granule;
}

// Products with at most this many rows read op(B) = B in place rather than packing it: each B
// element then serves too few rows for a packed copy to pay for itself.  Unless B's row stride is
// a multiple of 1 KiB: then its rows pile up in a few cache sets and evict each other.
constexpr int64_t kMaxRowsReadingBInPlace = 256;
constexpr int64_t kConflictingStrideFloats = 256;

bool read_b_in_place(const GemmArgs& g, const KernelFamily& family) {
  return family.k_per_word == 1 && !g.trans_b && g.m <= kMaxRowsReadingBInPlace &&
         g.ldb % kConflictingStrideFloats != 0;
}

// thread_scratch slots of the packed panels: the convolutions call the GEMM while they hold
// slots 0 to 4.
constexpr int kPackedASlot = 10, kPackedBSlot = 11;

// The whole product g (with k > 0) on the calling thread, packing into its own buffers.
void gemm_on_this_thread(const GemmArgs& g, const KernelFamily& family) {
  const int64_t mc = balanced_block(g.m, family.mc, family.mr);
  const int64_t nc = balanced_block(g.n, family.nc, family.nr);
  const int64_t kc = balanced_block(g.k, family.kc, kDepthGranule);
  const bool b_in_place = read_b_in_place(g, family);
  float* packed_a = thread_scratch<float, kPackedASlot>(mc * kc);
  float* packed_b = thread_scratch<float, kPackedBSlot>(nc * kc);
  for (int64_t col0 = 0; col0 < g.n; col0 += nc) {
    const int64_t cols = std::min(nc, g.n - col0);
    const int64_t in_place_cols = b_in_place ? cols / family.nr * family.nr : 0;
    for (int64_t k0 = 0; k0 < g.k; k0 += kc) {
      const int64_t depth = std::min(kc, g.k - k0);
      const float beta = k0 == 0 ? g.beta : 1.0f;
      pack_b_block(g, family, col0, in_place_cols, cols, k0, depth, packed_b);
      const BBlock b_block{packed_b, g.b + k0 * g.ldb + col0, g.ldb, in_place_cols};
      for (int64_t row0 = 0; row0 < g.m; row0 += mc) {
        const int64_t rows = std::min(mc, g.m - row0);
        pack_a_block(g, family, row0, rows, k0, depth, packed_a);
        macro_kernel(family, packed_a, b_block, rows, cols, depth, g.alpha, beta,
                     g.c + row0 * g.ldc + col0, g.ldc);
      }
    }
  }
}

// ---- threads ------------------------------------------------------------------------------------

// Multiply-adds below which one more thread costs more than it saves: a fork/join costs
// microseconds on a quiet machine but can cost a scheduler time slice on a busy one, so products
// of under ~10 us per thread (the U-Net's embedding projections) stay on one thread.
constexpr double kMinMultiplyAddsPerThread = 1 << 20;

int thread_count_for(const GemmArgs& g) {
  if (omp_in_parallel()) return 1;
  const double multiply_adds = static_cast<double>(g.m) * static_cast<double>(g.n) * g.k;
  const double useful = std::max(1.0, multiply_adds / kMinMultiplyAddsPerThread);
  return static_cast<int>(std::min(static_cast<double>(omp_get_max_threads()), useful));
}

struct ThreadGrid {
  int row_parts;
  int col_parts;
};

// Splits C into row_parts x col_parts = threads blocks: fewest register tiles on the busiest
// thread first, then the least packing (rows + cols of one block).
ThreadGrid choose_thread_grid(int threads, int64_t row_tiles, int64_t col_tiles, int mr, int nr) {
  ThreadGrid best{1, threads};
  int64_t best_tiles = -1;
  int64_t best_packing = 0;
  for (int row_parts = 1; row_parts <= threads; ++row_parts) {
    if (threads % row_parts != 0) continue;
    const int col_parts = threads / row_parts;
    const int64_t rows = ceil_div(row_tiles, row_parts);
    const int64_t cols = ceil_div(col_tiles, col_parts);
    const int64_t tiles = rows * cols;
    const int64_t packing = rows * mr + cols * nr;
    if (best_tiles < 0 || tiles < best_tiles || (tiles == best_tiles && packing < best_packing)) {
      best = {row_parts, col_parts};
      best_tiles = tiles;
      best_packing = packing;
    }
  }
  return best;
}

// Each thread of the team computes its own block of C, end to end, with its own packing buffers.
void gemm_on_team(const GemmArgs& g, const KernelFamily& family, int threads) {
#pragma omp parallel num_threads(threads)
  {
    const int team = omp_get_num_threads();
    const int64_t row_tiles = ceil_div(g.m, family.mr);
    const int64_t col_tiles = ceil_div(g.n, family.nr);
    const ThreadGrid grid = choose_thread_grid(team, row_tiles, col_tiles, family.mr, family.nr);
    const int64_t block_rows = ceil_div(row_tiles, grid.row_parts) * family.mr;
    const int64_t block_cols = ceil_div(col_tiles, grid.col_parts) * family.nr;
    const int thread = omp_get_thread_num();
    const int64_t row0 = (thread / grid.col_parts) * block_rows;
    const int64_t col0 = (thread % grid.col_parts) * block_cols;
    if (row0 < g.m && col0 < g.n) {
      const int64_t rows = std::min(block_rows, g.m - row0);
      const int64_t cols = std::min(block_cols, g.n - col0);
      gemm_on_this_thread(sub_block(g, row0, rows, col0, cols), family);
    }
  }
}

// ---- dgemm --------------------------------------------------------------------------------------

constexpr int64_t kDgemmBlock = 128;

// C(M,N) += alpha * op(A)(M, k0..k1) * op(B)(k0..k1, col0..col1).
void dgemm_block(bool trans_a, bool trans_b, int64_t M, int64_t k0, int64_t k1, int64_t col0,
                 int64_t col1, double alpha, const double* A, int64_t lda, const double* B,
                 int64_t ldb, double* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    double* c_row = C + i * ldc;
    for (int64_t k = k0; k < k1; ++k) {
      const double a_value = alpha * (trans_a ? A[k * lda + i] : A[i * lda + k]);
      if (trans_b) {
        for (int64_t j = col0; j < col1; ++j) c_row[j] += a_value * B[j * ldb + k];
      } else {
        const double* b_row = B + k * ldb;
        for (int64_t j = col0; j < col1; ++j) c_row[j] += a_value * b_row[j];
      }
    }
  }
}

}  // namespace

namespace detail {

const KernelFamily& active_kernel_family() {
  return active_family();
}

const KernelFamily& matmul_kernel_family() {
  return sgemm_family();
}

void pack_row_panel_portable(const float* src, int64_t src_k_stride, int64_t depth, int width,
                             int panel_width, float* dst) {
  for (int64_t k = 0; k < depth; ++k) {
    const float* src_row = src + k * src_k_stride;
    float* dst_row = dst + k * panel_width;
    for (int w = 0; w < width; ++w) dst_row[w] = src_row[w];
    for (int w = width; w < panel_width; ++w) dst_row[w] = 0.0f;
  }
}

void pack_transposed_panel_portable(const float* src, int64_t src_w_stride, int64_t depth,
                                    int width, int panel_width, float* dst) {
  for (int w = 0; w < width; ++w) {
    const float* src_line = src + w * src_w_stride;
    for (int64_t k = 0; k < depth; ++k) dst[k * panel_width + w] = src_line[k];
  }
  for (int w = width; w < panel_width; ++w) {
    for (int64_t k = 0; k < depth; ++k) dst[k * panel_width + w] = 0.0f;
  }
}

}  // namespace detail

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  const GemmArgs g{trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc};
  const KernelFamily& family = sgemm_family();
  const int threads = thread_count_for(g);
  if (threads == 1) {
    gemm_on_this_thread(g, family);
  } else {
    gemm_on_team(g, family, threads);
  }
}

void dgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
           const double* A, int64_t lda, const double* B, int64_t ldb, double beta, double* C,
           int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    double* c_row = C + i * ldc;
    for (int64_t j = 0; j < N; ++j) c_row[j] = beta == 0.0 ? 0.0 : beta * c_row[j];
  }
  if (alpha == 0.0) return;
  for (int64_t col0 = 0; col0 < N; col0 += kDgemmBlock) {
    const int64_t col1 = std::min(N, col0 + kDgemmBlock);
    for (int64_t k0 = 0; k0 < K; k0 += kDgemmBlock) {
      const int64_t k1 = std::min(K, k0 + kDgemmBlock);
      dgemm_block(trans_a, trans_b, M, k0, k1, col0, col1, alpha, A, lda, B, ldb, C, ldc);
    }
  }
}

bool set_matmul_math(MatmulMath math) {
  if (math == MatmulMath::bf16 && !cpu_supports_isa("avx512bf16")) return false;
  current_math.store(math, std::memory_order_release);
  return true;
}

MatmulMath matmul_math() {
  return current_math.load(std::memory_order_acquire);
}

const char* gemm_isa_name() {
  return sgemm_family().isa;
}

bool set_gemm_isa_for_testing(const char* isa) {
  if (isa == nullptr || std::strcmp(isa, "auto") == 0) {
    forced_family.store(nullptr, std::memory_order_release);
    return true;
  }
  const KernelFamily* family = family_for_isa(isa);
  if (family == nullptr || !cpu_supports_isa(isa)) return false;
  forced_family.store(family, std::memory_order_release);
  return true;
}

}  // namespace lethe::cpu
