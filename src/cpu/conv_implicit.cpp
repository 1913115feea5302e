// Implicit-GEMM convolution passes, one image at a time: the forward of the stride-2 downsample
// (conv.h: phase-shiftable, stride 2, even sizes) and of same-size stride-1 convolutions, and the
// downsample's input gradient.
//
// Both passes copy one image's planes into zero-padded planes, so that every tap reads them at one
// offset, and sum tap products (sum_tap_rows) whose A rows are pixels of one output row, read in
// place and broadcast, and whose B rows are the packed weights:
//   out(pixel (a, b), n) = sum over taps t, k < depth of planes[k, tap t's pixel of (a, b)]
//                                                        . by_tap[t, k, n]
// A tile is a run of pixels of one row, so no padding position is ever computed (the direct
// grid of a 7x7 output computes 31 % more). The sums come out channels last and the family's
// packer transposes them into the NCHW result.
// - Forward: depth Cin, n = co, by_tap[t, ci, co] = w[co, ci, t]. The planes are the image after
//   p zero rows and columns, and zero rows down to the last one a tap reads; tap (kh, kw) of
//   output pixel (a, b) reads padded pixel (s a + kh, s b + kw), so at stride 2 a tile's A rows
//   are every other float (the family's strided_a_kernel). The sums are y (OH, OW, Cout).
// - Input gradient of the downsample: depth Cout, n = ci, by_tap[t, co, ci] = w[co, ci, t]. Phase
//   (rh, rw) of grad_x holds the pixels (2 u + rh, 2 v + rw) as an OH x OW plane, and tap
//   (kh, kw) (phase_tap: kh - p = 2 sh + rh, sh in {-1, 0}) adds grad_y at (a - sh, b - sw) to
//   pixel (a, b) of its phase (taps_by_phase). The planes are grad_y with a zero row and column
//   after its last; each phase's sums are written straight to their pixels of grad_x
//   (H, W, Cin), 2 pixels apart.
// Against the paths they replace (im2col + GEMM at 7x7, whose GEMM packs the moved copies of the
// planes, 9 per channel; the direct grid at 14x14), bench ops medians of five alternating rounds:
// the 64 -> 64 downsample's input gradient went from 60 to 74 % of peak and its forward from 55-62
// to 69 %, the 32 -> 32 downsample's from 63 to 71 % and 62 to 69 %; the 7x7 stride-1 forward
// passes from 69-73 to 79 %, their input gradients from 72-74 to 80-84 %.
#include "lethe/cpu/conv_implicit.h"

#include <algorithm>
#include <vector>

#include "lethe/cpu/gemm.h"
#include "lethe/cpu/padded_rows.h"
#include "lethe/cpu/prefetch.h"
#include "lethe/cpu/scratch.h"
#include "lethe/cpu/shifted_planes.h"

