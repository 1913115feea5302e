// Row-major matrix multiply for the CPU backend. sgemm is the float workhorse behind matmul, linear
// and conv (through im2col): BLIS-style packing and cache blocking around a register-tiled
// micro-kernel picked at runtime (AVX-512, AVX2+FMA or portable C++). dgemm is a plain
// cache-blocked loop nest in double for the finite-difference gradient checks.
#pragma once
#include <cstdint>

namespace lethe::cpu {

// C(M,N) = alpha * op(A)(M,K) * op(B)(K,N) + beta * C, every matrix row-major.
// op(A) = A, stored M x K with leading dimension lda >= K, when !trans_a;
// op(A) = A^T, A stored K x M with lda >= M, when trans_a.   Same for B: K x N (ldb >= N) when
// !trans_b, stored N x K (ldb >= K) when trans_b.  C is M x N with ldc >= N.
// beta == 0 means C is write-only: its old contents, even NaN or Inf, are ignored.
// K == 0 or alpha == 0 only scales C by beta.  Any of M, N, K may be 0.
// Runs on omp_get_max_threads() threads for large products; inside an OpenMP parallel region it
// runs single-threaded and is safe to call from every thread at once.
void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Same contract in double; single-threaded, written for correctness rather than speed.
void dgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
           const double* A, int64_t lda, const double* B, int64_t ldb, double beta, double* C,
           int64_t ldc);

// How sgemm, and the convolutions through it, multiply: fp32 FMAs, or bf16 dot products (each
// operand rounded to bf16, to nearest even, as it is packed; the products summed in fp32, into an
// fp32 C). bf16 is PyTorch's CPU autocast for matmul and conv without its bf16 outputs: inputs,
// outputs and every other op stay fp32. Process-wide; not meant to change while sgemm runs.
enum class MatmulMath { fp32, bf16 };

// Sets the math; bf16 needs AVX-512 BF16 (cpu_supports_isa("avx512bf16")): without it nothing
// changes and it returns false (the caller says so and stays on fp32).
bool set_matmul_math(MatmulMath math);
MatmulMath matmul_math();

// Name of the micro-kernel family sgemm uses now: "avx512", "avx2" or "portable", or
// "avx512bf16" under MatmulMath::bf16.
const char* gemm_isa_name();

// Test hook: forces sgemm onto one micro-kernel family ("avx512", "avx2", "portable"), or back to
// the best one this CPU supports with "auto" or nullptr.  Returns false, changing nothing, when the
// CPU lacks the requested instructions.  Not meant to be called while other threads run sgemm.
bool set_gemm_isa_for_testing(const char* isa);

namespace detail {

// One register tile of C, handed from the blocking driver (gemm.cpp) to a micro-kernel:
//   C(rows, cols) = alpha * sum_k a(k, :) outer b(k, :) + beta * C
// a(k, r) = a[k * a_k_stride + r] for r < rows: the kernel may read up to mr rows (packed panels
// are padded with zero rows; rows past `rows` only reach C entries that are not stored);
// b(k, j) = b[k * b_k_stride + j] for j < nr: the kernel may read the full register width nr even
// when cols < nr, so narrow edge panels are packed and padded by the driver.
// C(r, j) = c[r * ldc + j]; only rows x cols elements are touched; beta == 0 never reads C.
// Segments (the taps of the direct and implicit convolutions, cpu/conv_direct.cpp and
// cpu/conv_implicit.cpp): the sum runs over max(segments, 1) * depth steps; segment s reads
// b(k, j) = b[b_segment_offsets[s] + k * b_k_stride + j] (b[k * b_k_stride + j] when the table is
// null, the plain tile) and a(k, r) = a[a_segment_offsets[s] + k * a_k_stride + r] (when that
// table is null, a continues from one segment to the next).
struct MicroTile {
  int64_t depth;
  const float* a;
  int64_t a_k_stride;
  const float* b;
  int64_t b_k_stride;
  int segments;
  const int64_t* b_segment_offsets;
  const int64_t* a_segment_offsets;
  float* c;
  int64_t ldc;
  int rows;  // 1 .. mr
  int cols;  // 1 .. nr
  float alpha;
  float beta;
};

using MicroKernel = void (*)(const MicroTile& tile);

// Packs `width` lines of `depth` contiguous floats (line w at src + w * src_w_stride) as one panel
// with the lines side by side: dst[k * panel_width + w] = src[w * src_w_stride + k], zero for
// width <= w < panel_width.  Packs op(A) = A into A panels and op(B) = B^T into B panels.
using TransposingPacker = void (*)(const float* src, int64_t src_w_stride, int64_t depth, int width,
                                   int panel_width, float* dst);

// Packs `width` columns of `depth` rows (row k at src + k * src_k_stride) as one panel:
// dst[k * panel_width + w] = src[k * src_k_stride + w], zero for width <= w < panel_width.
// Packs op(A) = A^T into A panels and op(B) = B into B panels. Same signature as
// TransposingPacker.
using RowPacker = TransposingPacker;

// The portable TransposingPacker and RowPacker (gemm.cpp).
void pack_transposed_panel_portable(const float* src, int64_t src_w_stride, int64_t depth,
                                    int width, int panel_width, float* dst);
void pack_row_panel_portable(const float* src, int64_t src_k_stride, int64_t depth, int width,
                             int panel_width, float* dst);

// A micro-kernel family with its register tile (mr x nr) and the cache blocks it was tuned for:
// packed A blocks are mc x kc, packed B blocks kc x nc (mc a multiple of mr, nc of nr; kc counts
// k, not words). Its kernels read 32-bit words, each holding k_per_word consecutive k: one fp32
// value, or two bf16 values (k = 2 p in the low half). Its packers read floats and write such
// words: row p of a panel holds k = k_per_word * p onwards, so a panel of depth k has
// ceil(depth / k_per_word) rows, and the k past depth are zero. With k_per_word = 1 the packers
// are the copies their comments say; pack_transposed is also what the convolutions use to
// transpose fp32 results, so they take it from an fp32 family (active_kernel_family).
// strided_a_kernel is the same product with a's rows two floats apart, a(k, r) =
// a[k * a_k_stride + 2 r] (a stride-2 convolution's pixels read in place, cpu/conv_implicit.cpp).
struct KernelFamily {
  const char* isa;
  int mr;
  int nr;
  int64_t mc;
  int64_t kc;
  int64_t nc;
  int k_per_word;
  MicroKernel kernel;
  MicroKernel strided_a_kernel;
  TransposingPacker pack_transposed;
  RowPacker pack_rows;

  // Rows of words that `depth` k take in this family's panels and operands.
  int64_t word_rows(int64_t depth) const { return (depth + k_per_word - 1) / k_per_word; }
};

// The fp32 family sgemm uses now (the best this CPU supports, or the one the test hook forced),
// for kernels that drive micro-kernels themselves (cpu/conv_weight_gradient.cpp).
const KernelFamily& active_kernel_family();
// The family sgemm multiplies with now: the bf16 one under MatmulMath::bf16, else
// active_kernel_family(). Its sums are fp32 either way; transpose them with an fp32 family.
const KernelFamily& matmul_kernel_family();

// Defined in gemm_avx512bf16.cpp / gemm_avx512.cpp / gemm_avx2.cpp, compiled with those
// instruction sets; call only when the CPU supports them.
const KernelFamily& avx512bf16_kernel_family();
const KernelFamily& avx512_kernel_family();
const KernelFamily& avx2_kernel_family();

}  // namespace detail
}  // namespace lethe::cpu
