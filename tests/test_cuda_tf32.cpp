// TF32 tensor-core math (Float32Math::tf32): the emulated nvcuda::wmma API (rounding, a warp's
// product, warp collectivity), then the tiled SGEMM and the three implicit-GEMM convolutions in
// TF32, emulated and native.
//
// Truth for a TF32 kernel is the CPU backend run on operands rounded to TF32 by
// tf32_reference() below, an arithmetic rounding written independently of the emulator's bit
// manipulation: products of TF32 values are exact in fp32, so the kernels must then match up to
// the order of the fp32 sums, kRoundedTolerance (normalised MSE <= 1e-10, far below the ~1.6e-7 an
// unrounded operand would cost). Against the unrounded fp32 answer they differ by the
// operand rounding alone, stated as kTf32Tolerance: each operand moves by at most 2^-11 relative,
// a product by at most 2^-10, so normalised MSE <= (2^-10)^2 ~ 9.5e-7 plus accumulation error;
// random operands sit near 1.6e-7. A check that the TF32 result is further than 1e-10 from the fp32
// one proves the tensor-core path is taken.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "kernels/simt.cuh"
#include "kernels/tensor_core_tile.cuh"
#include "lethe/cpu/conv.h"
#include "lethe/cpu/gemm.h"
#include "lethe/cuda/conv.h"
#include "lethe/cuda/gemm.h"
#include "test_cuda_support.h"

