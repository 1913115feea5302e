// Direct fp32 convolution on zero-padded channel planes shared by a block of images, for
// same-size stride-1 convolutions: tap (kh, kw) reads the input shifted by (kh - p, kw - p).
//
// Grid (cpu/padded_grid.h). All planes of a block share one grid: rows of W + p positions (p zero
// columns end each row and are also the zeros before the next one), the images stacked with p
// zero rows after each, and p zero rows plus p zeros before the first. Image i's pixel (u, v) sits
// at position k = (i (H + p) + u)(W + p) + v and its neighbour (u + dh, v + dw) at
// k + dh (W + p) + dw, so every tap reads a whole plane at one offset:
//   out(rows, k) = sum over taps t of A_t(rows, depth) . in(depth, k + offset_t)
// a GEMM per tap whose B operand has its rows (channels) one plane apart, which the micro-kernels
// read in place. Positions in the padding (v >= W or u >= H) compute values nobody reads.
//
// Forward: depth Cin, rows Cout, A_t = W[:, :, kh, kw], in = x. Input gradient: depth Cout, rows
// Cin, A_t = W[:, :, kh, kw]^T, in = grad_y, offset -offset_t.
#include "lethe/cpu/conv_direct.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "lethe/cpu/gemm.h"
#include "lethe/cpu/padded_grid.h"
#include "lethe/cpu/padded_rows.h"
#include "lethe/cpu/prefetch.h"
#include "lethe/cpu/scratch.h"

namespace lethe::cpu {
namespace {

using detail::KernelFamily;
using detail::MicroTile;

// Floats of stacked planes and outputs one block of images keeps in L2 (768 KiB).
constexpr int64_t kBlockFloats = 196608;
constexpr int64_t kMinChannels = 16;

struct Tap {
  int64_t kh, kw, offset;  // offset (kh - p) (W + p) + kw - p
};

std::vector<Tap> taps_of(const ConvGeometry& g, const PaddedGrid& grid) {
  std::vector<Tap> taps;
  for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
    for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
      taps.push_back({kh, kw, (kh - g.padding) * grid.row_width() + kw - g.padding});
    }
  }
  return taps;
}

// A_t of the taps in `order` as mr-tall panels over their rows, the taps of one panel side by
// side so that a micro-kernel runs through them as one depth (its segments):
//   panels[((q * taps + j) * depth + k) * mr + r] = A_order[j](q mr + r, k), zero past the rows,
// A_t(co, ci) = W[co, ci, kh, kw], or its transpose A_t(ci, co) when `transposed`.
void pack_tap_panels(const ConvGeometry& g, const std::vector<Tap>& order, bool transposed,
                     int64_t mr, const float* weight, float* panels) {
  const int64_t rows = transposed ? g.in_channels : g.out_channels;
  const int64_t depth = transposed ? g.out_channels : g.in_channels;
  const int64_t panel_count = (rows + mr - 1) / mr, taps = g.kernel_h * g.kernel_w;
  const int64_t order_count = static_cast<int64_t>(order.size());
  for (int64_t q = 0; q < panel_count; ++q) {
    for (int64_t j = 0; j < order_count; ++j) {
      const int64_t tap = order[j].kh * g.kernel_w + order[j].kw;
      float* panel = panels + (q * order_count + j) * depth * mr;
      for (int64_t k = 0; k < depth; ++k) {
        for (int64_t r = 0; r < mr; ++r) {
          const int64_t row = q * mr + r;
          const int64_t co = transposed ? k : row, ci = transposed ? row : k;
          panel[k * mr + r] = row < rows ? weight[(co * g.in_channels + ci) * taps + tap] : 0.0f;
        }
      }
    }
  }
}

// Images [first, first + count) of `images` (B, C, H, W) as C planes on the grid:
// stack[c * plane_floats + lead + position(i, u, v)] = image i [c, u, v]; zero elsewhere.
// The rows are read one by one, which the hardware prefetcher does not run ahead of, so the next
// plane is asked for before each is moved (unstack_planes the same, for writing): the
// convolutions at 28x28 went from 70-78 % to 80-83 % of peak forward and 70-78 % to 79-82 % for
// the input gradient (bench ops, five alternating rounds).
void stack_planes(const PaddedGrid& grid, const float* images, int64_t channels, int64_t first,
                  int64_t count, int64_t plane_floats, float* stack) {
  const int64_t plane = grid.rows * grid.cols, row_width = grid.row_width();
  const int64_t lead = grid.lead(), body_end = lead + grid.positions(count);
  for (int64_t c = 0; c < channels; ++c) {
    std::fill(stack + c * plane_floats, stack + c * plane_floats + lead, 0.0f);
    std::fill(stack + c * plane_floats + body_end, stack + (c + 1) * plane_floats, 0.0f);
  }
  // Image by image, channel by channel: the images are read in memory order.
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t c = 0; c < channels; ++c) {
      const float* image = images + ((first + i) * channels + c) * plane;
      prefetch_floats(image + plane, plane);
      float* target = stack + c * plane_floats + lead + grid.position(i, 0, 0);
      copy_padded_rows(image, grid.cols, grid.rows, grid.cols, grid.pad, target, row_width);
      float* pad_rows = target + grid.rows * row_width;
      std::fill(pad_rows, pad_rows + grid.pad * row_width, 0.0f);
    }
  }
}

