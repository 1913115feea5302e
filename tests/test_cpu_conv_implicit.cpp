// The implicit-GEMM passes (cpu/conv_implicit.cpp) on every micro-kernel family this CPU runs,
// against the f64 kernels (im2col and the phase-by-phase input gradient): the forward with its
// bias and the input gradient, on the U-Net's downsamples and 7x7 convolutions, widths that are not
// a multiple of a register or wider than a tile, output rows longer than a tile's rows, a 2x2
// kernel without padding (one tap per phase) and a 5x5 one (two rows of padding).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "lethe/cpu/conv.h"
#include "lethe/cpu/conv_implicit.h"
#include "lethe/cpu/gemm.h"

namespace {

using lethe::ConvGeometry;

struct Case {
  int64_t batch, in_channels, out_channels, size, kernel, stride, padding;
};

std::vector<double> normal_values(int64_t count, uint32_t seed) {
  std::mt19937 engine(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> values(count);
  for (double& v : values) v = normal(engine);
  return values;
}

std::vector<float> to_float(const std::vector<double>& values) {
  return std::vector<float>(values.begin(), values.end());
}

std::vector<double> magnitudes(const std::vector<double>& values) {
  std::vector<double> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = std::abs(values[i]);
  return out;
}

// Largest |got - want| / magnitude, the magnitude being the same sum over |terms| (in f64): f32
// sums of up to 9 * 96 terms stay within 1e-5 of it; an indexing error is of order 1.
double relative_error(const std::vector<float>& got, const std::vector<double>& want,
                      const std::vector<double>& magnitude) {
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    worst = std::max(worst, std::abs(got[i] - want[i]) / (magnitude[i] + 1e-30));
  }
  return worst;
}

struct BestIsaOnExit {
  ~BestIsaOnExit() { lethe::cpu::set_gemm_isa_for_testing("auto"); }
};

}  // namespace

TEST_CASE("implicit conv passes match the f64 kernels on every family") {
  const std::vector<Case> cases = {
      // the stride-2 downsample, forward and input gradient
      {7, 64, 64, 14, 3, 2, 1},  // the 64 -> 64 downsample: two 32-wide tiles, rows of 7
      {5, 32, 32, 28, 3, 2, 1},  // the 32 -> 32 downsample: rows of 14, two tiles each
      {5, 32, 48, 28, 3, 2, 1},  // 48 output channels: one 48-wide tile
      {4, 24, 20, 30, 3, 2, 1},  // widths of 20 and 24: partial registers; 15x15 phases
      {3, 96, 40, 8, 3, 2, 1},   // 96 input channels: 2 x 48
      {2, 3, 5, 12, 3, 2, 1},    // a few channels
      {2, 16, 24, 30, 2, 2, 0},  // 2x2 without padding: every phase has one tap
      // same-size stride 1, forward (the input gradient runs the forward, conv.cpp)
      {6, 64, 64, 7, 3, 1, 1},   // the U-Net's 7x7 convolutions
      {3, 128, 64, 7, 3, 1, 1},  //
      {3, 32, 48, 14, 3, 1, 1},  // rows of 14: two tiles
      {2, 20, 24, 9, 5, 1, 2},   // 5x5: two rows and columns of padding
  };
  const BestIsaOnExit restore;
  uint32_t seed = 40;
  for (const Case& c : cases) {
    const ConvGeometry g{c.batch,  c.in_channels, c.size,   c.size,   c.out_channels,
                         c.kernel, c.kernel,      c.stride, c.padding};
    REQUIRE(lethe::cpu::implicit_forward_applies(g));
    const bool input_gradient = lethe::cpu::implicit_input_gradient_applies(g);
    CHECK(input_gradient == (c.stride == 2));
    const int64_t in_count = c.batch * c.in_channels * c.size * c.size;
    const int64_t out_count = c.batch * c.out_channels * g.out_h() * g.out_w();
    const std::vector<double> x = normal_values(in_count, seed++);
    const std::vector<double> w = normal_values(c.out_channels * g.patch(), seed++);
    const std::vector<double> bias = normal_values(c.out_channels, seed++);
    const std::vector<double> grad_y = normal_values(out_count, seed++);
    // f64 references and the magnitudes of their sums
    std::vector<double> y(out_count), y_magnitude(out_count), grad_x(in_count),
        grad_x_magnitude(in_count);
    lethe::cpu::conv2d_forward<double>(g, x.data(), w.data(), bias.data(), y.data());
    lethe::cpu::conv2d_forward<double>(g, magnitudes(x).data(), magnitudes(w).data(),
                                       magnitudes(bias).data(), y_magnitude.data());
    lethe::cpu::conv2d_backward_input<double>(g, grad_y.data(), w.data(), grad_x.data());
    lethe::cpu::conv2d_backward_input<double>(g, magnitudes(grad_y).data(), magnitudes(w).data(),
                                              grad_x_magnitude.data());
    const std::vector<float> xf = to_float(x), wf = to_float(w), bf = to_float(bias),
                             gf = to_float(grad_y);
    for (const char* isa : {"avx512", "avx2", "portable"}) {
      if (!lethe::cpu::set_gemm_isa_for_testing(isa)) continue;
      INFO("isa ", std::string(isa), " Cin ", c.in_channels, " Cout ", c.out_channels, " size ",
           c.size, " kernel ", c.kernel, " stride ", c.stride);
      std::vector<float> yf(out_count, NAN), grad_xf(in_count, NAN);
      lethe::cpu::implicit_conv2d_forward(g, xf.data(), wf.data(), bf.data(), yf.data());
      CHECK(relative_error(yf, y, y_magnitude) <= 1e-5);
      if (input_gradient) {
        lethe::cpu::implicit_conv2d_backward_input(g, gf.data(), wf.data(), grad_xf.data());
      } else {
        lethe::cpu::conv2d_backward_input<float>(g, gf.data(), wf.data(), grad_xf.data());
      }
      CHECK(relative_error(grad_xf, grad_x, grad_x_magnitude) <= 1e-5);
    }
  }
}

