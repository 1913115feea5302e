// The im2col and col2im of same-size stride-1 and phase-shiftable strided convolutions
// (cpu/shifted_planes.h), every ISA this CPU runs, against their definitions: exact values, zeros
// where a tap leaves the image, nothing written between the rows or after them.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/peak.h"
#include "cpu/shifted_planes.h"

using namespace lethe::cpu;

namespace {

struct Implementation {
  const char* isa;
  void (*im2col)(const ConvGeometry&, const float*, float*, int64_t);
  void (*col2im)(const ConvGeometry&, const float*, int64_t, float*);
};

std::vector<Implementation> implementations_this_cpu_runs() {
  std::vector<Implementation> out{
      {"portable", &shifted_im2col_portable<float>, &shifted_col2im_portable<float>},
      {"dispatched", &shifted_im2col, &shifted_col2im}};
  if (cpu_supports_isa("avx512")) {
    out.push_back({"avx512", &detail::shifted_im2col_avx512, &detail::shifted_col2im_avx512});
  }
  return out;
}

// {H, W, K, stride, padding}: at stride 1 the U-Net's 7x7, a plane of exactly one vector, rows
// wider than one vector, a non-square plane with a 5x5 kernel and a kernel wider than the plane;
// at stride 2 the U-Net's two downsamples, odd sizes (phases with missing pixels), a plane whose
// phases are narrower than a vector and a 2x2 kernel without padding.
const std::vector<std::vector<int64_t>> kShapes{
    {7, 7, 3, 1, 1}, {4, 4, 3, 1, 1},  {14, 14, 3, 1, 1}, {3, 17, 3, 1, 1},
    {5, 9, 5, 1, 2}, {3, 3, 7, 1, 3},  {28, 28, 3, 2, 1}, {14, 14, 3, 2, 1},
    {7, 7, 3, 2, 1}, {5, 11, 3, 2, 1}, {3, 4, 3, 2, 1},   {6, 8, 2, 2, 0}};

ConvGeometry geometry_of(const std::vector<int64_t>& shape) {
  return {1, 2, shape[0], shape[1], 1, shape[2], shape[2], shape[3], shape[4]};
}

// The image pixel index that row (c, kh, kw), entry p of im2col reads, or -1 for padding.
int64_t source_pixel(const ConvGeometry& g, int64_t c, int64_t kh, int64_t kw, int64_t p) {
  const int64_t ih = p / g.out_w() * g.stride - g.padding + kh;
  const int64_t iw = p % g.out_w() * g.stride - g.padding + kw;
  if (ih < 0 || ih >= g.height || iw < 0 || iw >= g.width) return -1;
  return (c * g.height + ih) * g.width + iw;
}

constexpr float kUntouched = -7.5f;

}  // namespace

TEST_CASE(
    "shifted_im2col: exact on every plane size, kernel and stride, zeros outside, rows kept") {
  for (const Implementation& implementation : implementations_this_cpu_runs()) {
    for (const auto& shape : kShapes) {
      const ConvGeometry g = geometry_of(shape);
      INFO(implementation.isa, " ", g.height, "x", g.width, " kernel ", g.kernel_h, " stride ",
           g.stride);
      REQUIRE(has_shifted_plane_taps(g));
      const int64_t pixels = g.out_h() * g.out_w(), ld = pixels + 5;
      std::vector<float> image(g.in_channels * g.height * g.width);
      for (std::size_t i = 0; i < image.size(); ++i) image[i] = 0.5f * static_cast<float>(i) + 1;
      // Twice per shape: the first call follows another geometry (state kept per geometry must be
      // rebuilt), the second reuses it.
      for (int call = 0; call < 2; ++call) {
        CAPTURE(call);
        std::vector<float> col(g.patch() * ld, kUntouched);
        implementation.im2col(g, image.data(), col.data(), ld);
        bool exact = true;
        for (int64_t c = 0; c < g.in_channels; ++c) {
          for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
            for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
              const float* row = col.data() + ((c * g.kernel_h + kh) * g.kernel_w + kw) * ld;
              for (int64_t p = 0; p < ld; ++p) {
                const int64_t source = p < pixels ? source_pixel(g, c, kh, kw, p) : -1;
                const float want = p >= pixels ? kUntouched : source < 0 ? 0.0f : image[source];
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

TEST_CASE("shifted_col2im: every image pixel is the sum of the column entries that read it") {
  for (const Implementation& implementation : implementations_this_cpu_runs()) {
    for (const auto& shape : kShapes) {
      const ConvGeometry g = geometry_of(shape);
      INFO(implementation.isa, " ", g.height, "x", g.width, " kernel ", g.kernel_h, " stride ",
           g.stride);
      const int64_t pixels = g.out_h() * g.out_w(), ld = pixels + 3;
      // Small integers (exact in float whatever the order of the sums); the entries between the
      // rows must not reach the image.
      std::vector<float> col(g.patch() * ld, 1000.0f);
      for (int64_t row = 0; row < g.patch(); ++row) {
        for (int64_t p = 0; p < pixels; ++p)
          col[row * ld + p] = static_cast<float>((row * 7 + p) % 13);
      }
      std::vector<float> want(g.in_channels * g.height * g.width, 0.0f);
      for (int64_t c = 0; c < g.in_channels; ++c) {
        for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
          for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
            const int64_t row = (c * g.kernel_h + kh) * g.kernel_w + kw;
            for (int64_t p = 0; p < pixels; ++p) {
              const int64_t source = source_pixel(g, c, kh, kw, p);
              if (source >= 0) want[source] += col[row * ld + p];
            }
          }
        }
      }
      for (int call = 0; call < 2; ++call) {
        CAPTURE(call);
        std::vector<float> image(want.size(), kUntouched);
        implementation.col2im(g, col.data(), ld, image.data());
        CHECK(image == want);
      }
    }
  }
}
