// sgemm against a double-accumulated reference: every transpose combination, odd and
// multi-block sizes, alpha/beta variants, padded leading dimensions, K == 0, calls from inside an
// OpenMP parallel region, and each micro-kernel family forced through the test hook.
#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "lethe/cpu/gemm.h"

namespace {

using lethe::cpu::dgemm;
using lethe::cpu::sgemm;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr float kPaddingSentinel = 12345.0f;  // C's padding columns must keep this value
const char* const kIsas[] = {"avx512", "avx2", "portable"};
const int64_t kOddSizes[] = {1, 7, 13, 33, 65, 129, 257};

struct GemmCase {
  bool trans_a = false;
  bool trans_b = false;
  int64_t m = 1;
  int64_t n = 1;
  int64_t k = 1;
  float alpha = 1.0f;
  float beta = 0.0f;
  int64_t extra_lda = 0;  // leading dimensions beyond the stored row length
  int64_t extra_ldb = 0;
  int64_t extra_ldc = 0;
};

std::string describe(const GemmCase& t) {
  std::ostringstream text;
  text << (t.trans_a ? "T" : "N") << (t.trans_b ? "T" : "N") << " M=" << t.m << " N=" << t.n
       << " K=" << t.k << " alpha=" << t.alpha << " beta=" << t.beta << " extra ld=" << t.extra_lda
       << "," << t.extra_ldb << "," << t.extra_ldc;
  return text.str();
}

// rows x (cols + extra) storage: uniform values in [-1, 1], NaN in the padding columns so that a
// kernel reading past a row shows up as NaN in C.
std::vector<float> random_matrix(int64_t rows, int64_t cols, int64_t extra, std::mt19937& rng) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> matrix(static_cast<size_t>(rows * (cols + extra)), kNaN);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) matrix[r * (cols + extra) + c] = uniform(rng);
  }
  return matrix;
}

struct GemmOutcome {
  double max_error = 0.0;
  double tolerance = 0.0;
  bool padding_intact = true;
};

// Runs sgemm on random operands (C starts as NaN when beta == 0) and compares every element of C
// with alpha * sum_k op(A)(i,k) op(B)(k,j) + beta * C accumulated in double.
GemmOutcome run_case(const GemmCase& t, uint32_t seed) {
  std::mt19937 rng(seed);
  const int64_t a_cols = t.trans_a ? t.m : t.k;  // A stored (t.trans_a ? K x M : M x K)
  const int64_t b_cols = t.trans_b ? t.k : t.n;  // B stored (t.trans_b ? N x K : K x N)
  const int64_t lda = a_cols + t.extra_lda;
  const int64_t ldb = b_cols + t.extra_ldb;
  const int64_t ldc = t.n + t.extra_ldc;
  const std::vector<float> a = random_matrix(t.trans_a ? t.k : t.m, a_cols, t.extra_lda, rng);
  const std::vector<float> b = random_matrix(t.trans_b ? t.n : t.k, b_cols, t.extra_ldb, rng);
  std::vector<float> c = random_matrix(t.m, t.n, t.extra_ldc, rng);
  for (int64_t i = 0; i < t.m; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      float& value = c[i * ldc + j];
      value = j >= t.n ? kPaddingSentinel : (t.beta == 0.0f ? kNaN : value);
    }
  }
  const std::vector<float> c_before = c;
  sgemm(t.trans_a, t.trans_b, t.m, t.n, t.k, t.alpha, a.data(), lda, b.data(), ldb, t.beta,
        c.data(), ldc);
  // 1e-4 * sqrt(K) * max|A| max|B| scaled by alpha, plus the beta term; A, B, C lie in [-1, 1].
  GemmOutcome outcome;
  outcome.tolerance = 1e-4 * std::sqrt(static_cast<double>(std::max<int64_t>(t.k, 1))) *
                      (std::fabs(t.alpha) + std::fabs(t.beta));
  for (int64_t i = 0; i < t.m; ++i) {
    for (int64_t j = 0; j < t.n; ++j) {
      double sum = 0.0;
      for (int64_t p = 0; p < t.k; ++p) {
        const double a_ip = t.trans_a ? a[p * lda + i] : a[i * lda + p];
        const double b_pj = t.trans_b ? b[j * ldb + p] : b[p * ldb + j];
        sum += a_ip * b_pj;
      }
      const double old = t.beta == 0.0f ? 0.0 : t.beta * static_cast<double>(c_before[i * ldc + j]);
      const double error = std::fabs(t.alpha * sum + old - c[i * ldc + j]);
      outcome.max_error = std::max(outcome.max_error, std::isnan(error) ? kInfinity : error);
    }
    for (int64_t j = t.n; j < ldc; ++j) {
      outcome.padding_intact = outcome.padding_intact && c[i * ldc + j] == kPaddingSentinel;
    }
  }
  return outcome;
}

