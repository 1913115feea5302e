// fp32 weight gradients of convolutions as GEMMs whose B operand is read in place (the im2col
// path in conv.cpp packs a transposed copy of its im2col matrix for every product).
//
// Implicit GEMM, for same-size stride-1 convolutions and for the phase-shiftable
// stride-s downsample (conv.h). The output positions of a block of images lie on the padded grid
// of cpu/padded_grid.h (rows of Wp = OW + q positions, q = p for stride 1 and 1 for stride s, q
// zero rows between images). Image row h = s u + rh goes, channels last, to position row u of row
// phase rh: position (i, u, v) of phase rh holds pixels s v .. s v + s - 1 of that row, s Cin
// consecutive floats. Tap (kh, kw) of output position k reads row phase rh(kh) at position
// k + sh(kh) Wp (kh - p = s sh + rh, sh in {-1, 0} for stride s; sh = kh - p, rh = 0 for stride 1)
// and, within it, the Cin floats (kw - p) Cin from its start, so for one kernel row kh the taps
// kw = 0 .. KW-1 and all channels are the KW * Cin consecutive floats starting at
// (k + sh Wp) s Cin - p Cin:
//   gradient(Cout, kh, KW * Cin) += grad_out(Cout, k) . X_kh(k, KW * Cin)
// a GEMM whose B rows are s Cin floats apart (overlapping for stride 1), which the micro-kernels
// read in place. The depth runs over the output pixels only, row by row (the micro-kernels'
// segments), so the grid's padding positions are read as neighbours but never as outputs.
//
// Pixel-major im2col, for the others: one im2col row per output pixel holding, tap by tap, the
// Cin channels it reads, copied from a channels-last copy of the image, so that
//   gradient(Cout, KH KW Cin) += grad_out(Cout, P) . col(P, KH KW Cin).
// Both accumulate the gradient as (Cout, KH, KW, Cin) and reorder it at the end.
#include "lethe/cpu/conv_weight_gradient.h"

#include <omp.h>

#include <algorithm>
#include <memory>

#include "lethe/cpu/gemm.h"
#include "lethe/cpu/image_matrix.h"
#include "lethe/cpu/padded_grid.h"
#include "lethe/cpu/prefetch.h"
#include "lethe/cpu/scratch.h"
#include "lethe/cpu/thin_conv.h"

