// copy_padded_rows (cpu/padded_rows.h) on every ISA this CPU runs, against its definition: exact
// values, the pad zeros, and nothing written outside the rows.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lethe/cpu/isa.h"
#include "lethe/cpu/padded_rows.h"

namespace {

struct RowCopy {
  const char* isa;
  decltype(&lethe::cpu::detail::copy_padded_rows_portable) copy;
};

std::vector<RowCopy> row_copies_this_cpu_runs() {
  std::vector<RowCopy> out{{"portable", &lethe::cpu::detail::copy_padded_rows_portable},
                           {"dispatched", &lethe::cpu::copy_padded_rows}};
  if (lethe::cpu::cpu_supports_isa("avx512")) {
    out.push_back({"avx512", &lethe::cpu::detail::copy_padded_rows_avx512});
  }
  return out;
}

constexpr float kUntouched = -7.5f;
constexpr int64_t kLanes = 16;  // untouched floats checked after the last row

}  // namespace

TEST_CASE("copy_padded_rows: exact on every row length, pads zero, nothing else written") {
  const int64_t rows = 3;
  for (const RowCopy& row_copy : row_copies_this_cpu_runs()) {
    for (const int64_t n : {1, 7, 14, 15, 16, 17, 28, 40}) {
      for (const int64_t pad : {0, 1, 2}) {
        for (const int64_t gap : {2, 0}) {
          INFO(row_copy.isa, " n ", n, " pad ", pad, " gap ", gap);
          // Source rows n + 3 apart; target rows n + pad + gap apart (the gap left untouched, or
          // back to back), then 16 untouched floats.
          const int64_t source_stride = n + 3, target_stride = n + pad + gap;
          std::vector<float> source(rows * source_stride);
          for (std::size_t i = 0; i < source.size(); ++i)
            source[i] = 0.25f * static_cast<float>(i) + 1;
          std::vector<float> target(rows * target_stride + kLanes, kUntouched);
          row_copy.copy(source.data(), source_stride, rows, n, pad, target.data(), target_stride);
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
