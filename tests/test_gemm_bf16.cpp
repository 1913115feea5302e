// sgemm under MatmulMath::bf16 (cpu/gemm_avx512bf16.cpp): its packers against a scalar rounding
// to bf16, and its products against two references, every transpose combination, odd and
// multi-block sizes, alpha/beta and threads:
//  - the product of the bf16-rounded operands accumulated in double: only the fp32 sums differ,
//    so the fp32 test's bound 1e-4 sqrt(K) (|alpha| + |beta|) holds;
//  - the exact product of the fp32 operands: bf16 keeps 8 significant bits, so each operand is
//    rounded with relative error at most u = 2^-8 and a product of two with at most 2u + u^2, so
//    |C - exact| <= 2^-7 (1 + 2^-9) |alpha| sum_k |a_ik b_kj| plus the same fp32 accumulation
//    bound (the stated bf16 bound).
// Skipped, with a message, on CPUs without AVX-512 BF16.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "lethe/cpu/conv.h"
#include "lethe/cpu/gemm.h"
#include "lethe/cpu/isa.h"

namespace {

using lethe::cpu::MatmulMath;

constexpr float kSentinel = 12345.0f;

// f rounded to bf16 to nearest even (finite f), as its 16 bits.
uint16_t bf16_bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

float bf16_value(float f) {
  const uint32_t bits = static_cast<uint32_t>(bf16_bits(f)) << 16;
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

// The packed word of the pair (even, odd) as a float's bits.
float pair_word(float even, float odd) {
  const uint32_t word = bf16_bits(even) | (static_cast<uint32_t>(bf16_bits(odd)) << 16);
  float as_float;
  std::memcpy(&as_float, &word, sizeof(as_float));
  return as_float;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Sets bf16 math for the test's lifetime; false (the test skips) without AVX-512 BF16.
struct Bf16Math {
  bool on = lethe::cpu::set_matmul_math(MatmulMath::bf16);
  ~Bf16Math() { lethe::cpu::set_matmul_math(MatmulMath::fp32); }
};

bool skip_without_bf16(const Bf16Math& math) {
  if (!math.on) MESSAGE("skipping the bf16 GEMM: this CPU lacks AVX-512 BF16");
  return !math.on;
}

struct Bf16Case {
  bool trans_a, trans_b;
  int64_t m, n, k;
  float alpha = 1.0f, beta = 0.0f;
};

struct Bf16Errors {
  double vs_rounded = 0, rounded_bound = 0;  // against the product of the rounded operands
  double excess_vs_exact = 0;                // max of |C - exact| - bf16 bound (<= 0 passes)
};

Bf16Errors run_bf16_case(const Bf16Case& t, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  const int64_t lda = t.trans_a ? t.m : t.k, ldb = t.trans_b ? t.k : t.n;
  std::vector<float> a(t.m * t.k), b(t.k * t.n), c(t.m * t.n);
  for (float& v : a) v = uniform(rng);
  for (float& v : b) v = uniform(rng);
  for (float& v : c) v = uniform(rng);
  const std::vector<float> c_before = c;
  lethe::cpu::sgemm(t.trans_a, t.trans_b, t.m, t.n, t.k, t.alpha, a.data(), lda, b.data(), ldb,
                    t.beta, c.data(), t.n);
  Bf16Errors errors;
  const double accumulation =
      1e-4 * std::sqrt(static_cast<double>(t.k)) * (std::fabs(t.alpha) + std::fabs(t.beta));
  errors.rounded_bound = accumulation;
  for (int64_t i = 0; i < t.m; ++i) {
    for (int64_t j = 0; j < t.n; ++j) {
      double rounded = 0, exact = 0, magnitude = 0;
      for (int64_t p = 0; p < t.k; ++p) {
        const float a_ip = t.trans_a ? a[p * lda + i] : a[i * lda + p];
        const float b_pj = t.trans_b ? b[j * ldb + p] : b[p * ldb + j];
        rounded += static_cast<double>(bf16_value(a_ip)) * bf16_value(b_pj);
        exact += static_cast<double>(a_ip) * b_pj;
        magnitude += std::fabs(static_cast<double>(a_ip) * b_pj);
      }
      const double old = t.beta * static_cast<double>(c_before[i * t.n + j]);
      const double got = c[i * t.n + j];
      const double vs_rounded = std::fabs(t.alpha * rounded + old - got);
      errors.vs_rounded = std::max(errors.vs_rounded, std::isnan(got) ? 1e30 : vs_rounded);
      const double bound =
          std::ldexp(1.0 + std::ldexp(1.0, -9), -7) * std::fabs(t.alpha) * magnitude + accumulation;
      errors.excess_vs_exact =
          std::max(errors.excess_vs_exact, std::fabs(t.alpha * exact + old - got) - bound);
    }
  }
  return errors;
}

}  // namespace

TEST_CASE("bf16 sgemm: the packers round to nearest even and pair consecutive k") {
  const Bf16Math math;
  if (skip_without_bf16(math)) return;
  const auto& family = lethe::cpu::detail::avx512bf16_kernel_family();
  REQUIRE(family.k_per_word == 2);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  const int64_t stride = 61;
  std::vector<float> source(80 * stride);
  for (float& v : source) v = uniform(rng);
  for (const int panel_width : {family.mr, family.nr, 16}) {
    for (const int width : {1, 5, panel_width - 1, panel_width}) {
      for (const int64_t depth : {1, 2, 15, 31, 32, 33, 64, 79}) {
        if (width < 1) continue;
        INFO("panel ", panel_width, " width ", width, " depth ", depth);
        const int64_t pairs = (depth + 1) / 2;
        // Line packer: word (p, w) pairs line w's k = 2p, 2p + 1; row packer: rows 2p, 2p + 1.
        std::vector<float> lines_expected(pairs * panel_width + 1, kSentinel);
        std::vector<float> rows_expected = lines_expected;
        for (int64_t p = 0; p < pairs; ++p) {
          for (int w = 0; w < panel_width; ++w) {
            const bool inside = w < width;
            const bool odd_inside = 2 * p + 1 < depth;
            const float* line = source.data() + w * stride;
            lines_expected[p * panel_width + w] =
                inside ? pair_word(line[2 * p], odd_inside ? line[2 * p + 1] : 0.0f) : 0.0f;
            const float* even_row = source.data() + 2 * p * stride;
            rows_expected[p * panel_width + w] =
                inside ? pair_word(even_row[w], odd_inside ? even_row[stride + w] : 0.0f) : 0.0f;
          }
        }
        std::vector<float> packed(pairs * panel_width + 1, kSentinel);
        family.pack_transposed(source.data(), stride, depth, width, panel_width, packed.data());
        CHECK(same_bits(packed, lines_expected));
        std::fill(packed.begin(), packed.end(), kSentinel);
        family.pack_rows(source.data(), stride, depth, width, panel_width, packed.data());
        CHECK(same_bits(packed, rows_expected));
      }
    }
  }
}

TEST_CASE("bf16 sgemm: every transpose combination, odd sizes, alpha and beta, within the bound") {
  const Bf16Math math;
  if (skip_without_bf16(math)) return;
  CHECK(std::string(lethe::cpu::gemm_isa_name()) == "avx512bf16");
  uint32_t seed = 1;
  for (const bool trans_a : {false, true}) {
    for (const bool trans_b : {false, true}) {
      for (const int64_t size : {1, 7, 33, 65}) {
        for (const int64_t k : {1, 2, 17, 96, 257}) {
          for (const auto& [alpha, beta] : {std::pair{1.0f, 0.0f}, std::pair{-0.5f, 0.75f}}) {
            const Bf16Case t{trans_a, trans_b, size, size + 6, k, alpha, beta};
            const Bf16Errors errors = run_bf16_case(t, seed++);
            INFO(trans_a, trans_b, " M=", t.m, " N=", t.n, " K=", k, " alpha=", alpha);
            CHECK(errors.vs_rounded <= errors.rounded_bound);
            CHECK(errors.excess_vs_exact <= 0.0);
          }
        }
      }
    }
  }
}

TEST_CASE("bf16 sgemm: products spanning several cache blocks and threads") {
  const Bf16Math math;
  if (skip_without_bf16(math)) return;
  // K = 2,600 spans three 1,280-deep slices (the middle one odd-aligned in no way: slices start
  // at multiples of 16), N = 1,700 two column blocks, M = 200 two row blocks.
  for (const auto& t :
       {Bf16Case{false, false, 200, 1700, 2600}, Bf16Case{true, true, 200, 90, 2601},
        Bf16Case{false, true, 37, 300, 1283, 2.0f, 1.0f}}) {
    const Bf16Errors errors = run_bf16_case(t, 77);
    INFO(t.trans_a, t.trans_b, " M=", t.m, " N=", t.n, " K=", t.k);
    CHECK(errors.vs_rounded <= errors.rounded_bound);
    CHECK(errors.excess_vs_exact <= 0.0);
  }
}

TEST_CASE("bf16 sgemm: set_matmul_math refuses bf16 without AVX-512 BF16 and restores fp32") {
  const bool supported = lethe::cpu::cpu_supports_isa("avx512bf16");
  CHECK(lethe::cpu::set_matmul_math(MatmulMath::bf16) == supported);
  CHECK((lethe::cpu::matmul_math() == MatmulMath::bf16) == supported);
  CHECK(lethe::cpu::set_matmul_math(MatmulMath::fp32));
  CHECK(lethe::cpu::matmul_math() == MatmulMath::fp32);
  CHECK(std::string(lethe::cpu::gemm_isa_name()) != "avx512bf16");
}

namespace {

// What a pass under bf16 math gave, against the pass in double on the same fp32 operands, and
// the bf16 bound: 2^-7 (1 + 2^-9) times the pass on the operands' magnitudes, plus 1e-4 sqrt(depth)
// max(1, that magnitude) for the fp32 sums.
double excess_over_bf16_bound(const std::vector<float>& got, const std::vector<double>& exact,
                              const std::vector<double>& magnitude, int64_t depth) {
  double excess = -1e30;
  for (size_t i = 0; i < got.size(); ++i) {
    const double bound = std::ldexp(1.0 + std::ldexp(1.0, -9), -7) * magnitude[i] +
                         1e-4 * std::sqrt(static_cast<double>(depth)) * std::max(1.0, magnitude[i]);
    const double error = std::isnan(got[i]) ? 1e30 : std::fabs(got[i] - exact[i]);
    excess = std::max(excess, error - bound);
  }
  return excess;
}

std::vector<double> widened(const std::vector<float>& values, bool absolute) {
  std::vector<double> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = absolute ? std::fabs(values[i]) : values[i];
  return out;
}

}  // namespace

TEST_CASE("bf16 convolutions: all three passes within the bf16 bound, on every route") {
  const Bf16Math math;
  if (skip_without_bf16(math)) return;
  using lethe::ConvGeometry;
  // Same-size 3x3 (fp32: implicit), the stride-2 downsample (phase-shiftable), a 1x1, a 7x7
  // image that batches several images per GEMM, and a thin one (3 input channels: stays fp32).
  const ConvGeometry shapes[] = {{2, 16, 12, 12, 24, 3, 3, 1, 1},
                                 {3, 16, 14, 14, 16, 3, 3, 2, 1},
                                 {2, 24, 9, 9, 40, 1, 1, 1, 0},
                                 {5, 32, 7, 7, 32, 3, 3, 1, 1},
                                 {2, 3, 10, 10, 16, 3, 3, 1, 1}};
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const ConvGeometry& g : shapes) {
    INFO("batch ", g.batch, " ", g.in_channels, "->", g.out_channels, " ", g.height, "x", g.width,
         " k", g.kernel_h, " /", g.stride);
    const int64_t out_pixels = g.out_h() * g.out_w();
    std::vector<float> x(g.batch * g.in_channels * g.height * g.width);
    std::vector<float> w(g.out_channels * g.patch()), grad_y(g.batch * g.out_channels * out_pixels);
    for (auto* values : {&x, &w, &grad_y}) {
      for (float& v : *values) v = uniform(rng);
    }
    const std::vector<double> xd = widened(x, false), wd = widened(w, false),
                              gd = widened(grad_y, false);
    const std::vector<double> xa = widened(x, true), wa = widened(w, true),
                              ga = widened(grad_y, true);
    std::vector<float> y(grad_y.size()), grad_x(x.size()), grad_w(w.size());
    std::vector<double> exact(y.size()), magnitude(y.size());
    lethe::cpu::conv2d_forward<float>(g, x.data(), w.data(), nullptr, y.data());
    lethe::cpu::conv2d_forward<double>(g, xd.data(), wd.data(), nullptr, exact.data());
    lethe::cpu::conv2d_forward<double>(g, xa.data(), wa.data(), nullptr, magnitude.data());
    CHECK(excess_over_bf16_bound(y, exact, magnitude, g.patch()) <= 0.0);
    // The rounding shows (errors of ~2^-8 of the magnitude, far above fp32's), except on the thin
    // route, which stays fp32.
    double largest_error = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      largest_error = std::max(largest_error, std::fabs(y[i] - exact[i]));
    }
    CHECK((largest_error > 1e-3) == (g.in_channels >= 16));

    exact.assign(x.size(), 0.0);
    magnitude.assign(x.size(), 0.0);
    lethe::cpu::conv2d_backward_input<float>(g, grad_y.data(), w.data(), grad_x.data());
    lethe::cpu::conv2d_backward_input<double>(g, gd.data(), wd.data(), exact.data());
    lethe::cpu::conv2d_backward_input<double>(g, ga.data(), wa.data(), magnitude.data());
    CHECK(excess_over_bf16_bound(grad_x, exact, magnitude, g.out_channels * 9) <= 0.0);

    exact.assign(w.size(), 0.0);
    magnitude.assign(w.size(), 0.0);
    lethe::cpu::conv2d_backward_weight<float>(g, grad_y.data(), x.data(), grad_w.data(), nullptr);
    lethe::cpu::conv2d_backward_weight<double>(g, gd.data(), xd.data(), exact.data(), nullptr);
    lethe::cpu::conv2d_backward_weight<double>(g, ga.data(), xa.data(), magnitude.data(), nullptr);
    CHECK(excess_over_bf16_bound(grad_w, exact, magnitude, g.batch * out_pixels) <= 0.0);
  }
}