namespace {

using lethe::ConvGeometry;
using lethe::cuda::Float32Math;
using lethe::cuda::GemmTiling;
using lethe::cuda::Target;
using lethe::cuda::testing::kParityTolerance;
using lethe::cuda::testing::normalised_mse;
using lethe::cuda::testing::random_values;
using lethe::cuda::testing::TargetBuffer;

constexpr double kRoundedTolerance = 1e-10;  // TF32 result against fp32 math on rounded operands
constexpr double kTf32Tolerance = 2e-6;      // TF32 result against the unrounded fp32 answer
constexpr double kRoundingVisible = 1e-10;   // TF32 result differs from fp32 by more than this

// Nearest value with 11 significant bits (TF32), ties away from zero; by frexp/round/ldexp.
float tf32_reference(float value) {
  if (!std::isfinite(value) || value == 0.0f) return value;
  int exponent = 0;
  const double fraction = std::frexp(static_cast<double>(value), &exponent);  // [0.5, 1)
  return static_cast<float>(std::ldexp(std::round(std::ldexp(fraction, 11)), exponent - 11));
}

std::vector<float> tf32_rounded(std::vector<float> values) {
  for (float& value : values) value = tf32_reference(value);
  return values;
}

// ---- the emulated wmma API ----------------------------------------------------------------------

namespace wmma = nvcuda::wmma;
using lethe::kernels::kTensorCoreDepth;
using lethe::kernels::kTensorCoreSide;
using lethe::kernels::TensorCoreAccumulator;

template <class Fragment>
void round_to_tf32(Fragment& fragment) {
  for (float& element : fragment.x) element = wmma::__float_to_tf32(element);
}

// d (16 x 16) = round(a) (16 x 8, row-major) round(b) (8 x 16, column-major) + c (16 x 16), by one
// warp.
__global__ void warp_product(const float* a, const float* b, const float* c, float* d) {
  wmma::fragment<wmma::matrix_a, kTensorCoreSide, kTensorCoreSide, kTensorCoreDepth,
                 wmma::precision::tf32, wmma::row_major>
      a_part;
  wmma::fragment<wmma::matrix_b, kTensorCoreSide, kTensorCoreSide, kTensorCoreDepth,
                 wmma::precision::tf32, wmma::col_major>
      b_part;
  TensorCoreAccumulator acc;
  wmma::load_matrix_sync(a_part, a, kTensorCoreDepth);
  wmma::load_matrix_sync(b_part, b, kTensorCoreDepth);
  wmma::load_matrix_sync(acc, c, kTensorCoreSide, wmma::mem_row_major);
  round_to_tf32(a_part);
  round_to_tf32(b_part);
  wmma::mma_sync(acc, a_part, b_part, acc);
  wmma::store_matrix_sync(d, acc, kTensorCoreSide, wmma::mem_col_major);
}

// Only the first half of the warp reaches the fragment load.
__global__ void half_warp_load(const float* a) {
  TensorCoreAccumulator acc;
  if (threadIdx.x < 16) wmma::load_matrix_sync(acc, a, kTensorCoreSide, wmma::mem_row_major);
}

// ---- the SGEMM ----------------------------------------------------------------------------------

struct GemmCase {
  int64_t m, n, k;
  float alpha = 1.0f, beta = 0.0f;
};

template <Target target>
void check_gemm_case(const GemmCase& c, bool trans_a, bool trans_b, GemmTiling tiling,
                     std::mt19937& rng) {
  CAPTURE(c.m);
  CAPTURE(c.n);
  CAPTURE(c.k);
  CAPTURE(trans_a);
  CAPTURE(trans_b);
  CAPTURE(tiling == GemmTiling::large);
  const int64_t lda = trans_a ? c.m : c.k, ldb = trans_b ? c.k : c.n;
  const auto a = random_values(c.m * c.k, rng), b = random_values(c.k * c.n, rng);
  const auto c0 = random_values(c.m * c.n, rng);
  std::vector<float> exact = c0, of_rounded = c0;
  lethe::cpu::sgemm(trans_a, trans_b, c.m, c.n, c.k, c.alpha, a.data(), lda, b.data(), ldb, c.beta,
                    exact.data(), c.n);
  lethe::cpu::sgemm(trans_a, trans_b, c.m, c.n, c.k, c.alpha, tf32_rounded(a).data(), lda,
                    tf32_rounded(b).data(), ldb, c.beta, of_rounded.data(), c.n);
  TargetBuffer<target> a_t(a), b_t(b), c_t(c0);
  lethe::cuda::sgemm<target>(trans_a, trans_b, c.m, c.n, c.k, c.alpha, a_t.data(), lda, b_t.data(),
                             ldb, c.beta, c_t.data(), c.n, tiling, Float32Math::tf32);
  const std::vector<float> result = c_t.download();
  CHECK(normalised_mse(result, of_rounded) <= kRoundedTolerance);
  CHECK(normalised_mse(result, exact) <= kTf32Tolerance);
  if (c.k >= 16) CHECK(normalised_mse(result, exact) > kRoundingVisible);
}

template <Target target>
void check_gemm_tf32() {
  std::mt19937 rng(71);
  const GemmCase cases[] = {
      {1, 1, 1},      {7, 13, 33}, {65, 129, 17, 0.5f, 0.0f}, {33, 100, 70, 1.0f, 0.75f},
      {128, 196, 64},  // a 1x1 convolution's GEMM at 14x14
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

// ---- the convolutions ---------------------------------------------------------------------------

const ConvGeometry kGeometries[] = {
    // batch, Cin, H, W, Cout, KH, KW, stride, padding
    {2, 32, 14, 14, 64, 3, 3, 1, 1},  // U-Net ResBlock conv (64-channel tiles)
    {2, 16, 8, 8, 32, 3, 3, 2, 1},    // a downsample (32-channel tiles)
    {3, 5, 9, 11, 7, 3, 3, 1, 1},     // odd sizes inside every tile
    {2, 3, 6, 5, 65, 5, 3, 2, 2},     // non-square kernel, channels past 64
};

template <Target target>
void check_conv_tf32() {
  std::mt19937 rng(72);
  for (const ConvGeometry& g : kGeometries) {
    CAPTURE(g.in_channels);
    CAPTURE(g.out_channels);
    CAPTURE(g.height);
    CAPTURE(g.stride);
    const auto x = random_values(g.batch * g.in_channels * g.height * g.width, rng);
    const auto weight = random_values(g.out_channels * g.patch(), rng);
    const auto bias = random_values(g.out_channels, rng);
    const auto grad_y = random_values(g.batch * g.out_channels * g.out_h() * g.out_w(), rng);
    const auto x_r = tf32_rounded(x), weight_r = tf32_rounded(weight);
    const auto grad_y_r = tf32_rounded(grad_y);
    std::vector<float> y(grad_y.size()), grad_x(x.size()), grad_weight(weight.size()),
        grad_bias(g.out_channels), y_exact(grad_y.size());
    lethe::cpu::conv2d_forward<float>(g, x_r.data(), weight_r.data(), bias.data(), y.data());
    lethe::cpu::conv2d_forward<float>(g, x.data(), weight.data(), bias.data(), y_exact.data());
    lethe::cpu::conv2d_backward_input<float>(g, grad_y_r.data(), weight_r.data(), grad_x.data());
    lethe::cpu::conv2d_backward_weight<float>(g, grad_y_r.data(), x_r.data(), grad_weight.data(),
                                              grad_bias.data());
    TargetBuffer<target> x_t(x), weight_t(weight), bias_t(bias), grad_y_t(grad_y),
        y_t(grad_y.size()), grad_x_t(x.size()), grad_weight_t(weight.size()),
        grad_bias_t(grad_bias.size());
    lethe::cuda::conv2d_forward<target>(g, x_t.data(), weight_t.data(), bias_t.data(), y_t.data(),
                                        Float32Math::tf32);
    lethe::cuda::conv2d_backward_input<target>(g, grad_y_t.data(), weight_t.data(), grad_x_t.data(),
                                               Float32Math::tf32);
    lethe::cuda::conv2d_backward_weight<target>(g, grad_y_t.data(), x_t.data(),
                                                grad_weight_t.data(), grad_bias_t.data(),
                                                Float32Math::tf32);
    const std::vector<float> y_result = y_t.download();
    CHECK(normalised_mse(y_result, y) <= kRoundedTolerance);
    CHECK(normalised_mse(y_result, y_exact) <= kTf32Tolerance);
    CHECK(normalised_mse(y_result, y_exact) > kRoundingVisible);
    CHECK(normalised_mse(grad_x_t.download(), grad_x) <= kRoundedTolerance);
    CHECK(normalised_mse(grad_weight_t.download(), grad_weight) <= kRoundedTolerance);
    // The bias gradient is a plain fp32 sum of the unrounded grad_y.
    std::vector<float> grad_weight_exact(weight.size()), grad_bias_exact(g.out_channels);
    lethe::cpu::conv2d_backward_weight<float>(g, grad_y.data(), x.data(), grad_weight_exact.data(),
                                              grad_bias_exact.data());
    CHECK(normalised_mse(grad_bias_t.download(), grad_bias_exact) <= kParityTolerance);
  }
}

}  // namespace

TEST_CASE("cuda emulated: __float_to_tf32 rounds to 10 mantissa bits, ties away from zero") {
  const float ulp = std::ldexp(1.0f, -10);  // TF32's spacing at 1
  CHECK(wmma::__float_to_tf32(1.0f) == 1.0f);
  CHECK(wmma::__float_to_tf32(1.0f + ulp / 4) == 1.0f);
  CHECK(wmma::__float_to_tf32(1.0f + ulp / 2) == 1.0f + ulp);  // a tie, away from zero
  CHECK(wmma::__float_to_tf32(-(1.0f + ulp / 2)) == -(1.0f + ulp));
  CHECK(wmma::__float_to_tf32(1.0f + 1.5f * ulp) == 1.0f + 2 * ulp);  // a tie, away from zero
  CHECK(wmma::__float_to_tf32(1.0f + 0.75f * ulp) == 1.0f + ulp);
  CHECK(std::isinf(wmma::__float_to_tf32(std::numeric_limits<float>::max())));
  CHECK(std::isinf(wmma::__float_to_tf32(std::numeric_limits<float>::infinity())));
  CHECK(std::isnan(wmma::__float_to_tf32(std::numeric_limits<float>::quiet_NaN())));
  std::mt19937 rng(70);
  std::uniform_real_distribution<float> uniform(-1e3f, 1e3f);
  int mismatches = 0;
  for (int i = 0; i < 100000; ++i) {
    const float value = uniform(rng);
    if (wmma::__float_to_tf32(value) != tf32_reference(value)) ++mismatches;
  }
  CHECK(mismatches == 0);
}

// Fragment memory as a GPU needs it: 32-byte aligned.
template <size_t count>
struct alignas(32) FragmentMemory {
  float values[count];
  float* data() { return values; }
};

TEST_CASE("cuda emulated: a warp's TF32 mma_sync is the product of the rounded operands") {
  std::mt19937 rng(73);
  FragmentMemory<kTensorCoreSide * kTensorCoreDepth> a, b;
  FragmentMemory<kTensorCoreSide * kTensorCoreSide> c, d;
  for (auto* operand : {a.values, b.values}) {
    const auto values = random_values(kTensorCoreSide * kTensorCoreDepth, rng);
    std::copy(values.begin(), values.end(), operand);
  }
  const auto c_values = random_values(kTensorCoreSide * kTensorCoreSide, rng);
  std::copy(c_values.begin(), c_values.end(), c.values);
  std::fill(std::begin(d.values), std::end(d.values), std::numeric_limits<float>::quiet_NaN());
  lethe::simt::launch(warp_product, 1, 32, 0, a.data(), b.data(), c.data(), d.data());
  for (int row = 0; row < kTensorCoreSide; ++row) {
    for (int col = 0; col < kTensorCoreSide; ++col) {
      double expected = c.values[row * kTensorCoreSide + col];
      for (int k = 0; k < kTensorCoreDepth; ++k) {
        expected += static_cast<double>(tf32_reference(a.values[row * kTensorCoreDepth + k])) *
                    tf32_reference(b.values[col * kTensorCoreDepth + k]);
      }
      // d is stored column-major.
      CHECK(d.values[col * kTensorCoreSide + row] == doctest::Approx(expected).epsilon(1e-6));
    }
  }
}

TEST_CASE("cuda emulated: a fragment operation that half the warp skips is a deadlock") {
  FragmentMemory<kTensorCoreSide * kTensorCoreSide> a{};
  CHECK_THROWS_WITH_AS(lethe::simt::launch(half_warp_load, 1, 32, 0, a.data()),
                       doctest::Contains("deadlock"), std::runtime_error);
}

TEST_CASE("cuda emulated: fragment memory that a GPU would fault on is refused") {
  FragmentMemory<2 * kTensorCoreSide * kTensorCoreSide> a{};
  CHECK_THROWS_WITH_AS(lethe::simt::launch(half_warp_load, 1, 32, 0, a.data() + 4),
                       doctest::Contains("32-byte aligned"), std::runtime_error);
}

LETHE_CUDA_PARITY_TEST("sgemm in tf32", check_gemm_tf32)
LETHE_CUDA_PARITY_TEST("conv2d forward and backward in tf32", check_conv_tf32)
