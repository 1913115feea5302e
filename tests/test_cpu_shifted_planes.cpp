// The im2col of same-size stride-1 and phase-shiftable strided convolutions, and the rows and the
// phase merge of the strided ones' input gradient (cpu/shifted_planes.h), every ISA this CPU runs,
// against their definitions: exact values, zeros where a tap leaves the image, nothing written
// between the rows or after them.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lethe/cpu/isa.h"
#include "lethe/cpu/shifted_planes.h"

using namespace lethe::cpu;
using lethe::ConvGeometry;

namespace {

struct Implementation {
  const char* isa;
  void (*im2col)(const ConvGeometry&, const float*, float*, int64_t);
  void (*gradient_rows)(const ConvGeometry&, const std::vector<int64_t>&, const float*, float*,
                        int64_t);
  void (*merge)(const ConvGeometry&, const float*, int64_t, float*);
};

std::vector<Implementation> implementations_this_cpu_runs() {
  std::vector<Implementation> out{
      {"portable", &shifted_im2col_portable<float>, &phase_gradient_rows_portable<float>,
       &merge_phases<float>},
      {"dispatched", &shifted_im2col, &phase_gradient_rows, &merge_phases_fast}};
  if (cpu_supports_isa("avx512")) {
    out.push_back({"avx512", &detail::shifted_im2col_avx512, &detail::phase_gradient_rows_avx512,
                   &detail::merge_phases_avx512});
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

TEST_CASE(
    "phase_gradient_rows: each row is a grad_y channel moved back by its tap, zeros outside") {
  for (const Implementation& implementation : implementations_this_cpu_runs()) {
    for (const auto& shape : kShapes) {
      ConvGeometry g = geometry_of(shape);
      if (g.stride == 1) continue;
      g.out_channels = 3;
      INFO(implementation.isa, " ", g.height, "x", g.width, " kernel ", g.kernel_h);
      const std::vector<int64_t> order = taps_by_phase(g).order;
      REQUIRE(order.size() == static_cast<size_t>(g.kernel_h * g.kernel_w));
      const int64_t oh_count = g.out_h(), ow_count = g.out_w(), pixels = oh_count * ow_count;
      const int64_t ld = pixels + 5;
      std::vector<float> grad_y(g.out_channels * pixels);
      for (std::size_t i = 0; i < grad_y.size(); ++i) grad_y[i] = 0.25f * static_cast<float>(i) + 1;
      for (int call = 0; call < 2; ++call) {
        CAPTURE(call);
        std::vector<float> rows(order.size() * g.out_channels * ld, kUntouched);
        implementation.gradient_rows(g, order, grad_y.data(), rows.data(), ld);
        bool exact = true;
        for (size_t k = 0; k < order.size(); ++k) {
          const PhaseTap th = phase_tap(g, order[k] / g.kernel_w);
          const PhaseTap tw = phase_tap(g, order[k] % g.kernel_w);
          for (int64_t co = 0; co < g.out_channels; ++co) {
            const float* row = rows.data() + (k * g.out_channels + co) * ld;
            for (int64_t q = 0; q < ld; ++q) {
              const int64_t u = q / ow_count - th.shift, v = q % ow_count - tw.shift;
              const bool inside = u >= 0 && u < oh_count && v >= 0 && v < ow_count;
              const float want = q >= pixels ? kUntouched
                                 : inside    ? grad_y[co * pixels + u * ow_count + v]
                                             : 0.0f;
              exact = exact && row[q] == want;
            }
          }
        }
        CHECK(exact);
      }
    }
  }
}

TEST_CASE("merge_phases: every pixel its phase entry, zero where it has none, nothing past it") {
  for (const Implementation& implementation : implementations_this_cpu_runs()) {
    for (const auto& shape : kShapes) {
      const ConvGeometry g = geometry_of(shape);
      if (g.stride == 1) continue;
      INFO(implementation.isa, " ", g.height, "x", g.width, " kernel ", g.kernel_h);
      const int64_t s = g.stride, ow_count = g.out_w(), oh_count = g.out_h();
      // Phase planes 7 floats apart beyond their pixels, and the 16 floats the fast merge may
      // read past the last one.
      const int64_t phase_stride = oh_count * ow_count + 7;
      std::vector<float> phases(s * s * phase_stride + 16);
      for (std::size_t i = 0; i < phases.size(); ++i) phases[i] = static_cast<float>(i) + 1;
      const int64_t guard = 16, plane_size = g.height * g.width;
      std::vector<float> plane(plane_size + guard, kUntouched);
      implementation.merge(g, phases.data(), phase_stride, plane.data());
      bool exact = true;
      for (int64_t ih = 0; ih < g.height; ++ih) {
        for (int64_t iw = 0; iw < g.width; ++iw) {
          const int64_t a = ih / s, b = iw / s;
          const float want = a < oh_count && b < ow_count
                                 ? phases[((ih % s) * s + iw % s) * phase_stride + a * ow_count + b]
                                 : 0.0f;
          exact = exact && plane[ih * g.width + iw] == want;
        }
      }
      for (int64_t i = plane_size; i < plane_size + guard; ++i) {
        exact = exact && plane[i] == kUntouched;
      }
      CHECK(exact);
    }
  }
}