namespace lethe::cpu {
namespace {

using detail::KernelFamily;
using detail::MicroTile;

// Output positions per block of images: the block's stacked copy and packed grad_out (about
// (Cin + Cout) * 8 KiB) stay in L2.
constexpr int64_t kPositionsPerBlock = 2048;
// Most depth of one micro-kernel call, in words (pixels, or pairs of them under bf16): its A panel
// (mr x kc, 24 KiB) stays in L1 (48 KiB on Zen 5). 768 rather than 384 halves the loads and
// stores of C: the implicit weight gradients went up by 2-7 points of peak (the downsamples'
// 63.1 -> 66.0 and 66.6 -> 69.3 %, 28x28 66-74 -> 72-76 %, 14x14 74-76 -> 80-83 %; bench ops
// medians of five alternating rounds); 1536, an A panel as large as L1, was mixed against 768
// (-5 to +3). Counting words rather than pixels moved bf16's 3x3 weight gradients from 50-60 to
// 50-61 % of the bf16 peak (64 -> 64 at 7x7 440 -> 500 GFLOP/s, at 28x28 470 -> 512; one run).
constexpr int64_t kDepthBlock = 768;
// The pixel-major path copies Cin floats per tap; fewer make the copies the cost.
constexpr int64_t kMinPixelMajorChannels = 16;

// Floats of one row phase's stack for a block of `count` images.
int64_t phase_floats(const ConvGeometry& g, const PaddedGrid& s, int64_t count) {
  return s.entries(count) * g.stride * g.in_channels;
}

// Images [first, first + count) of x stacked channels last into g.stride row phases of
// phase_floats(count) floats each, then `slack` zero floats that micro-kernels may read past the
// last column.
void stack_images(const ConvGeometry& g, const KernelFamily& family, const PaddedGrid& s,
                  const float* x, int64_t first, int64_t count, int64_t slack, float* stacked) {
  const int64_t cin = g.in_channels, plane = g.height * g.width, position_floats = g.stride * cin;
  const int64_t phase = phase_floats(g, s, count);
  // The zeros: the lead, each row's pad positions, the pad rows after each image, the tail.
  for (int64_t rh = 0; rh < g.stride; ++rh) {
    float* body = stacked + rh * phase + s.lead() * position_floats;
    std::fill(body - s.lead() * position_floats, body, 0.0f);
    for (int64_t i = 0; i < count; ++i) {
      for (int64_t u = 0; u < s.rows; ++u) {
        float* row_pad = body + s.position(i, u, s.cols) * position_floats;
        std::fill(row_pad, row_pad + s.pad * position_floats, 0.0f);
      }
      float* pad_rows = body + s.position(i, s.rows, 0) * position_floats;
      std::fill(pad_rows, pad_rows + s.pad * s.row_width() * position_floats, 0.0f);
    }
    std::fill(body + s.positions(count) * position_floats, stacked + (rh + 1) * phase, 0.0f);
  }
  std::fill(stacked + g.stride * phase, stacked + g.stride * phase + slack, 0.0f);
  // Each row h reads Cin lines a plane apart, too scattered for the hardware prefetcher: while
  // image i is copied, image i + 1 is asked for, a 1 / H share per row (the downsample's weight
  // gradient 2-4 % faster, five alternating rounds).
  const int64_t image_floats = cin * plane, prefetch_per_row = image_floats / g.height;
  for (int64_t i = 0; i < count; ++i) {
    const float* image = x + (first + i) * image_floats;
    for (int64_t h = 0; h < g.height; ++h) {
      if (i + 1 < count) {
        prefetch_floats(image + image_floats + h * prefetch_per_row, prefetch_per_row);
      }
      const int64_t u = h / g.stride, rh = h % g.stride;
      family.pack_transposed(
          image + h * g.width, plane, g.width, static_cast<int>(cin), static_cast<int>(cin),
          stacked + rh * phase + (s.lead() + s.position(i, u, 0)) * position_floats);
    }
  }
}

// One output row takes family.word_rows(OW) words of the A panels: OW, or under bf16 ceil(OW / 2)
// pairs of neighbouring pixels (an odd row's last pair ends in a zero, so a pair never spans two
// rows).

// grad_y of images [first, first + count) as mr-tall panels over Cout, output pixels only (no
// padding positions), row j = (i, oh) after j row_words, panel q at packed + q * mr * words:
// fp32: packed[q mr pixels + ((i OH + oh) OW + ow) mr + r] = grad_y[first + i, q mr + r, oh, ow].
void pack_grad_out(const ConvGeometry& g, const KernelFamily& family, const float* grad_y,
                   int64_t first, int64_t count, float* packed) {
  const int64_t mr = family.mr, plane = g.out_h() * g.out_w();
  const int64_t per_row = family.word_rows(g.out_w()), words = count * g.out_h() * per_row;
  for (int64_t row0 = 0; row0 < g.out_channels; row0 += mr) {
    const int rows = static_cast<int>(std::min(mr, g.out_channels - row0));
    for (int64_t i = 0; i < count; ++i) {
      const float* image = grad_y + ((first + i) * g.out_channels + row0) * plane;
      float* panel = packed + row0 * words + i * g.out_h() * per_row * mr;
      if (family.k_per_word == 1) {  // the whole image at once: its rows follow each other
        family.pack_transposed(image, plane, plane, rows, static_cast<int>(mr), panel);
        continue;
      }
      for (int64_t oh = 0; oh < g.out_h(); ++oh) {
        family.pack_transposed(image + oh * g.out_w(), plane, g.out_w(), rows, static_cast<int>(mr),
                               panel + oh * per_row * mr);
      }
    }
  }
}

// The B operand of the bf16 family from the stack (`floats` of them, position_floats per
// position, then at least position_floats floats of slack): word w pairs stack[w] with
// stack[w + position_floats], the same float of the next position, so that the B row of pixel
// pair (k, k + 1) starts where pixel k's does. In thread_scratch slot 2, followed by `slack` zeros.
const float* pair_positions(const KernelFamily& family, const float* stacked, int64_t floats,
                            int64_t position_floats, int64_t slack) {
  float* words = thread_scratch<float, 2>(floats + slack);
  family.pack_rows(stacked, position_floats, 2, static_cast<int>(floats), static_cast<int>(floats),
                   words);
  std::fill_n(words + floats, slack, 0.0f);
  return words;
}

// gradient (Cout, KH, KW * Cin) += the block's products. The depth runs over output pixels only:
// each micro-kernel call takes a run of whole output rows as its segments (OW positions each,
// or ceil(OW / 2) pairs under bf16; the B rows at each row's first position), so the padding
// positions cost nothing. `stacked`: the stack, or under bf16 its pair_positions.
void accumulate_block(const ConvGeometry& g, const KernelFamily& family, const PaddedGrid& s,
                      const float* packed, const float* stacked, int64_t count, float* gradient) {
  const int64_t position_floats = g.stride * g.in_channels;
  const int64_t row_width = g.kernel_w * g.in_channels;  // KW * Cin
  const int64_t ldc = g.kernel_h * row_width;
  const int64_t per_row = family.word_rows(g.out_w()), out_rows = count * g.out_h();
  const int64_t words = out_rows * per_row;
  // Where output row j = (i, oh) starts in the stack, from position 0.
  int64_t* row_offsets = thread_scratch<int64_t, 3>(out_rows);
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t oh = 0; oh < g.out_h(); ++oh) {
      row_offsets[i * g.out_h() + oh] = s.position(i, oh, 0) * position_floats;
    }
  }
  MicroTile tile{};
  tile.depth = per_row;
  tile.a_k_stride = family.mr;
  tile.b_k_stride = family.k_per_word * position_floats;
  tile.ldc = ldc;
  tile.alpha = 1.0f;
  tile.beta = 1.0f;
  // Runs of equal length: a short last run would pay a full load and store of C.
  const int64_t rows_per_run = std::max<int64_t>(1, kDepthBlock / per_row);
  const int64_t runs = (out_rows + rows_per_run - 1) / rows_per_run;
  for (int64_t run = 0; run < runs; ++run) {
    const int64_t first_row = run * out_rows / runs;
    tile.segments = static_cast<int>((run + 1) * out_rows / runs - first_row);
    tile.b_segment_offsets = row_offsets + first_row;
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      const PhaseTap tap = phase_tap(g, kh);
      const float* b_rows = stacked + tap.residue * phase_floats(g, s, count) +
                            (s.lead() + tap.shift * s.row_width()) * position_floats -
                            g.padding * g.in_channels;
      for (int64_t col = 0; col < row_width; col += family.nr) {
        tile.b = b_rows + col;
        tile.cols = static_cast<int>(std::min<int64_t>(family.nr, row_width - col));
        for (int64_t row0 = 0; row0 < g.out_channels; row0 += family.mr) {
          tile.rows = static_cast<int>(std::min<int64_t>(family.mr, g.out_channels - row0));
          tile.a = packed + row0 * words + first_row * per_row * family.mr;
          tile.c = gradient + row0 * ldc + kh * row_width + col;
          family.kernel(tile);
        }
      }
    }
  }
}