void check_case(const GemmCase& t, uint32_t seed) {
  const GemmOutcome outcome = run_case(t, seed);
  INFO(describe(t), " isa=", lethe::cpu::gemm_isa_name());
  CHECK(outcome.max_error <= outcome.tolerance);
  CHECK(outcome.padding_intact);
}

// Puts sgemm back on the best kernel family when a test leaves, even through a failed REQUIRE.
struct BestIsaOnExit {
  ~BestIsaOnExit() { lethe::cpu::set_gemm_isa_for_testing("auto"); }
};

// Runs body with each micro-kernel family the CPU supports forced in turn.
template <class Body>
void for_each_isa(const Body& body) {
  const BestIsaOnExit restore;
  for (const char* isa : kIsas) {
    if (!lethe::cpu::set_gemm_isa_for_testing(isa)) {
      MESSAGE("skipping the ", isa, " kernels: this CPU lacks the instructions");
      continue;
    }
    REQUIRE(std::string(lethe::cpu::gemm_isa_name()) == isa);
    body();
  }
}

}  // namespace

TEST_CASE("sgemm: every transpose combination on mixed odd sizes") {
  for_each_isa([] {
    constexpr int kSizeCount = static_cast<int>(std::size(kOddSizes));
    for (int combo = 0; combo < 4; ++combo) {
      for (int i = 0; i < kSizeCount; ++i) {
        for (int j = 0; j < kSizeCount; ++j) {
          GemmCase t;
          t.trans_a = (combo & 1) != 0;
          t.trans_b = (combo & 2) != 0;
          t.m = kOddSizes[i];
          t.n = kOddSizes[j];
          t.k = kOddSizes[(i + 2 * j + combo) % kSizeCount];
          check_case(t, static_cast<uint32_t>(100 * combo + 10 * i + j));
        }
      }
    }
  });
}

TEST_CASE("sgemm: alpha and beta variants; beta == 0 ignores NaN in C") {
  const float kAlphaBeta[][2] = {
      {1.0f, 0.0f}, {1.0f, 1.0f}, {-0.5f, 0.25f}, {2.0f, 0.0f}, {0.75f, -1.5f}};
  for_each_isa([&] {
    for (int combo = 0; combo < 4; ++combo) {
      for (const auto& alpha_beta : kAlphaBeta) {
        GemmCase t;
        t.trans_a = (combo & 1) != 0;
        t.trans_b = (combo & 2) != 0;
        t.m = 65;
        t.n = 33;
        t.k = 129;
        t.alpha = alpha_beta[0];
        t.beta = alpha_beta[1];
        check_case(t, static_cast<uint32_t>(combo));
      }
    }
  });
}

TEST_CASE("sgemm: leading dimensions larger than the stored rows") {
  for_each_isa([] {
    for (int combo = 0; combo < 4; ++combo) {
      GemmCase t;
      t.trans_a = (combo & 1) != 0;
      t.trans_b = (combo & 2) != 0;
      t.m = 33;
      t.n = 65;
      t.k = 13;
      t.beta = 0.5f;
      t.extra_lda = 3;
      t.extra_ldb = 17;
      t.extra_ldc = 5;
      check_case(t, 7);
    }
  });
}

TEST_CASE("sgemm: products spanning several cache blocks and threads") {
  for_each_isa([] {
    for (int combo = 0; combo < 4; ++combo) {
      GemmCase t;
      t.trans_a = (combo & 1) != 0;
      t.trans_b = (combo & 2) != 0;
      t.m = 300;
      t.n = 1700;
      t.k = 600;
      t.beta = 1.0f;
      t.extra_lda = 1;
      t.extra_ldc = 2;
      check_case(t, 11);
    }
  });
}

TEST_CASE("sgemm: C split over 1 to 5 threads") {
  const int default_threads = omp_get_max_threads();
  for_each_isa([] {
    for (int threads = 1; threads <= 5; ++threads) {
      omp_set_num_threads(threads);
      for (int combo = 0; combo < 8; ++combo) {
        GemmCase t;  // the tall-thin shape splits one way, the small square one in 2 x 2 at 4
        t.trans_a = (combo & 1) != 0;
        t.trans_b = (combo & 2) != 0;
        const bool tall_thin = (combo & 4) != 0;
        t.m = tall_thin ? 97 : 48;
        t.n = tall_thin ? 301 : 96;
        t.k = tall_thin ? 64 : 256;
        INFO("threads ", threads);
        check_case(t, static_cast<uint32_t>(threads));
      }
    }
  });
  omp_set_num_threads(default_threads);
}