namespace lethe::cpu {
namespace {

using detail::KernelFamily;
using detail::MicroTile;

// The B rows are padded to a multiple of this many floats, the widest register (AVX-512).
constexpr int64_t kRowAlign = 16;
// Floats the micro-kernels may read past the last A row of the planes (the portable kernel reads
// whole 4-row panels) and past the last B row (whole nr-wide rows).
constexpr int64_t kReadSlack = 16;
// Images a thread takes at a time: while one is computed, the next one's input is prefetched.
constexpr int64_t kImagesPerBlock = 4;
// Fewer channels make the tap products too shallow or too narrow (im2col + GEMM does better, and
// those convolutions are cheap).
constexpr int64_t kMinSameSizeChannels = 16;

int64_t round_up(int64_t n, int64_t multiple) {
  return (n + multiple - 1) / multiple * multiple;
}

// The weights of `taps` (kernel tap indices) packed as B rows, (taps, depth, ldb):
// by_tap[j, d, n] = w[co, ci, taps[j]] with (d, n) = (ci, co) for the forward (depth Cin) and
// (co, ci) for the input gradient (`transposed`, depth Cout); zero for n past the width, then
// slack.
// Under the bf16 family (k_per_word 2) the rows come as words of two consecutive d,
// (taps, ceil(depth / 2), ldb).
std::vector<float> pack_by_tap(const ConvGeometry& g, const float* weight,
                               const std::vector<int64_t>& taps, bool transposed, int64_t ldb,
                               const KernelFamily& family) {
  const int64_t depth = transposed ? g.out_channels : g.in_channels;
  const int64_t width = transposed ? g.in_channels : g.out_channels;
  const int64_t tap_count = static_cast<int64_t>(taps.size()),
                kernel_taps = g.kernel_h * g.kernel_w;
  std::vector<float> by_tap(tap_count * depth * ldb + family.nr + kReadSlack, 0.0f);
  for (int64_t j = 0; j < tap_count; ++j) {
    for (int64_t d = 0; d < depth; ++d) {
      for (int64_t n = 0; n < width; ++n) {
        const int64_t co = transposed ? d : n, ci = transposed ? n : d;
        by_tap[(j * depth + d) * ldb + n] =
            weight[(co * g.in_channels + ci) * kernel_taps + taps[j]];
      }
    }
  }
  if (family.k_per_word == 1) return by_tap;
  const int64_t depth_words = family.word_rows(depth);
  std::vector<float> words(tap_count * depth_words * ldb + family.nr + kReadSlack, 0.0f);
  for (int64_t j = 0; j < tap_count; ++j) {
    family.pack_rows(by_tap.data() + j * depth * ldb, ldb, depth, static_cast<int>(ldb),
                     static_cast<int>(ldb), words.data() + j * depth_words * ldb);
  }
  return words;
}

// The planes (depth, plane_floats) as the family's A operand: themselves for fp32, or under bf16
// words pairing planes 2 p and 2 p + 1, (ceil(depth / 2), plane_floats), in thread_scratch slot
// 2, followed by kReadSlack zeros.
const float* planes_as_words(const KernelFamily& family, const float* planes, int64_t depth,
                             int64_t plane_floats) {
  if (family.k_per_word == 1) return planes;
  const int64_t rows = family.word_rows(depth);
  float* words = thread_scratch<float, 2>(rows * plane_floats + kReadSlack);
  family.pack_rows(planes, plane_floats, depth, static_cast<int>(plane_floats),
                   static_cast<int>(plane_floats), words);
  std::fill_n(words + rows * plane_floats, kReadSlack, 0.0f);
  return words;
}

// Tap products over one image's padded planes: for a < rows, b < cols, n < width,
//   out[a * row_stride + b * pixel_stride + n] = sum over taps j < tap_count, k < depth of
//     planes[a * row_floats + b * pixel_step + a_offsets[j] + k * plane_floats]
//     * by_tap[b_offsets[j] + k * ldb + n]
// (zero without taps). A tile is up to mr pixels of one row by up to nr of the width; a pixel
// step of 2 runs the family's strided_a_kernel.
struct TapProducts {
  const float* planes;
  int64_t row_floats, pixel_step, plane_floats, depth;
  const float* by_tap;
  int64_t ldb, width;
  const int64_t* a_offsets;
  const int64_t* b_offsets;
  int64_t tap_count;
};

void sum_tap_rows(const KernelFamily& family, const TapProducts& p, int64_t rows, int64_t cols,
                  float* out, int64_t row_stride, int64_t pixel_stride) {
  if (p.tap_count == 0) {
    for (int64_t a = 0; a < rows; ++a) {
      for (int64_t b = 0; b < cols; ++b) {
        std::fill_n(out + a * row_stride + b * pixel_stride, p.width, 0.0f);
      }
    }
    return;
  }
  // The width in equal chunks of whole registers, at most nr (64 on AVX-512: two 32-wide tiles
  // rather than 48 + 16, whose 16-wide tile has too few accumulators to hide the FMA latency);
  // a row in equal pieces of at most mr pixels.
  const int64_t chunks = (p.width + family.nr - 1) / family.nr;
  const int64_t chunk_width =
      std::min<int64_t>(family.nr, round_up((p.width + chunks - 1) / chunks, kRowAlign));
  const int64_t pieces = (cols + family.mr - 1) / family.mr;
  MicroTile tile{};
  tile.depth = p.depth;
  tile.a_k_stride = p.plane_floats;
  tile.b_k_stride = p.ldb;
  tile.segments = static_cast<int>(p.tap_count);
  tile.a_segment_offsets = p.a_offsets;
  tile.b_segment_offsets = p.b_offsets;
  tile.ldc = pixel_stride;
  tile.alpha = 1.0f;
  tile.beta = 0.0f;
  for (int64_t a = 0; a < rows; ++a) {
    for (int64_t n = 0; n < p.width; n += chunk_width) {
      tile.b = p.by_tap + n;
      tile.cols = static_cast<int>(std::min(chunk_width, p.width - n));
      for (int64_t piece = 0; piece < pieces; ++piece) {
        const int64_t first = piece * cols / pieces, last = (piece + 1) * cols / pieces;
        tile.a = p.planes + a * p.row_floats + first * p.pixel_step;
        tile.rows = static_cast<int>(last - first);
        tile.c = out + a * row_stride + first * pixel_stride + n;
        (p.pixel_step == 2 ? family.strided_a_kernel : family.kernel)(tile);
      }
    }
  }
}

// Runs body(image, next) for every image in parallel, blocks of kImagesPerBlock images to a
// thread; next is the image the same thread takes after it, or -1.
template <class Body>
void for_each_image(int64_t batch, Body&& body) {
  const int64_t blocks = (batch + kImagesPerBlock - 1) / kImagesPerBlock;
#pragma omp parallel for schedule(dynamic)
  for (int64_t block = 0; block < blocks; ++block) {
    const int64_t end = std::min(batch, (block + 1) * kImagesPerBlock);
    for (int64_t image = block * kImagesPerBlock; image < end; ++image) {
      body(image, image + 1 < end ? image + 1 : int64_t{-1});
    }
  }
}

}  // namespace

bool implicit_input_gradient_applies(const ConvGeometry& g) {
  return g.stride == 2 && is_phase_shiftable(g) && g.height == 2 * g.out_h() &&
         g.width == 2 * g.out_w();
}

bool implicit_forward_applies(const ConvGeometry& g) {
  if (g.stride != 1) return implicit_input_gradient_applies(g);
  return is_same_size_stride1(g) && g.kernel_h == g.kernel_w && g.kernel_h > 1 &&
         g.in_channels >= kMinSameSizeChannels && g.out_channels >= kMinSameSizeChannels;
}

void implicit_conv2d_forward(const ConvGeometry& g, const float* x, const float* weight,
                             const float* bias, float* y) {
  const KernelFamily& family = detail::active_kernel_family();
  const KernelFamily& products_family = detail::matmul_kernel_family();
  const int64_t cin = g.in_channels, cout = g.out_channels, p = g.padding;
  const int64_t pixels = g.out_h() * g.out_w(), image_floats = cin * g.height * g.width;
  // padded (Cin, rows, W + p): the image after p zero rows and p zero columns, then zero rows down
  // to the last one a tap reads
  const int64_t rows = std::max(g.height + p, (g.out_h() - 1) * g.stride + g.kernel_h);
  const int64_t row_floats = g.width + p, plane_floats = rows * row_floats;
  const int64_t taps = g.kernel_h * g.kernel_w, ldb = round_up(cout, kRowAlign);
  std::vector<int64_t> order(taps), a_offsets(taps), b_offsets(taps);
  for (int64_t t = 0; t < taps; ++t) {
    order[t] = t;
    a_offsets[t] = (t / g.kernel_w) * row_floats + t % g.kernel_w;
    b_offsets[t] = t * products_family.word_rows(cin) * ldb;
  }
  const std::vector<float> by_tap = pack_by_tap(g, weight, order, false, ldb, products_family);
  for_each_image(g.batch, [&](int64_t image, int64_t next) {
    // The next image is asked for while this one is computed.
    if (next >= 0) prefetch_floats(x + next * image_floats, image_floats);
    float* planes = thread_scratch<float, 0>(cin * plane_floats + kReadSlack);
    const float* source = x + image * image_floats;
    for (int64_t c = 0; c < cin; ++c) {
      float* plane = planes + c * plane_floats;
      std::fill_n(plane, p * row_floats + p, 0.0f);
      // The p zeros after each row are the columns before the next (after the last row, the
      // next plane's first or the slack).
      copy_padded_rows(source + c * g.height * g.width, g.width, g.height, g.width, p,
                       plane + p * row_floats + p, row_floats);
      std::fill(plane + (g.height + p) * row_floats, plane + plane_floats, 0.0f);
    }
    std::fill_n(planes + cin * plane_floats, kReadSlack, 0.0f);
    float* sums = thread_scratch<float, 1>(pixels * cout);  // (OH, OW, Cout)
    const TapProducts products{planes_as_words(products_family, planes, cin, plane_floats),
                               g.stride * row_floats,
                               g.stride,
                               plane_floats,
                               products_family.word_rows(cin),
                               by_tap.data(),
                               ldb,
                               cout,
                               a_offsets.data(),
                               b_offsets.data(),
                               taps};
    sum_tap_rows(products_family, products, g.out_h(), g.out_w(), sums, g.out_w() * cout, cout);
    float* out = y + image * cout * pixels;
    family.pack_transposed(sums, cout, cout, static_cast<int>(pixels), static_cast<int>(pixels),
                           out);
    if (bias != nullptr) {
      for (int64_t co = 0; co < cout; ++co) {
        for (int64_t q = 0; q < pixels; ++q) out[co * pixels + q] += bias[co];
      }
    }
  });
}

void implicit_conv2d_backward_input(const ConvGeometry& g, const float* grad_y, const float* weight,
                                    float* grad_x) {
  const KernelFamily& family = detail::active_kernel_family();
  const KernelFamily& products_family = detail::matmul_kernel_family();
  const TapsByPhase taps = taps_by_phase(g);
  const int64_t tap_count = static_cast<int64_t>(taps.order.size());
  const int64_t cin = g.in_channels, cout = g.out_channels, s = g.stride;
  const int64_t oh = g.out_h(), ow = g.out_w(), pixels = oh * ow;
  const int64_t in_floats = cout * pixels, out_floats = cin * g.height * g.width;
  // padded (Cout, OH + 1, OW + 1): grad_y with a zero row and column after its last
  const int64_t row_floats = ow + 1, plane_floats = (oh + 1) * row_floats;
  const int64_t ldb = round_up(cin, kRowAlign);
  std::vector<int64_t> a_offsets(tap_count), b_offsets(tap_count);
  for (int64_t j = 0; j < tap_count; ++j) {
    const int64_t tap = taps.order[j];
    const PhaseTap th = phase_tap(g, tap / g.kernel_w), tw = phase_tap(g, tap % g.kernel_w);
    a_offsets[j] = -th.shift * row_floats - tw.shift;
    b_offsets[j] = j * products_family.word_rows(cout) * ldb;
  }
  const std::vector<float> by_tap = pack_by_tap(g, weight, taps.order, true, ldb, products_family);
  for_each_image(g.batch, [&](int64_t image, int64_t next) {
    // The next image's grad_y is asked for while this one is computed, and its grad_x for
    // writing, a phase's share at a time.
    if (next >= 0) prefetch_floats(grad_y + next * in_floats, in_floats);
    float* planes = thread_scratch<float, 0>(cout * plane_floats + kReadSlack);
    for (int64_t co = 0; co < cout; ++co) {
      float* plane = planes + co * plane_floats;
      copy_padded_rows(grad_y + image * in_floats + co * pixels, ow, oh, ow, 1, plane, row_floats);
      std::fill(plane + oh * row_floats, plane + plane_floats, 0.0f);
    }
    std::fill_n(planes + cout * plane_floats, kReadSlack, 0.0f);
    const float* plane_words = planes_as_words(products_family, planes, cout, plane_floats);
    float* sums = thread_scratch<float, 1>(out_floats);  // (H, W, Cin)
    const int64_t out_share = out_floats / (s * s);
    for (int64_t r = 0; r < s * s; ++r) {
      if (next >= 0) {
        prefetch_floats_for_writing(grad_x + next * out_floats + r * out_share, out_share);
      }
      const int64_t begin = taps.begin[r], rh = r / s, rw = r % s;
      const TapProducts products{plane_words,
                                 row_floats,
                                 1,
                                 plane_floats,
                                 products_family.word_rows(cout),
                                 by_tap.data(),
                                 ldb,
                                 cin,
                                 a_offsets.data() + begin,
                                 b_offsets.data() + begin,
                                 taps.begin[r + 1] - begin};
      sum_tap_rows(products_family, products, oh, ow, sums + (rh * g.width + rw) * cin,
                   s * g.width * cin, s * cin);
    }
    const int image_pixels = static_cast<int>(g.height * g.width);
    family.pack_transposed(sums, cin, cin, image_pixels, image_pixels, grad_x + image * out_floats);
  });
}

}  // namespace lethe::cpu