// The inverse for outputs on the grid, (C, positions): image i [c, u, v] of `images` =
// out[c * positions + position(i, u, v)] (+ bias[c] when not null).
void unstack_planes(const PaddedGrid& grid, const float* out, int64_t channels, int64_t first,
                    int64_t count, const float* bias, float* images) {
  const int64_t plane = grid.rows * grid.cols, positions = grid.positions(count);
  const int64_t row_width = grid.row_width();
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t c = 0; c < channels; ++c) {
      const float shift = bias != nullptr ? bias[c] : 0.0f;
      float* image = images + ((first + i) * channels + c) * plane;
      prefetch_floats_for_writing(image + plane, plane);
      const float* source = out + c * positions + grid.position(i, 0, 0);
      for (int64_t u = 0; u < grid.rows; ++u) {
        const float* source_row = source + u * row_width;
        float* target_row = image + u * grid.cols;
        for (int64_t v = 0; v < grid.cols; ++v) target_row[v] = source_row[v] + shift;
      }
    }
  }
}

// out(rows, positions) = sum over the taps of A_t . the stacked input at b_offsets[t] floats
// from `stack`.
void sum_tap_products(const KernelFamily& family, int64_t rows, int64_t depth, int64_t taps,
                      const float* panels, const int64_t* b_offsets, const float* stack,
                      int64_t plane_floats, int64_t positions, float* out) {
  const int64_t mr = family.mr, panel_count = (rows + mr - 1) / mr;
  MicroTile tile{};
  tile.depth = depth;
  tile.a_k_stride = mr;
  tile.b_k_stride = plane_floats;
  tile.segments = static_cast<int>(taps);
  tile.b_segment_offsets = b_offsets;
  tile.ldc = positions;
  tile.alpha = 1.0f;
  tile.beta = 0.0f;
  for (int64_t q = 0; q < panel_count; ++q) {
    tile.rows = static_cast<int>(std::min(mr, rows - q * mr));
    tile.a = panels + q * taps * depth * mr;
    for (int64_t col = 0; col < positions; col += family.nr) {
      tile.cols = static_cast<int>(std::min<int64_t>(family.nr, positions - col));
      tile.b = stack + col;
      tile.c = out + q * mr * positions + col;
      family.kernel(tile);
    }
  }
}

// Images per block: the block's stacked inputs and outputs (floats_per_image each) fit
// kBlockFloats, and every thread gets a block.
int64_t images_per_block(const ConvGeometry& g, int64_t floats_per_image) {
  const int64_t threads = omp_get_max_threads();
  const int64_t share = (g.batch + threads - 1) / threads;
  return std::clamp<int64_t>(kBlockFloats / floats_per_image, 1, share);
}

// Runs one direction over all blocks of images: `in` (B, depth, H, W) -> `out` (B, rows, H, W);
// tap t reads the input at in_sign * offset_t, in_sign = -1 for the input gradient.
void run_blocks(const ConvGeometry& g, bool transposed, const float* weight, const float* bias,
                const float* in, float* out) {
  const KernelFamily& family = detail::active_kernel_family();
  const PaddedGrid grid = output_grid(g);
  const std::vector<Tap> taps = taps_of(g, grid);
  const int64_t rows = transposed ? g.in_channels : g.out_channels;
  const int64_t depth = transposed ? g.out_channels : g.in_channels;
  const int64_t in_sign = transposed ? -1 : 1;
  const int64_t count = images_per_block(g, (depth + rows) * grid.positions(1));
  const int64_t blocks = (g.batch + count - 1) / count;
  const int64_t tap_count = static_cast<int64_t>(taps.size());
  const int64_t panel_count = (rows + family.mr - 1) / family.mr;
  float* panels = thread_scratch<float, 3>(tap_count * panel_count * family.mr * depth);
  pack_tap_panels(g, taps, transposed, family.mr, weight, panels);
  // Every block's planes are as long as a full block's, so the taps' offsets are the same.
  // Planes hold nr zeros more, which micro-kernels may read past the last column.
  const int64_t plane_floats = grid.entries(count) + family.nr;
  std::vector<int64_t> b_offsets(tap_count);
  for (int64_t j = 0; j < tap_count; ++j) b_offsets[j] = grid.lead() + in_sign * taps[j].offset;
#pragma omp parallel for if (blocks > 1) schedule(dynamic)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t first = b * count, images = std::min(count, g.batch - first);
    const int64_t positions = grid.positions(images);
    float* stack = thread_scratch<float, 0>(depth * plane_floats);
    float* sums = thread_scratch<float, 1>(rows * positions);
    stack_planes(grid, in, depth, first, images, plane_floats, stack);
    sum_tap_products(family, rows, depth, tap_count, panels, b_offsets.data(), stack, plane_floats,
                     positions, sums);
    unstack_planes(grid, sums, rows, first, images, bias, out);
  }
}

}  // namespace

bool direct_conv_applies(const ConvGeometry& g) {
  if (g.in_channels < kMinChannels || g.out_channels < kMinChannels) return false;
  const bool shape_fits = g.stride == 1 && g.kernel_h == g.kernel_w &&
                          g.kernel_h == 2 * g.padding + 1 && g.kernel_h > 1;
  // The grid's padding positions cost as much as real ones: at most 10% more than the pixels
  // (28x28 pays 7%). At 14x14 (15%) and 7x7 (31%) the implicit GEMM, which computes none, is
  // faster: 64 -> 64 at 14x14 75-77 -> 77-83 % forward, 74-77 -> 79-80 % input gradient; at 28x28
  // it is 1-6 points slower (bench ops, five alternating rounds).
  return shape_fits && output_grid(g).positions(1) * 100 <= g.out_h() * g.out_w() * 110;
}

void direct_conv2d_forward(const ConvGeometry& g, const float* x, const float* weight,
                           const float* bias, float* y) {
  run_blocks(g, false, weight, bias, x, y);
}

void direct_conv2d_backward_input(const ConvGeometry& g, const float* grad_y, const float* weight,
                                  float* grad_x) {
  run_blocks(g, true, weight, nullptr, grad_y, grad_x);
}

}  // namespace lethe::cpu