TEST_CASE("sgemm: K == 0 and alpha == 0 only scale C") {
  for_each_isa([] {
    for (const float beta : {0.0f, 1.0f, -2.0f}) {
      GemmCase t;
      t.m = 7;
      t.n = 13;
      t.k = 0;
      t.beta = beta;
      t.extra_ldc = 2;
      check_case(t, 3);
      t.k = 33;
      t.alpha = 0.0f;
      check_case(t, 4);
    }
  });
}

TEST_CASE("sgemm: zero-sized M or N leaves C untouched") {
  float c = kPaddingSentinel;
  const float a = 1.0f;
  sgemm(false, false, 0, 1, 1, 1.0f, &a, 1, &a, 1, 0.0f, &c, 1);
  sgemm(false, false, 1, 0, 1, 1.0f, &a, 1, &a, 1, 0.0f, &c, 1);
  CHECK(c == kPaddingSentinel);
}

TEST_CASE("sgemm: concurrent single-threaded calls from an OpenMP parallel region") {
  constexpr int kCalls = 8;
  std::vector<GemmOutcome> outcomes(kCalls);
#pragma omp parallel for num_threads(2) schedule(static, 1)
  for (int call = 0; call < kCalls; ++call) {
    GemmCase t;
    t.trans_b = (call & 1) != 0;
    t.m = 64 + call;
    t.n = 196;
    t.k = 288;
    outcomes[call] = run_case(t, static_cast<uint32_t>(call));
  }
  for (int call = 0; call < kCalls; ++call) {
    INFO("call ", call);
    CHECK(outcomes[call].max_error <= outcomes[call].tolerance);
  }
}

TEST_CASE("sgemm: the ISA test hook") {
  CHECK_FALSE(lethe::cpu::set_gemm_isa_for_testing("sse9"));
  CHECK(lethe::cpu::set_gemm_isa_for_testing("portable"));
  CHECK(std::string(lethe::cpu::gemm_isa_name()) == "portable");
  CHECK(lethe::cpu::set_gemm_isa_for_testing(nullptr));
  const std::string best = lethe::cpu::gemm_isa_name();
  CHECK((best == "avx512" || best == "avx2" || best == "portable"));
}

TEST_CASE("sgemm: each family's transposing packer matches the portable one exactly") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  const int64_t stride = 61;  // lines 61 floats apart, so loads start off the vector boundary
  std::vector<float> source(48 * stride);
  for (float& value : source) value = uniform(rng);
  for_each_isa([&] {
    const lethe::cpu::detail::KernelFamily& family = lethe::cpu::detail::active_kernel_family();
    // The A and B panel widths, and the 8-wide and 16-wide edge panels of both.
    for (const int panel_width : {family.mr, family.nr, 8, 16}) {
      for (const int width : {1, 5, panel_width - 1, panel_width}) {
        for (const int64_t depth : {1, 15, 16, 17, 32, 49}) {
          if (width < 1 || width > panel_width) continue;
          INFO(family.isa, " panel ", panel_width, " width ", width, " depth ", depth);
          // One float past the panel must keep its sentinel: no packer writes beyond it.
          std::vector<float> packed(depth * panel_width + 1, kPaddingSentinel);
          std::vector<float> expected(depth * panel_width + 1, kPaddingSentinel);
          family.pack_transposed(source.data(), stride, depth, width, panel_width, packed.data());
          lethe::cpu::detail::pack_transposed_panel_portable(source.data(), stride, depth, width,
                                                             panel_width, expected.data());
          CHECK(packed == expected);
        }
      }
    }
  });
}

TEST_CASE("dgemm: every transpose combination with alpha, beta and padded rows") {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  const int64_t m = 13, n = 150, k = 140, ld = 160;
  std::vector<double> a(ld * ld), b(ld * ld), c(m * ld);
  for (double& value : a) value = uniform(rng);
  for (double& value : b) value = uniform(rng);
  for (int combo = 0; combo < 4; ++combo) {
    const bool trans_a = (combo & 1) != 0;
    const bool trans_b = (combo & 2) != 0;
    for (double& value : c) value = uniform(rng);
    const std::vector<double> c_before = c;
    dgemm(trans_a, trans_b, m, n, k, 0.5, a.data(), ld, b.data(), ld, -1.0, c.data(), ld);
    double max_error = 0.0;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0.0;
        for (int64_t p = 0; p < k; ++p) {
          sum +=
              (trans_a ? a[p * ld + i] : a[i * ld + p]) * (trans_b ? b[j * ld + p] : b[p * ld + j]);
        }
        const double expected = 0.5 * sum - c_before[i * ld + j];
        max_error = std::max(max_error, std::fabs(expected - c[i * ld + j]));
      }
    }
    INFO("combo ", combo);
    CHECK(max_error <= 1e-12);
  }
}