// The weight gradient as a sum over blocks of images_per_block consecutive images:
// accumulate(first, count, gradient) adds the block's products to gradient (Cout, KH, KW, Cin),
// followed, where grad_bias is not null, by the block's bias gradient (Cout).
// Chunks of consecutive blocks are shared out dynamically (a thread the OS holds back leaves its
// work to the others), each with its own partial gradient; the partials are summed in chunk
// order, so the result does not depend on which thread ran which chunk.
template <class Accumulate>
void sum_over_image_blocks(const ConvGeometry& g, int64_t images_per_block, Accumulate&& accumulate,
                           float* grad_weight, float* grad_bias = nullptr) {
  const int64_t weight_count = g.out_channels * g.patch();
  const int64_t partial_count = weight_count + (grad_bias != nullptr ? g.out_channels : 0);
  const int64_t blocks = (g.batch + images_per_block - 1) / images_per_block;
  const int threads = blocks > 1 ? omp_get_max_threads() : 1;
  const int64_t chunks = std::min<int64_t>(blocks, 4 * threads);
  const std::unique_ptr<float[]> partials(new float[chunks * partial_count]());
#pragma omp parallel for num_threads(threads) schedule(dynamic)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    for (int64_t block = chunk * blocks / chunks; block < (chunk + 1) * blocks / chunks; ++block) {
      const int64_t first = block * images_per_block;
      accumulate(first, std::min(images_per_block, g.batch - first),
                 partials.get() + chunk * partial_count);
    }
  }
  for (int64_t chunk = 1; chunk < chunks; ++chunk) {
    const float* partial = partials.get() + chunk * partial_count;
    for (int64_t i = 0; i < partial_count; ++i) partials[i] += partial[i];
  }
  // (Cout, KH, KW, Cin) -> (Cout, Cin, KH, KW)
  const int64_t taps = g.kernel_h * g.kernel_w;
  for (int64_t co = 0; co < g.out_channels; ++co) {
    for (int64_t tap = 0; tap < taps; ++tap) {
      for (int64_t ci = 0; ci < g.in_channels; ++ci) {
        grad_weight[(co * g.in_channels + ci) * taps + tap] =
            partials[(co * taps + tap) * g.in_channels + ci];
      }
    }
  }
  if (grad_bias != nullptr) {
    std::copy_n(partials.get() + weight_count, g.out_channels, grad_bias);
  }
}

