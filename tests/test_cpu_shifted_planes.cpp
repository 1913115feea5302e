// The im2col of same-size stride-1 convolutions (cpu/shifted_planes.h), every ISA this CPU runs,
// against its definition: exact values, zeros where a tap leaves the plane, nothing written
// between the rows or after them.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/peak.h"
#include "cpu/shifted_planes.h"

using namespace lethe::cpu;

namespace {

struct Im2col {
  const char* isa;
  void (*run)(const ConvGeometry&, const float*, float*, int64_t);
};

std::vector<Im2col> im2cols_this_cpu_runs() {
  std::vector<Im2col> out{{"portable", &same_size_im2col_portable<float>},
                          {"dispatched", &same_size_im2col}};
  if (cpu_supports_isa("avx512")) out.push_back({"avx512", &detail::same_size_im2col_avx512});
  return out;
}

constexpr float kUntouched = -7.5f;

}  // namespace

TEST_CASE("same_size_im2col: exact on every plane size and kernel, zeros outside, rows kept") {
  // {H, W, K, padding}: the U-Net's 7x7, a plane of exactly one vector, rows wider than one
  // vector, a non-square plane with a 5x5 kernel, and a kernel wider than the plane.
  const std::vector<std::vector<int64_t>> shapes{{7, 7, 3, 1},  {4, 4, 3, 1}, {14, 14, 3, 1},
                                                 {3, 17, 3, 1}, {5, 9, 5, 2}, {3, 3, 7, 3}};
  for (const Im2col& im2col : im2cols_this_cpu_runs()) {
    for (const auto& shape : shapes) {
      const int64_t H = shape[0], W = shape[1], K = shape[2], padding = shape[3];
      INFO(im2col.isa, " ", H, "x", W, " kernel ", K);
      const ConvGeometry g{1, 2, H, W, 1, K, K, 1, padding};
      REQUIRE(is_same_size_stride1(g));
      const int64_t pixels = H * W, rows = g.in_channels * K * K, ld = pixels + 5;
      std::vector<float> image(g.in_channels * pixels);
      for (std::size_t i = 0; i < image.size(); ++i) image[i] = 0.5f * static_cast<float>(i) + 1;
      // Twice per shape: the first call follows another geometry (state kept per geometry must be
      // rebuilt), the second reuses it.
      for (int call = 0; call < 2; ++call) {
        CAPTURE(call);
        std::vector<float> col(rows * ld, kUntouched);
        im2col.run(g, image.data(), col.data(), ld);
        bool exact = true;
        for (int64_t c = 0; c < g.in_channels; ++c) {
          for (int64_t kh = 0; kh < K; ++kh) {
            for (int64_t kw = 0; kw < K; ++kw) {
              const float* row = col.data() + ((c * K + kh) * K + kw) * ld;
              for (int64_t p = 0; p < ld; ++p) {
                const int64_t u = p / W + kh - padding, v = p % W + kw - padding;
                const bool inside = u >= 0 && u < H && v >= 0 && v < W;
                const float want = p >= pixels ? kUntouched
                                   : inside    ? image[c * pixels + u * W + v]
                                               : 0.0f;
                exact = exact && row[p] == want;
              }
            }
          }
        }
        CHECK(exact);
      }
    }
  }
}
