// The implicit-GEMM convolutions against the CPU backend, emulated and native: forward (with and
// without bias), backward-data and backward-weight (with the bias gradient) on shrunken U-Net
// shapes (3x3 at 14x14, the stride-2 downsample, 1x1 projections) and odd shapes that end inside
// every tile (non-square kernels, channels past 64, stride 2 with odd sizes, stride 3).
#include <doctest/doctest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "lethe/cpu/conv.h"
#include "lethe/cuda/conv.h"
#include "test_cuda_support.h"

namespace {

using lethe::ConvGeometry;
using lethe::cuda::Target;
using lethe::cuda::testing::kParityTolerance;
using lethe::cuda::testing::normalised_mse;
using lethe::cuda::testing::random_values;
using lethe::cuda::testing::TargetBuffer;

std::string describe(const ConvGeometry& g) {
  std::ostringstream text;
  text << "x (" << g.batch << ", " << g.in_channels << ", " << g.height << ", " << g.width
       << ") weight (" << g.out_channels << ", " << g.in_channels << ", " << g.kernel_h << ", "
       << g.kernel_w << ") stride " << g.stride << " padding " << g.padding;
  return text.str();
}

const ConvGeometry kGeometries[] = {
    // batch, Cin, H, W, Cout, KH, KW, stride, padding
    {2, 32, 14, 14, 64, 3, 3, 1, 1},  // U-Net ResBlock conv
    {2, 64, 14, 14, 64, 3, 3, 2, 1},  // U-Net downsample to 7x7
    {2, 64, 7, 7, 32, 1, 1, 1, 0},    // 1x1 skip projection
    {3, 5, 9, 11, 7, 3, 3, 1, 1},    {2, 3, 6, 5, 65, 5, 3, 2, 2}, {1, 1, 1, 1, 1, 1, 1, 1, 0},
    {2, 4, 10, 11, 6, 3, 3, 3, 1},  // stride 3: the backward-data kernel for any stride
};

template <Target target>
void check_conv_forward() {
  std::mt19937 rng(31);
  for (const ConvGeometry& g : kGeometries) {
    for (bool with_bias : {true, false}) {
      CAPTURE(describe(g));
      CAPTURE(with_bias);
      const auto x = random_values(g.batch * g.in_channels * g.height * g.width, rng);
      const auto weight = random_values(g.out_channels * g.patch(), rng);
      const auto bias = random_values(g.out_channels, rng);
      std::vector<float> y(g.batch * g.out_channels * g.out_h() * g.out_w());
      lethe::cpu::conv2d_forward<float>(g, x.data(), weight.data(),
                                        with_bias ? bias.data() : nullptr, y.data());
      TargetBuffer<target> x_t(x), weight_t(weight), bias_t(bias), y_t(y.size());
      lethe::cuda::conv2d_forward<target>(g, x_t.data(), weight_t.data(),
                                          with_bias ? bias_t.data() : nullptr, y_t.data());
      CHECK(normalised_mse(y_t.download(), y) <= kParityTolerance);
    }
  }
}

template <Target target>
void check_conv_backward() {
  std::mt19937 rng(32);
  for (const ConvGeometry& g : kGeometries) {
    CAPTURE(describe(g));
    const auto x = random_values(g.batch * g.in_channels * g.height * g.width, rng);
    const auto weight = random_values(g.out_channels * g.patch(), rng);
    const auto grad_y = random_values(g.batch * g.out_channels * g.out_h() * g.out_w(), rng);
    std::vector<float> grad_x(x.size()), grad_weight(weight.size()), grad_bias(g.out_channels);
    lethe::cpu::conv2d_backward_input<float>(g, grad_y.data(), weight.data(), grad_x.data());
    lethe::cpu::conv2d_backward_weight<float>(g, grad_y.data(), x.data(), grad_weight.data(),
                                              grad_bias.data());
    TargetBuffer<target> x_t(x), weight_t(weight), grad_y_t(grad_y), grad_x_t(x.size()),
        grad_weight_t(weight.size()), grad_bias_t(grad_bias.size());
    lethe::cuda::conv2d_backward_input<target>(g, grad_y_t.data(), weight_t.data(),
                                               grad_x_t.data());
    lethe::cuda::conv2d_backward_weight<target>(g, grad_y_t.data(), x_t.data(),
                                                grad_weight_t.data(), grad_bias_t.data());
    CHECK(normalised_mse(grad_x_t.download(), grad_x) <= kParityTolerance);
    CHECK(normalised_mse(grad_weight_t.download(), grad_weight) <= kParityTolerance);
    CHECK(normalised_mse(grad_bias_t.download(), grad_bias) <= kParityTolerance);
  }
}

}  // namespace

LETHE_CUDA_PARITY_TEST("conv2d forward", check_conv_forward)
LETHE_CUDA_PARITY_TEST("conv2d backward-data and backward-weight", check_conv_backward)
