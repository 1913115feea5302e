// Philox4x32-10 against Random123's known-answer vectors, the Generator's stream contract
// (seed, offset, block layout, thread-count independence) and the distributions' moments.
#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "lethe/core/tensor.h"
#include "lethe/cpu/random.h"
#include "lethe/ops/random.h"

namespace {

using lethe::Generator;
using lethe::PhiloxBlock;
using lethe::Tensor;

struct Moments {
  double mean = 0;
  double variance = 0;
};

Moments moments(const std::vector<double>& values) {
  Moments result;
  for (double value : values) result.mean += value;
  result.mean /= static_cast<double>(values.size());
  for (double value : values) result.variance += (value - result.mean) * (value - result.mean);
  result.variance /= static_cast<double>(values.size() - 1);
  return result;
}

// Runs `draw` with the OpenMP thread count set to `threads`, restoring the previous count.
template <class Draw>
std::vector<float> draw_with_threads(int threads, Draw draw) {
  const int previous = omp_get_max_threads();
  omp_set_num_threads(threads);
  std::vector<float> values = draw();
  omp_set_num_threads(previous);
  return values;
}

}  // namespace

TEST_CASE("philox4x32_10 matches the Random123 known-answer vectors") {
  CHECK(lethe::philox4x32_10({0, 0, 0, 0}, {0, 0}) ==
        PhiloxBlock{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(lethe::philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                             {0xffffffff, 0xffffffff}) ==
        PhiloxBlock{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(lethe::philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                             {0xa4093822, 0x299f31d0}) ==
        PhiloxBlock{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("philox_block: counter (block low, block high, 0, 0), key (seed low, seed high)") {
  const uint64_t seed = 0x0123456789abcdefull, block = 0xfedcba9876543210ull;
  CHECK(lethe::philox_block(seed, block) ==
        lethe::philox4x32_10({0x76543210, 0xfedcba98, 0, 0}, {0x89abcdef, 0x01234567}));
  CHECK(lethe::philox_block(0, 0) == lethe::philox4x32_10({0, 0, 0, 0}, {0, 0}));
}

TEST_CASE("philox_uniform maps every 32-bit pattern into the open interval (0, 1)") {
  CHECK(lethe::philox_uniform(0) > 0.0f);
  CHECK(lethe::philox_uniform(0xffffffffu) < 1.0f);
  CHECK(lethe::philox_uniform(0xffffff00u) < 1.0f);
  CHECK(lethe::philox_uniform(0x80000000u) == doctest::Approx(0.5).epsilon(1e-6));
  float previous = 0;
  int out_of_order = 0;
  for (uint64_t bits = 0; bits <= 0xffffffffull; bits += 0x10001) {
    const float value = lethe::philox_uniform(static_cast<uint32_t>(bits));
    if (value < previous || value <= 0.0f || value >= 1.0f) ++out_of_order;
    previous = value;
  }
  CHECK(out_of_order == 0);  // monotone in the bits and inside (0, 1)
}

TEST_CASE("Generator: element i of a draw comes from block offset + i / 4, lane i % 4") {
  const uint64_t seed = 42, offset = 5;
  Generator generator(seed, offset);
  const std::vector<float> values = generator.uniform({10}).to_float_vector();
  for (size_t i = 0; i < values.size(); ++i) {
    const PhiloxBlock block = lethe::philox_block(seed, offset + i / 4);
    CHECK(values[i] == lethe::philox_uniform(block[i % 4]));
  }
  CHECK(generator.offset() == offset + 3);
}

TEST_CASE("Generator: the vectorised fill gives philox_block's stream over many blocks") {
  for (int64_t n : {63, 64, 65, 16387, 70001}) {
    const uint64_t seed = 0x123456789abcdefull, offset = (1ull << 32) - 7;  // carry into block high
    Generator generator(seed, offset);
    const std::vector<float> values = generator.uniform({n}).to_float_vector();
    int64_t mismatches = 0;
    for (int64_t i = 0; i < n; ++i) {
      const PhiloxBlock block = lethe::philox_block(seed, offset + i / 4);
      mismatches += values[i] != lethe::philox_uniform(block[i % 4]);
    }
    INFO("n = ", n);
    CHECK(mismatches == 0);
  }
}

TEST_CASE("Generator: same (seed, offset) gives the same draws; offsets advance by ceil(n / 4)") {
  Generator first(7, 3), second(7, 3);
  CHECK(first.normal({5, 3}).to_float_vector() == second.normal({5, 3}).to_float_vector());
  CHECK(first.offset() == 3 + 4);  // ceil(15 / 4)
  CHECK(first.uniform({2}).to_float_vector() == second.uniform({2}).to_float_vector());
  CHECK(first.offset() == 3 + 4 + 1);
  CHECK(Generator(7, 3).normal({8}).to_float_vector() !=
        Generator(8, 3).normal({8}).to_float_vector());
  CHECK(Generator(7, 3).normal({8}).to_float_vector() !=
        Generator(7, 4).normal({8}).to_float_vector());

  for (int64_t n : {0, 1, 3, 4, 5, 8, 13}) {
    Generator generator(1, 10);
    generator.randint({n}, 0, 10);
    CHECK(generator.offset() == static_cast<uint64_t>(10 + (n + 3) / 4));
    generator.set_offset(10);
    generator.bernoulli({n}, 0.5);
    CHECK(generator.offset() == static_cast<uint64_t>(10 + (n + 3) / 4));
  }
  Generator taker(3, 100);
  CHECK(taker.take_blocks(9) == 100);
  CHECK(taker.offset() == 103);
}

TEST_CASE("Generator: draws of n then m equal one draw of n + m when n % 4 == 0") {
  for (int64_t n : {4, 8, 12}) {
    const int64_t m = 7;
    Generator split(11, 2), whole(11, 2);
    std::vector<float> joined = split.normal({n}).to_float_vector();
    const std::vector<float> tail = split.normal({m}).to_float_vector();
    joined.insert(joined.end(), tail.begin(), tail.end());
    CHECK(joined == whole.normal({n + m}).to_float_vector());
    CHECK(split.offset() == whole.offset());

    Generator split_uniform(11, 2), whole_uniform(11, 2);
    std::vector<float> uniform_joined = split_uniform.uniform({n}).to_float_vector();
    const std::vector<float> uniform_tail = split_uniform.uniform({m}).to_float_vector();
    uniform_joined.insert(uniform_joined.end(), uniform_tail.begin(), uniform_tail.end());
    CHECK(uniform_joined == whole_uniform.uniform({n + m}).to_float_vector());
  }
}

TEST_CASE("Generator: the stream does not depend on the OpenMP thread count") {
  const int64_t count = 1000000;
  for (int kind = 0; kind < 3; ++kind) {
    const auto draw = [count, kind] {
      Generator generator(2024, 17);
      if (kind == 0) return generator.normal({count}).to_float_vector();
      if (kind == 1) return generator.uniform({count}).to_float_vector();
      return generator.bernoulli({count}, 0.25).to_float_vector();
    };
    const std::vector<float> one_thread = draw_with_threads(1, draw);
    const std::vector<float> two_threads = draw_with_threads(2, draw);
    CHECK_MESSAGE(one_thread == two_threads, "distribution ", kind);
  }
  const std::vector<float> fill_one = draw_with_threads(1, [count] {
    std::vector<float> values(count);
    lethe::cpu::normal_fill(values.data(), count, 9, 33);
    return values;
  });
  const std::vector<float> fill_two = draw_with_threads(2, [count] {
    std::vector<float> values(count);
    lethe::cpu::normal_fill(values.data(), count, 9, 33);
    return values;
  });
  CHECK(fill_one == fill_two);
}

TEST_CASE("Generator::normal: moments over 1e6 samples") {
  const int64_t count = 1000000;
  Generator generator(123);
  const Moments standard =
      moments(generator.normal({count}, 0, 1, lethe::DType::f64).to_double_vector());
  // Standard errors: mean 1 / sqrt(n) = 1e-3; variance sqrt(2 / n) ~ 1.41e-3. Allow 5 of each.
  CHECK(std::abs(standard.mean) <= 5e-3);
  CHECK(std::abs(standard.variance - 1) <= 5 * 1.4142e-3);

  const Moments shifted = moments(generator.normal({count}, 3, 2).to_double_vector());
  CHECK(std::abs(shifted.mean - 3) <= 5 * 2e-3);
  CHECK(std::abs(shifted.variance - 4) <= 5 * 4 * 1.4142e-3);

  // Tails: P(|z| > 3) = 0.0027, standard error sqrt(p (1 - p) / n) ~ 5.2e-5.
  const std::vector<double> values = generator.normal({count}).to_double_vector();
  const double beyond_three =
      static_cast<double>(
          std::count_if(values.begin(), values.end(), [](double z) { return std::abs(z) > 3; })) /
      count;
  CHECK(std::abs(beyond_three - 0.0026998) <= 5 * 5.2e-5);
}

TEST_CASE("Generator::uniform: strictly inside (0, 1), mean 1/2, variance 1/12") {
  const int64_t count = 1000000;
  Generator generator(77);
  const std::vector<double> values = generator.uniform({count}).to_double_vector();
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  CHECK(*low > 0.0);
  CHECK(*high < 1.0);
  const Moments stats = moments(values);
  // Standard errors: mean sqrt(1/12 / n) ~ 2.9e-4; variance sqrt(1/180 / n) ~ 7.5e-5.
  CHECK(std::abs(stats.mean - 0.5) <= 5 * 2.9e-4);
  CHECK(std::abs(stats.variance - 1.0 / 12) <= 5 * 7.5e-5);

  const std::vector<double> ranged = generator.uniform({1000}, -3, 5).to_double_vector();
  CHECK(*std::min_element(ranged.begin(), ranged.end()) >= -3);
  CHECK(*std::max_element(ranged.begin(), ranged.end()) <= 5);
}

TEST_CASE("Generator::randint: values in [low, high), roughly uniform by chi-square") {
  const int64_t count = 1000000, low = -3, high = 7, bins = high - low;
  Generator generator(99);
  const Tensor values = generator.randint({count}, low, high);
  CHECK(values.dtype() == lethe::DType::i64);
  const int64_t* data = values.data<int64_t>();
  std::vector<int64_t> histogram(bins, 0);
  int64_t out_of_range = 0;
  for (int64_t i = 0; i < count; ++i) {
    if (data[i] < low || data[i] >= high) {
      ++out_of_range;
    } else {
      ++histogram[static_cast<size_t>(data[i] - low)];
    }
  }
  CHECK(out_of_range == 0);
  const double expected = static_cast<double>(count) / bins;
  double chi_square = 0;
  for (int64_t observed : histogram) {
    chi_square += (observed - expected) * (observed - expected) / expected;
  }
  // 9 degrees of freedom: P(chi^2 > 33.7) = 1e-4.
  CHECK(chi_square <= 33.7);
  CHECK(Generator(1).randint({100}, 5, 6).to_double_vector() == std::vector<double>(100, 5.0));
}

TEST_CASE("Generator::bernoulli: values 0 or 1 at the requested rate") {
  const int64_t count = 1000000;
  Generator generator(5);
  const std::vector<double> values = generator.bernoulli({count}, 0.3).to_double_vector();
  const int64_t ones = std::count(values.begin(), values.end(), 1.0);
  CHECK(ones + std::count(values.begin(), values.end(), 0.0) == count);
  // Standard error sqrt(0.3 * 0.7 / n) ~ 4.6e-4; allow 5.
  CHECK(std::abs(static_cast<double>(ones) / count - 0.3) <= 5 * 4.6e-4);
  const std::vector<double> always = generator.bernoulli({4096}, 1.0).to_double_vector();
  CHECK(std::all_of(always.begin(), always.end(), [](double v) { return v == 1; }));
  const std::vector<double> never = generator.bernoulli({4096}, 0.0).to_double_vector();
  CHECK(std::all_of(never.begin(), never.end(), [](double v) { return v == 0; }));
}
