// The vendor baselines (cuBLAS SGEMM, cuDNN convolutions) against the hand-written kernels and the
// CPU backend, and `--kernels` selection (hand, vendor, auto) through cuda::selected. Native only:
// skipped with a message when no GPU is visible, absent from builds without CUDA.
#ifdef LETHE_WITH_CUDA
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "lethe/core/error.h"
#include "lethe/cpu/conv.h"
#include "lethe/cpu/gemm.h"
#include "lethe/cuda/conv.h"
#include "lethe/cuda/gemm.h"
#include "lethe/cuda/kernel_selection.h"
#include "lethe/cuda/vendor_conv.h"
#include "lethe/cuda/vendor_gemm.h"
#include "test_cuda_support.h"

namespace {

using lethe::ConvGeometry;
using lethe::cuda::KernelSource;
using lethe::cuda::Target;
using lethe::cuda::testing::kParityTolerance;
using lethe::cuda::testing::normalised_mse;
using lethe::cuda::testing::random_values;
using Buffer = lethe::cuda::testing::TargetBuffer<Target::native>;

#define LETHE_REQUIRE_GPU()                            \
  if (!lethe::cuda::testing::native_gpu_available()) { \
    MESSAGE("skipped: no CUDA device visible");        \
    return;                                            \
  }

TEST_CASE("cuda native: cuBLAS SGEMM matches the hand-written kernel and the CPU") {
  LETHE_REQUIRE_GPU();
  std::mt19937 rng(41);
  const int64_t shapes[][3] = {{1, 1, 1}, {65, 129, 17}, {128, 196, 64}, {300, 257, 513}};
  for (const auto& [m, n, k] : shapes) {
    for (bool trans_a : {false, true}) {
      for (bool trans_b : {false, true}) {
        CAPTURE(m);
        CAPTURE(n);
        CAPTURE(k);
        CAPTURE(trans_a);
        CAPTURE(trans_b);
        const auto a = random_values(m * k, rng), b = random_values(k * n, rng);
        const auto c0 = random_values(m * n, rng);
        const int64_t lda = trans_a ? m : k, ldb = trans_b ? k : n;
        std::vector<float> expected = c0;
        lethe::cpu::sgemm(trans_a, trans_b, m, n, k, 1.5f, a.data(), lda, b.data(), ldb, 0.5f,
                          expected.data(), n);
        Buffer a_t(a), b_t(b), vendor_c(c0), hand_c(c0);
        lethe::cuda::cublas_sgemm(trans_a, trans_b, m, n, k, 1.5f, a_t.data(), lda, b_t.data(), ldb,
                                  0.5f, vendor_c.data(), n);
        lethe::cuda::sgemm<Target::native>(trans_a, trans_b, m, n, k, 1.5f, a_t.data(), lda,
                                           b_t.data(), ldb, 0.5f, hand_c.data(), n);
        CHECK(normalised_mse(vendor_c.download(), expected) <= kParityTolerance);
        CHECK(normalised_mse(vendor_c.download(), hand_c.download()) <= kParityTolerance);
      }
    }
  }
}

const ConvGeometry kVendorGeometries[] = {
    // batch, Cin, H, W, Cout, KH, KW, stride, padding
    {4, 32, 14, 14, 64, 3, 3, 1, 1},
    {3, 32, 28, 28, 32, 3, 3, 2, 1},
    {2, 96, 14, 14, 64, 1, 1, 1, 0},
    {2, 3, 9, 11, 65, 5, 3, 2, 2},
};

TEST_CASE("cuda native: cuDNN convolutions match the hand-written kernels and the CPU") {
  LETHE_REQUIRE_GPU();
  std::mt19937 rng(42);
  for (const ConvGeometry& g : kVendorGeometries) {
    CAPTURE(g.in_channels);
    CAPTURE(g.out_channels);
    CAPTURE(g.stride);
    CAPTURE(g.kernel_h);
    const auto x = random_values(g.batch * g.in_channels * g.height * g.width, rng);
    const auto weight = random_values(g.out_channels * g.patch(), rng);
    const auto bias = random_values(g.out_channels, rng);
    const auto grad_y = random_values(g.batch * g.out_channels * g.out_h() * g.out_w(), rng);
    std::vector<float> y(grad_y.size()), grad_x(x.size()), grad_w(weight.size()),
        grad_b(bias.size());
    lethe::cpu::conv2d_forward<float>(g, x.data(), weight.data(), bias.data(), y.data());
    lethe::cpu::conv2d_backward_input<float>(g, grad_y.data(), weight.data(), grad_x.data());
    lethe::cpu::conv2d_backward_weight<float>(g, grad_y.data(), x.data(), grad_w.data(),
                                              grad_b.data());
    Buffer x_t(x), weight_t(weight), bias_t(bias), grad_y_t(grad_y);
    Buffer y_vendor(y.size()), grad_x_vendor(x.size()), grad_w_vendor(weight.size()),
        grad_b_vendor(bias.size()), y_hand(y.size()), grad_x_hand(x.size());
    lethe::cuda::cudnn_conv2d_forward(g, x_t.data(), weight_t.data(), bias_t.data(),
                                      y_vendor.data());
    lethe::cuda::cudnn_conv2d_backward_input(g, grad_y_t.data(), weight_t.data(),
                                             grad_x_vendor.data());
    lethe::cuda::cudnn_conv2d_backward_weight(g, grad_y_t.data(), x_t.data(), grad_w_vendor.data(),
                                              grad_b_vendor.data());
    lethe::cuda::conv2d_forward<Target::native>(g, x_t.data(), weight_t.data(), bias_t.data(),
                                                y_hand.data());
    lethe::cuda::conv2d_backward_input<Target::native>(g, grad_y_t.data(), weight_t.data(),
                                                       grad_x_hand.data());
    CHECK(normalised_mse(y_vendor.download(), y) <= kParityTolerance);
    CHECK(normalised_mse(grad_x_vendor.download(), grad_x) <= kParityTolerance);
    CHECK(normalised_mse(grad_w_vendor.download(), grad_w) <= kParityTolerance);
    CHECK(normalised_mse(grad_b_vendor.download(), grad_b) <= kParityTolerance);
    CHECK(normalised_mse(y_vendor.download(), y_hand.download()) <= kParityTolerance);
    CHECK(normalised_mse(grad_x_vendor.download(), grad_x_hand.download()) <= kParityTolerance);
  }
}

TEST_CASE("cuda native: --kernels hand, vendor and auto all give the CPU's answer") {
  CHECK(lethe::cuda::parse_kernel_source("auto") == KernelSource::automatic);
  CHECK_THROWS_AS(lethe::cuda::parse_kernel_source("fastest"), lethe::Error);
  LETHE_REQUIRE_GPU();
  std::mt19937 rng(43);
  const ConvGeometry g{2, 16, 10, 10, 24, 3, 3, 1, 1};
  const auto x = random_values(g.batch * g.in_channels * g.height * g.width, rng);
  const auto weight = random_values(g.out_channels * g.patch(), rng);
  const auto a = random_values(70 * 50, rng), b = random_values(50 * 90, rng);
  std::vector<float> y(g.batch * g.out_channels * g.out_h() * g.out_w()), c(70 * 90, 0.25f);
  std::vector<float> c_expected = c;
  lethe::cpu::conv2d_forward<float>(g, x.data(), weight.data(), nullptr, y.data());
  lethe::cpu::sgemm(false, false, 70, 90, 50, 1.0f, a.data(), 50, b.data(), 90, 2.0f,
                    c_expected.data(), 90);
  const KernelSource previous = lethe::cuda::kernel_source();
  for (KernelSource source : {KernelSource::hand, KernelSource::vendor, KernelSource::automatic}) {
    CAPTURE(lethe::cuda::kernel_source_name(source));
    lethe::cuda::set_kernel_source(source);
    Buffer x_t(x), weight_t(weight), y_t(y.size()), a_t(a), b_t(b), c_t(c);
    lethe::cuda::selected::conv2d_forward(g, x_t.data(), weight_t.data(), nullptr, y_t.data());
    lethe::cuda::selected::sgemm(false, false, 70, 90, 50, 1.0f, a_t.data(), 50, b_t.data(), 90,
                                 2.0f, c_t.data(), 90);
    CHECK(normalised_mse(y_t.download(), y) <= kParityTolerance);
    CHECK(normalised_mse(c_t.download(), c_expected) <= kParityTolerance);
  }
  CHECK(lethe::cuda::automatic_choices().size() >= 2);
  lethe::cuda::set_kernel_source(previous);
}

// cuBLAS and cuDNN round TF32 operands their own way (not necessarily to nearest), so they are
// held to the TF32 bound against the fp32 answer (test_cuda_tf32.cpp explains it) and must differ
// from it, which shows the tensor cores ran.
TEST_CASE("cuda native: --precision tf32 runs cuBLAS and cuDNN on the tensor cores") {
  CHECK(lethe::cuda::parse_float32_math("tf32") == lethe::cuda::Float32Math::tf32);
  CHECK_THROWS_AS(lethe::cuda::parse_float32_math("fp16"), lethe::Error);
  LETHE_REQUIRE_GPU();
  constexpr double kTf32Tolerance = 2e-6, kRoundingVisible = 1e-10;
  std::mt19937 rng(44);
  const ConvGeometry g{2, 32, 14, 14, 64, 3, 3, 1, 1};
  const auto x = random_values(g.batch * g.in_channels * g.height * g.width, rng);
  const auto weight = random_values(g.out_channels * g.patch(), rng);
  const auto a = random_values(200 * 300, rng), b = random_values(300 * 100, rng);
  std::vector<float> y(g.batch * g.out_channels * g.out_h() * g.out_w()), c(200 * 100);
  lethe::cpu::conv2d_forward<float>(g, x.data(), weight.data(), nullptr, y.data());
  lethe::cpu::sgemm(false, false, 200, 100, 300, 1.0f, a.data(), 300, b.data(), 100, 0.0f, c.data(),
                    100);
  Buffer x_t(x), weight_t(weight), y_t(y.size()), a_t(a), b_t(b), c_t(c.size());
  lethe::cuda::cudnn_conv2d_forward(g, x_t.data(), weight_t.data(), nullptr, y_t.data(),
                                    lethe::cuda::Float32Math::tf32);
  lethe::cuda::cublas_sgemm(false, false, 200, 100, 300, 1.0f, a_t.data(), 300, b_t.data(), 100,
                            0.0f, c_t.data(), 100, lethe::cuda::Float32Math::tf32);
  const double conv_error = normalised_mse(y_t.download(), y);
  const double gemm_error = normalised_mse(c_t.download(), c);
  MESSAGE("cuDNN tf32 normalised MSE ", conv_error, ", cuBLAS tf32 ", gemm_error);
  CHECK(conv_error <= kTf32Tolerance);
  CHECK(gemm_error <= kTf32Tolerance);
  CHECK(gemm_error > kRoundingVisible);
}

}  // namespace
#endif