// ---- pixel-major im2col -------------------------------------------------------------------------

// Output pixels per block of images in the pixel-major path (the im2col path's ~256 columns,
// doubled: the product's C is loaded once per block).
constexpr int64_t kPixelsPerBlock = 512;

// Images [first, first + count) of x as pixel-major im2col rows: row (i, oh, ow) of col (count P,
// KH KW Cin) holds, tap by tap, the Cin channels of input pixel (oh s - p + kh, ow s - p + kw) of
// image first + i, zeros in the padding. channels_last: H W Cin floats of scratch.
void gather_pixel_major(const ConvGeometry& g, const KernelFamily& family, const float* x,
                        int64_t first, int64_t count, float* channels_last, float* col) {
  const int64_t cin = g.in_channels, plane = g.height * g.width;
  const int64_t row_width = g.kernel_h * g.kernel_w * cin;
  for (int64_t i = 0; i < count; ++i) {
    family.pack_transposed(x + (first + i) * cin * plane, plane, plane, static_cast<int>(cin),
                           static_cast<int>(cin), channels_last);
    for (int64_t oh = 0; oh < g.out_h(); ++oh) {
      for (int64_t ow = 0; ow < g.out_w(); ++ow) {
        float* row = col + ((i * g.out_h() + oh) * g.out_w() + ow) * row_width;
        for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
          const int64_t ih = oh * g.stride - g.padding + kh;
          for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
            const int64_t iw = ow * g.stride - g.padding + kw;
            float* taps = row + (kh * g.kernel_w + kw) * cin;
            if (ih < 0 || ih >= g.height || iw < 0 || iw >= g.width) {
              std::fill(taps, taps + cin, 0.0f);
            } else {
              const float* pixel = channels_last + (ih * g.width + iw) * cin;
              std::copy(pixel, pixel + cin, taps);
            }
          }
        }
      }
    }
  }
}

}  // namespace

bool implicit_weight_gradient_applies(const ConvGeometry& g) {
  if (g.kernel_h != g.kernel_w || g.kernel_h == 1) return false;
  // The depth skips the grid's padding positions, so small outputs cost no more per pixel than
  // large ones: at 14x14 and 7x7 this path measured 76% of peak against the pixel-major path's
  // 62-67%, and the downsample 62% against 50%.
  if (g.stride > 1) {
    return is_phase_shiftable(g) && g.height == g.stride * g.out_h() &&
           g.width == g.stride * g.out_w();
  }
  return is_same_size_stride1(g) && g.kernel_h % 2 == 1;
}

