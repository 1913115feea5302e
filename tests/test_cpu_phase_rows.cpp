// The row moves of cpu/phase_rows.h, every ISA this CPU runs, against their definition: exact
// values, the pad zeros, and nothing written outside the rows.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/peak.h"
#include "cpu/phase_rows.h"

namespace {

struct Shuffles {
  const char* isa;
  decltype(&lethe::cpu::detail::copy_padded_rows_portable) copy;
  decltype(&lethe::cpu::detail::split_row_pairs_portable) split;
};

std::vector<Shuffles> shuffles_this_cpu_runs() {
  std::vector<Shuffles> out{
      {"portable", &lethe::cpu::detail::copy_padded_rows_portable,
       &lethe::cpu::detail::split_row_pairs_portable},
      {"dispatched", &lethe::cpu::copy_padded_rows, &lethe::cpu::split_row_pairs}};
  if (lethe::cpu::cpu_supports_isa("avx512")) {
    out.push_back({"avx512", &lethe::cpu::detail::copy_padded_rows_avx512,
                   &lethe::cpu::detail::split_row_pairs_avx512});
  }
  return out;
}

constexpr float kUntouched = -7.5f;
constexpr int64_t kLanes = 16;  // untouched floats checked after the last row

}  // namespace

TEST_CASE("split_row_pairs: exact on every row length, pads zero, nothing else written") {
  const int64_t rows = 3;
  for (const Shuffles& shuffles : shuffles_this_cpu_runs()) {
    for (const int64_t n : {1, 7, 14, 16, 17, 31, 40}) {
      for (const int64_t pad : {0, 1, 2}) {
        for (const int64_t gap : {2, 0}) {
          INFO(shuffles.isa, " n ", n, " pad ", pad, " gap ", gap);
          // Source rows of 2n floats, 3 floats of gap between them; phase rows n + pad + gap apart
          // (back to back without a gap, where stores may run into the next row), and 16 floats
          // after the last that must stay untouched.
          const int64_t source_stride = 2 * n + 3, phase_stride = n + pad + gap;
          std::vector<float> source(rows * source_stride);
          for (std::size_t i = 0; i < source.size(); ++i)
            source[i] = 0.25f * static_cast<float>(i) - 3;
          std::vector<float> even(rows * phase_stride + kLanes, kUntouched), odd(even);
          shuffles.split(source.data(), source_stride, rows, n, pad, even.data(), odd.data(),
                         phase_stride);
          bool exact = true;
          for (int64_t i = 0; i < static_cast<int64_t>(even.size()); ++i) {
            const int64_t r = i / phase_stride, v = i % phase_stride;
            const bool in_row = r < rows && v < n + pad;
            const float want_even = !in_row ? kUntouched
                                    : v < n ? source[r * source_stride + 2 * v]
                                            : 0.0f;
            const float want_odd = !in_row ? kUntouched
                                   : v < n ? source[r * source_stride + 2 * v + 1]
                                           : 0.0f;
            exact = exact && even[i] == want_even && odd[i] == want_odd;
          }
          CHECK(exact);
        }
      }
    }
  }
}

TEST_CASE("copy_padded_rows: exact on every row length, pads zero, nothing else written") {
  const int64_t rows = 3;
  for (const Shuffles& shuffles : shuffles_this_cpu_runs()) {
    for (const int64_t n : {1, 7, 14, 15, 16, 17, 28, 40}) {
      for (const int64_t pad : {0, 1, 2}) {
        for (const int64_t gap : {2, 0}) {
          INFO(shuffles.isa, " n ", n, " pad ", pad, " gap ", gap);
          // Source rows n + 3 apart; target rows n + pad + gap apart (the gap left untouched, or
          // back to back), then 16 untouched floats.
          const int64_t source_stride = n + 3, target_stride = n + pad + gap;
          std::vector<float> source(rows * source_stride);
          for (std::size_t i = 0; i < source.size(); ++i)
            source[i] = 0.25f * static_cast<float>(i) + 1;
          std::vector<float> target(rows * target_stride + kLanes, kUntouched);
          shuffles.copy(source.data(), source_stride, rows, n, pad, target.data(), target_stride);
          bool exact = true;
          for (int64_t i = 0; i < static_cast<int64_t>(target.size()); ++i) {
            const int64_t r = i / target_stride, v = i % target_stride;
            const float want = r >= rows || v >= n + pad ? kUntouched
                               : v < n                   ? source[r * source_stride + v]
                                                         : 0.0f;
            exact = exact && target[i] == want;
          }
          CHECK(exact);
        }
      }
    }
  }
}
