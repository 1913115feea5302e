// The tiled SGEMM against cpu::sgemm, emulated and native, with both tile shapes (64 x 64 and
// 128 x 128): every transpose combination, sizes that end inside a tile, padded leading dimensions,
// a misaligned base (scalar loads instead of float4), alpha/beta variants with NaN in C when beta
// == 0, K == 0, and the U-Net's linear-layer shapes.
#include <doctest/doctest.h>

#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "lethe/cpu/gemm.h"
#include "lethe/cuda/gemm.h"
#include "test_cuda_support.h"

namespace {

using lethe::cuda::GemmTiling;
using lethe::cuda::Target;
using lethe::cuda::testing::kParityTolerance;
using lethe::cuda::testing::normalised_mse;
using lethe::cuda::testing::random_values;
using lethe::cuda::testing::TargetBuffer;

struct GemmCase {
  int64_t m, n, k;
  float alpha = 1.0f, beta = 0.0f;
  int64_t extra_ld = 0;  // added to every leading dimension
  int64_t offset = 0;    // elements between each buffer's start and its matrix
};

std::string describe(const GemmCase& c, bool trans_a, bool trans_b, GemmTiling tiling) {
  std::ostringstream text;
  text << (tiling == GemmTiling::large ? "large " : "small ") << (trans_a ? "T" : "N")
       << (trans_b ? "T" : "N") << " M=" << c.m << " N=" << c.n << " K=" << c.k
       << " alpha=" << c.alpha << " beta=" << c.beta << " extra_ld=" << c.extra_ld
       << " offset=" << c.offset;
  return text.str();
}

template <Target target>
void check_gemm_case(const GemmCase& c, bool trans_a, bool trans_b, GemmTiling tiling,
                     std::mt19937& rng) {
  CAPTURE(describe(c, trans_a, trans_b, tiling));
  const int64_t a_rows = trans_a ? c.k : c.m, a_cols = trans_a ? c.m : c.k;
  const int64_t b_rows = trans_b ? c.n : c.k, b_cols = trans_b ? c.k : c.n;
  const int64_t lda = a_cols + c.extra_ld, ldb = b_cols + c.extra_ld, ldc = c.n + c.extra_ld;
  const auto a = random_values(c.offset + a_rows * lda, rng);
  const auto b = random_values(c.offset + b_rows * ldb, rng);
  auto expected = random_values(c.offset + c.m * ldc, rng);
  if (c.beta == 0.0f) expected.assign(expected.size(), std::numeric_limits<float>::quiet_NaN());
  TargetBuffer<target> a_t(a), b_t(b), c_t(expected);
  lethe::cpu::sgemm(trans_a, trans_b, c.m, c.n, c.k, c.alpha, a.data() + c.offset, lda,
                    b.data() + c.offset, ldb, c.beta, expected.data() + c.offset, ldc);
  lethe::cuda::sgemm<target>(trans_a, trans_b, c.m, c.n, c.k, c.alpha, a_t.data() + c.offset, lda,
                             b_t.data() + c.offset, ldb, c.beta, c_t.data() + c.offset, ldc,
                             tiling);
  std::vector<float> actual = c_t.download();
  // C's padding (NaN when beta == 0) must be untouched: compare only the matrix itself.
  std::vector<float> actual_matrix, expected_matrix;
  for (int64_t row = 0; row < c.m; ++row) {
    for (int64_t col = 0; col < c.n; ++col) {
      actual_matrix.push_back(actual[c.offset + row * ldc + col]);
      expected_matrix.push_back(expected[c.offset + row * ldc + col]);
    }
  }
  CHECK(normalised_mse(actual_matrix, expected_matrix) <= kParityTolerance);
}

template <Target target>
void check_gemm() {
  std::mt19937 rng(21);
  const GemmCase cases[] = {
      {1, 1, 1},
      {7, 13, 33},
      {64, 64, 64},
      {65, 129, 17, 0.5f, 0.0f},
      {33, 100, 70, 1.0f, 0.75f},
      {50, 67, 45, -2.0f, 1.0f, 3},
      {40, 72, 36, 1.0f, 0.0f, 4, 1},  // misaligned base: scalar loads
      {20, 30, 0, 1.0f, 0.5f},         // K == 0 scales C by beta
      {2, 256, 128},                   // U-Net time-embedding linear, batch 2
      {128, 196, 64},                  // a 1x1 convolution's GEMM at 14x14
  };
  for (GemmTiling tiling : {GemmTiling::small, GemmTiling::large}) {
    for (const GemmCase& c : cases) {
      for (bool trans_a : {false, true}) {
        for (bool trans_b : {false, true})
          check_gemm_case<target>(c, trans_a, trans_b, tiling, rng);
      }
    }
  }
}

}  // namespace

LETHE_CUDA_PARITY_TEST("sgemm", check_gemm)