void implicit_conv2d_weight_gradient(const ConvGeometry& g, const float* grad_y, const float* x,
                                     float* grad_weight) {
  // The stack is transposed by the fp32 family; the products run on `products` (bf16 under
  // MatmulMath::bf16), whose A panels it also packs.
  const KernelFamily& family = detail::active_kernel_family();
  const KernelFamily& products = detail::matmul_kernel_family();
  const PaddedGrid s = output_grid(g);
  // A stride-s stack holds s^2 Cin floats per position: blocks of 1/s the positions (1/s^2
  // measured slower for the downsample).
  const int64_t images_per_block =
      std::clamp<int64_t>(kPositionsPerBlock / (g.stride * s.positions(1)), 1, g.batch);
  const int64_t padded_rows = (g.out_channels + products.mr - 1) / products.mr * products.mr;
  const int64_t position_floats = g.stride * g.in_channels;
  const bool pairs = products.k_per_word == 2;
  const auto accumulate = [&](int64_t first, int64_t count, float* gradient) {
    const int64_t slack = products.nr + (pairs ? position_floats : 0);
    const int64_t floats = g.stride * phase_floats(g, s, count);
    float* stacked = thread_scratch<float, 0>(floats + slack);
    float* packed =
        thread_scratch<float, 1>(padded_rows * count * g.out_h() * products.word_rows(g.out_w()));
    stack_images(g, family, s, x, first, count, slack, stacked);
    pack_grad_out(g, products, grad_y, first, count, packed);
    const float* b_operand =
        pairs ? pair_positions(products, stacked, floats, position_floats, products.nr) : stacked;
    accumulate_block(g, products, s, packed, b_operand, count, gradient);
  };
  sum_over_image_blocks(g, images_per_block, accumulate, grad_weight);
}

bool pixel_major_weight_gradient_applies(const ConvGeometry& g) {
  return !g.is_pointwise() && g.in_channels >= kMinPixelMajorChannels;
}

void pixel_major_conv2d_weight_gradient(const ConvGeometry& g, const float* grad_y, const float* x,
                                        float* grad_weight) {
  const KernelFamily& family = detail::active_kernel_family();
  const int64_t pixels = g.out_h() * g.out_w(), row_width = g.patch();
  const int64_t images_per_block =
      std::clamp<int64_t>((kPixelsPerBlock + pixels - 1) / pixels, 1, g.batch);
  const auto accumulate = [&](int64_t first, int64_t count, float* gradient) {
    float* channels_last = thread_scratch<float, 2>(g.height * g.width * g.in_channels);
    float* col = thread_scratch<float, 0>(count * pixels * row_width);
    float* grad_out = thread_scratch<float, 1>(g.out_channels * count * pixels);
    gather_pixel_major(g, family, x, first, count, channels_last, col);
    images_to_matrix(grad_y, g.out_channels, pixels, first, count, grad_out);
    // gradient (Cout, KH KW Cin) += grad_out (Cout, count P) . col (count P, KH KW Cin)
    sgemm(false, false, g.out_channels, row_width, count * pixels, 1.0f, grad_out, count * pixels,
          col, row_width, 1.0f, gradient, row_width);
  };
  sum_over_image_blocks(g, images_per_block, accumulate, grad_weight);
}

// Images per call of the thin kernel: its sums stay vectors across them (one lane sum per block).
constexpr int64_t kThinImagesPerBlock = 16;

void thin_conv2d_weight_gradient(const ConvGeometry& g, const float* grad_y, const float* x,
                                 float* grad_weight, float* grad_bias) {
  const int64_t in_image = g.in_channels * g.height * g.width;
  const int64_t out_image = g.out_channels * g.out_h() * g.out_w();
  // The kernel sums the bias from the loads it makes anyway; where the caller wants none, the
  // sums land in a scratch row.
  std::vector<float> unused_bias(grad_bias == nullptr ? g.out_channels : 0);
  float* bias = grad_bias != nullptr ? grad_bias : unused_bias.data();
  const int64_t weight_count = g.out_channels * g.patch();
  const auto accumulate = [&](int64_t first, int64_t count, float* gradient) {
    detail::thin_weight_gradient_images_avx512(g, grad_y + first * out_image, x + first * in_image,
                                               count, gradient, gradient + weight_count);
  };
  sum_over_image_blocks(g, kThinImagesPerBlock, accumulate, grad_weight, bias);
}

}  // namespace lethe::cpu
