// cpu::sum_to_shape (the gradient of a broadcast) against a naive sum over every input element,
// in float and double, for targets that sum whole rows, leading axes, interleaved axes, and
// targets of lower rank; large enough inputs run on several threads.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "lethe/cpu/reduce.h"

namespace {

using lethe::Shape;

// out[j] = sum of in[i] over the inputs i that broadcast from output j, in double.
std::vector<double> naive_sum_to(const std::vector<double>& in, const Shape& in_shape,
                                 const Shape& out_shape) {
  int64_t out_count = 1;
  for (const int64_t extent : out_shape) out_count *= extent;
  std::vector<double> out(out_count, 0.0);
  const size_t lead = in_shape.size() - out_shape.size();
  for (size_t i = 0; i < in.size(); ++i) {
    int64_t rest = static_cast<int64_t>(i), out_index = 0, out_stride = 1;
    for (size_t axis = in_shape.size(); axis-- > 0;) {
      const int64_t index = rest % in_shape[axis];
      rest /= in_shape[axis];
      if (axis < lead) continue;
      const int64_t out_extent = out_shape[axis - lead];
      out_index += (out_extent == 1 ? 0 : index) * out_stride;
      out_stride *= out_extent;
    }
    out[out_index] += in[i];
  }
  return out;
}

template <class T>
void check_shapes(const Shape& in_shape, const Shape& out_shape, double tolerance) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  int64_t count = 1, out_count = 1;
  for (const int64_t extent : in_shape) count *= extent;
  for (const int64_t extent : out_shape) out_count *= extent;
  std::vector<T> in(count);
  std::vector<double> in_values(count);
  for (int64_t i = 0; i < count; ++i) in_values[i] = in[i] = static_cast<T>(uniform(rng));
  std::vector<T> out(out_count, T(99));  // overwritten, not accumulated into
  lethe::cpu::sum_to_shape<T>(in.data(), in_shape, out.data(), out_shape);
  const std::vector<double> expected = naive_sum_to(in_values, in_shape, out_shape);
  double worst = 0;
  for (int64_t j = 0; j < out_count; ++j) {
    worst = std::max(worst, std::abs(out[j] - expected[j]) / (1.0 + std::abs(expected[j])));
  }
  INFO(lethe::shape_str(in_shape), " -> ", lethe::shape_str(out_shape));
  CHECK(worst <= tolerance);
}

}  // namespace

TEST_CASE("sum_to_shape: every kind of broadcast target against a naive sum") {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{2, 3, 4, 5}, {2, 3, 1, 1}},
      {{2, 3, 4, 5}, {1, 3, 1, 1}},
      {{2, 3, 4, 5}, {3, 1, 1}},
      {{2, 3, 4, 5}, {2, 1, 4, 1}},
      {{2, 3, 4, 5}, {4, 5}},
      {{2, 3, 4, 5}, {1}},
      {{2, 3, 4, 5}, {2, 3, 4, 5}},
      {{1, 3, 1, 5}, {3, 1, 5}},
      {{1, 3, 1, 5}, {1, 1}},
      {{64, 32, 28, 28}, {64, 32, 1, 1}},  // 1.6 M values: the parallel row totals
      {{64, 32, 28, 28}, {1, 32, 1, 1}},
      {{64, 32, 28, 28}, {32, 28, 28}}};
  for (const auto& [in_shape, out_shape] : cases) {
    check_shapes<double>(in_shape, out_shape, 1e-12);
    // Row totals sum in double; kept axes add the rows in float (64 rows: 1.7e-6).
    check_shapes<float>(in_shape, out_shape, 5e-6);
  }
}