TEST_CASE("implicit conv passes: the downsample, and same-size stride 1 with 16 channels or more") {
  const auto geometry = [](int64_t channels, int64_t size, int64_t kernel, int64_t stride,
                           int64_t padding) {
    return ConvGeometry{2, channels, size, size, channels, kernel, kernel, stride, padding};
  };
  const auto forward = [&](int64_t channels, int64_t size, int64_t kernel, int64_t stride,
                           int64_t padding) {
    return lethe::cpu::implicit_forward_applies(geometry(channels, size, kernel, stride, padding));
  };
  const auto input_gradient = [&](int64_t channels, int64_t size, int64_t kernel, int64_t stride,
                                  int64_t padding) {
    return lethe::cpu::implicit_input_gradient_applies(
        geometry(channels, size, kernel, stride, padding));
  };
  CHECK(input_gradient(8, 28, 3, 2, 1));
  CHECK(input_gradient(8, 14, 3, 2, 1));
  CHECK(input_gradient(8, 30, 2, 2, 0));
  CHECK_FALSE(input_gradient(8, 30, 3, 3, 1));  // stride 3
  CHECK_FALSE(input_gradient(8, 9, 3, 2, 1));   // odd size: the phases differ in size
  CHECK_FALSE(input_gradient(8, 14, 5, 2, 2));  // a tap two pixels back: not phase-shiftable
  CHECK_FALSE(input_gradient(8, 14, 3, 2, 0));  // no padding: the output is not half the image
  CHECK_FALSE(input_gradient(16, 7, 3, 1, 1));  // stride 1: conv.cpp runs it as a forward
  CHECK(forward(8, 14, 3, 2, 1));
  CHECK_FALSE(forward(8, 9, 3, 2, 1));
  CHECK(forward(16, 7, 3, 1, 1));
  CHECK(forward(16, 28, 5, 1, 2));
  CHECK_FALSE(forward(8, 7, 3, 1, 1));   // fewer than 16 channels
  CHECK_FALSE(forward(16, 7, 3, 1, 0));  // not same-size
  CHECK_FALSE(forward(16, 7, 1, 1, 0));  // 1x1
}
