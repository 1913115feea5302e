// The float GroupNorm kernels (AVX-512 where the CPU has it, else the portable loops) against the
// double ones on the same inputs: forward and backward, with and without the fused SiLU and the
// affine parameters, on plane sizes with and without a tail of a vector (28x28, 14x14, 7x7, 3x3,
// 5) and on the U-Net's groups of 2 to 4 channels.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "lethe/cpu/group_norm.h"
#include "lethe/cpu/isa.h"

namespace {

using lethe::GroupNormGeometry;

// Largest |a - b| / (1 + |b|).
double max_error(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::abs(a[i] - b[i]) / (1.0 + std::abs(b[i])));
  }
  return worst;
}

template <class T, class U>
std::vector<T> cast(const std::vector<U>& values) {
  return std::vector<T>(values.begin(), values.end());
}

struct Outputs {
  std::vector<double> y, mean, rstd, grad_x, grad_weight, grad_bias;
};

template <class T>
Outputs run(const GroupNormGeometry& g, const std::vector<double>& x,
            const std::vector<double>& weight, const std::vector<double>& bias,
            const std::vector<double>& grad_y, bool affine, bool then_silu) {
  const std::vector<T> xt = cast<T>(x), wt = cast<T>(weight), bt = cast<T>(bias),
                       gyt = cast<T>(grad_y);
  const T* w = affine ? wt.data() : nullptr;
  const T* b = affine ? bt.data() : nullptr;
  std::vector<T> y(x.size()), mean(g.batch * g.groups), rstd(g.batch * g.groups);
  std::vector<T> grad_x(x.size()), grad_weight(g.channels), grad_bias(g.channels);
  lethe::cpu::group_norm_forward<T>(g, xt.data(), w, b, 1e-5, y.data(), mean.data(), rstd.data(),
                                    then_silu);
  lethe::cpu::group_norm_backward<T>(g, xt.data(), w, mean.data(), rstd.data(), gyt.data(),
                                     grad_x.data(), grad_weight.data(), grad_bias.data(), then_silu,
                                     b);
  auto widen = [](const std::vector<T>& v) { return cast<double>(v); };
  return {widen(y), widen(mean), widen(rstd), widen(grad_x), widen(grad_weight), widen(grad_bias)};
}

}  // namespace

TEST_CASE("group_norm float kernels match the double ones, with and without SiLU and affine") {
  INFO("float kernels on ", lethe::cpu::cpu_isa_name());
  struct NormCase {
    int64_t batch, channels, spatial, groups;
  };
  const NormCase cases[] = {{3, 32, 784, 8}, {2, 64, 196, 32}, {2, 64, 49, 16},
                            {2, 12, 9, 3},   {3, 6, 5, 2},     {1, 4, 17, 1}};
  std::mt19937 rng(31);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (const NormCase& c : cases) {
    const GroupNormGeometry g{c.batch, c.channels, c.spatial, c.groups};
    const int64_t size = c.batch * c.channels * c.spatial;
    std::vector<double> x(size), grad_y(size), weight(c.channels), bias(c.channels);
    for (double& v : x) v = 0.7 + 1.8 * normal(rng);  // an offset mean: the variance cancels
    for (double& v : grad_y) v = normal(rng);
    for (double& v : weight) v = 1.0 + 0.3 * normal(rng);
    for (double& v : bias) v = 0.5 * normal(rng);
    // Inputs rounded to float, so that both kernels see the same values.
    x = cast<double>(cast<float>(x));
    grad_y = cast<double>(cast<float>(grad_y));
    weight = cast<double>(cast<float>(weight));
    bias = cast<double>(cast<float>(bias));
    for (const bool affine : {true, false}) {
      for (const bool then_silu : {false, true}) {
        INFO("B ", c.batch, " C ", c.channels, " S ", c.spatial, " G ", c.groups, " affine ",
             affine, " silu ", then_silu);
        const Outputs expected = run<double>(g, x, weight, bias, grad_y, affine, then_silu);
        const Outputs actual = run<float>(g, x, weight, bias, grad_y, affine, then_silu);
        // Measured on AVX-512: y, grad_x 1.7e-7, mean, rstd 2e-8, parameter gradients (sums over
        // the batch too) 1.3e-6.
        CHECK(max_error(actual.y, expected.y) <= 1e-6);
        CHECK(max_error(actual.mean, expected.mean) <= 1e-7);
        CHECK(max_error(actual.rstd, expected.rstd) <= 1e-7);
        CHECK(max_error(actual.grad_x, expected.grad_x) <= 1e-6);
        CHECK(max_error(actual.grad_weight, expected.grad_weight) <= 5e-6);
        CHECK(max_error(actual.grad_bias, expected.grad_bias) <= 5e-6);
      }
    }
  }
}
