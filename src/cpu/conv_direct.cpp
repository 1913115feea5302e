// Direct fp32 convolution on zero-padded channel planes shared by a block of images.
//
// Phases. A same-size stride-1 convolution reads, for tap (kh, kw), its input shifted by
// (kh - p, kw - p). A phase-shiftable stride-s convolution (conv.h) on sizes s divides reads, for
// tap (kh, kw), the phase plane (rh, rw) of its input (the OH x OW plane of pixels
// x[s u + rh, s v + rw]) shifted by (sh, sw) in {-1, 0}. Stride 1 is the case of one phase.
//
// Grid (cpu/padded_grid.h). All planes of a block share one grid: rows of OW + q positions (q = the
// largest shift: q zero columns end each row and are also the zeros before the next one), the
// images stacked with q zero rows after each, and q zero rows plus q zeros before the first. Image
// i's pixel (u, v) sits at position k = (i (OH + q) + u)(OW + q) + v and its neighbour (u + sh, v +
// sw) at k + sh (OW + q) + sw, so every tap reads a whole plane at one offset:
//   out(rows, k) = sum over taps t of A_t(rows, depth) . in_t(depth, k + offset_t)
// a GEMM per tap whose B operand has its rows (channels) one plane apart, which the micro-kernels
// read in place. Positions in the padding (v >= OW or u >= OH) compute values nobody reads.
//
// Forward: depth Cin, rows Cout, A_t = W[:, :, kh, kw], in_t = the input phase of tap t, one
// output plane per channel. Input gradient: depth Cout, rows Cin, A_t = W[:, :, kh, kw]^T, in =
// grad_y, offset -offset_t, and tap t adds to the grad_x phase it read in the forward.
#include "cpu/conv_direct.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "cpu/gemm.h"
#include "cpu/padded_grid.h"
#include "cpu/phase_rows.h"
#include "cpu/prefetch.h"
#include "cpu/scratch.h"

namespace lethe::cpu {
namespace {

using detail::KernelFamily;
using detail::MicroTile;

// Floats of stacked planes and outputs one block of images keeps in L2 (768 KiB).
constexpr int64_t kBlockFloats = 196608;
constexpr int64_t kMinChannels = 16;

struct Tap {
  int64_t kh, kw, phase, offset;  // phase rh * s + rw; offset sh (OW + q) + sw
};

struct Plan {
  int64_t stride;
  PaddedGrid grid;
  std::vector<Tap> taps;
};

Plan plan_of(const ConvGeometry& g) {
  Plan plan{g.stride, output_grid(g), {}};
  const int64_t row_width = plan.grid.row_width();
  for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
    for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
      const PhaseTap th = phase_tap(g, kh), tw = phase_tap(g, kw);
      plan.taps.push_back(
          {kh, kw, th.residue * g.stride + tw.residue, th.shift * row_width + tw.shift});
    }
  }
  return plan;
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

// Images [first, first + count) of `images` (B, C, s OH, s OW) as s^2 phases of C planes each on
// the grid: stack[(phase * C + c) * plane_floats + lead + position(i, u, v)] =
// image i [c, s u + rh, s v + rw]; zero elsewhere. Each image row is read once, into its s phases,
// and every float of the stack is written once.
// The rows are read one by one, two apart at stride 2, which the hardware prefetcher does not
// run ahead of, so the next plane is asked for before each is moved (unstack_phases the same,
// for writing): the stride-1 convolutions at 28x28 went from 70-78 % to 80-83 % of peak forward
// and 70-78 % to 79-82 % for the input gradient (bench ops, five alternating rounds); the
// 32 -> 32 downsample's stacking took 0.54 ms where it took 0.94 (one thread).
void stack_phases(const PaddedGrid& grid, int64_t stride, const float* images, int64_t channels,
                  int64_t first, int64_t count, int64_t plane_floats, float* stack) {
  const int64_t height = stride * grid.rows, width = stride * grid.cols;
  const int64_t phases = stride * stride, phase_floats = channels * plane_floats;
  const int64_t pad = grid.pad, lead = grid.lead(), body_end = lead + grid.positions(count);
  const int64_t row_width = grid.row_width();
  for (int64_t plane = 0; plane < phases * channels; ++plane) {
    std::fill(stack + plane * plane_floats, stack + plane * plane_floats + lead, 0.0f);
    std::fill(stack + plane * plane_floats + body_end, stack + (plane + 1) * plane_floats, 0.0f);
  }
  // Image by image, channel by channel: the images are read in memory order.
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t c = 0; c < channels; ++c) {
      const float* image = images + ((first + i) * channels + c) * height * width;
      prefetch_floats(image + height * width, height * width);
      // Pixel (0, 0) of image i in phase 0's plane of channel c.
      float* planes = stack + c * plane_floats + lead + grid.position(i, 0, 0);
      for (int64_t rh = 0; rh < stride; ++rh) {
        // Rows s u + rh of the image to rows u of phases (rh, 0 .. s-1).
        const float* source = image + rh * width;
        float* target = planes + rh * stride * phase_floats;
        if (stride == 1) {
          copy_padded_rows(source, width, grid.rows, grid.cols, pad, target, row_width);
          continue;
        }
        if (stride == 2) {
          split_row_pairs(source, 2 * width, grid.rows, grid.cols, pad, target,
                          target + phase_floats, row_width);
          continue;
        }
        for (int64_t u = 0; u < grid.rows; ++u) {
          const float* source_row = source + u * stride * width;
          for (int64_t rw = 0; rw < stride; ++rw) {
            float* phase_row = target + rw * phase_floats + u * row_width;
            for (int64_t v = 0; v < grid.cols; ++v) phase_row[v] = source_row[stride * v + rw];
            for (int64_t v = grid.cols; v < row_width; ++v) phase_row[v] = 0.0f;
          }
        }
      }
      for (int64_t phase = 0; phase < phases; ++phase) {
        float* pad_rows = planes + phase * phase_floats + grid.rows * row_width;
        std::fill(pad_rows, pad_rows + pad * row_width, 0.0f);
      }
    }
  }
}

// The inverse for outputs on the grid, (s^2 phases, C, positions): image i [c, s u + rh, s v + rw]
// of `images` = out[(phase * C + c) * positions + position(i, u, v)] (+ bias[c] when not null).
// Each image row is written once, from its s phases.
void unstack_phases(const PaddedGrid& grid, int64_t stride, const float* out, int64_t channels,
                    int64_t first, int64_t count, const float* bias, float* images) {
  const int64_t height = stride * grid.rows, width = stride * grid.cols;
  const int64_t positions = grid.positions(count), phase_floats = channels * positions;
  const int64_t row_width = grid.row_width();
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t c = 0; c < channels; ++c) {
      const float shift = bias != nullptr ? bias[c] : 0.0f;
      float* image = images + ((first + i) * channels + c) * height * width;
      prefetch_floats_for_writing(image + height * width, height * width);
      const float* planes = out + c * positions + grid.position(i, 0, 0);
      for (int64_t rh = 0; rh < stride; ++rh) {
        const float* source = planes + rh * stride * phase_floats;
        float* target = image + rh * width;
        if (stride == 2) {
          merge_row_pairs(source, source + phase_floats, row_width, grid.rows, grid.cols, shift,
                          target, 2 * width);
          continue;
        }
        for (int64_t u = 0; u < grid.rows; ++u) {
          float* target_row = target + u * stride * width;
          const float* source_row = source + u * row_width;
          if (stride == 1) {
            for (int64_t v = 0; v < grid.cols; ++v) target_row[v] = source_row[v] + shift;
            continue;
          }
          for (int64_t v = 0; v < grid.cols; ++v) {
            for (int64_t rw = 0; rw < stride; ++rw) {
              target_row[stride * v + rw] = source_row[rw * phase_floats + v] + shift;
            }
          }
        }
      }
    }
  }
}

// out(rows, positions) = sum over `segments` consecutive taps (from `first_tap` in the panels'
// order) of A_t . the stacked input at b_offsets[t] floats from `stack`; zeros when there are none.
void sum_tap_products(const KernelFamily& family, int64_t rows, int64_t depth, int64_t taps,
                      const float* panels, int64_t first_tap, int segments,
                      const int64_t* b_offsets, const float* stack, int64_t plane_floats,
                      int64_t positions, float* out) {
  if (segments == 0) {
    std::fill(out, out + rows * positions, 0.0f);
    return;
  }
  const int64_t mr = family.mr, panel_count = (rows + mr - 1) / mr;
  MicroTile tile{};
  tile.depth = depth;
  tile.a_k_stride = mr;
  tile.b_k_stride = plane_floats;
  tile.segments = segments;
  tile.b_segment_offsets = b_offsets;
  tile.ldc = positions;
  tile.alpha = 1.0f;
  tile.beta = 0.0f;
  for (int64_t q = 0; q < panel_count; ++q) {
    tile.rows = static_cast<int>(std::min(mr, rows - q * mr));
    tile.a = panels + (q * taps + first_tap) * depth * mr;
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

// Runs one direction over all blocks of images: `in` (B, depth, s_in OH, s_in OW) -> `out`
// (B, rows, s_out OH, s_out OW), where s_in, s_out are (stride, 1) forward and (1, stride) for the
// input gradient; tap t reads input phase in_phase(t) at in_sign * offset_t and adds to output
// phase out_phase(t).
template <class InPhase, class OutPhase>
void run_blocks(const ConvGeometry& g, const Plan& plan, bool transposed, const float* weight,
                const float* bias, const float* in, float* out, InPhase in_phase,
                OutPhase out_phase) {
  const KernelFamily& family = detail::active_kernel_family();
  const int64_t rows = transposed ? g.in_channels : g.out_channels;
  const int64_t depth = transposed ? g.out_channels : g.in_channels;
  const int64_t in_stride = transposed ? 1 : plan.stride, out_stride = transposed ? plan.stride : 1;
  const int64_t in_sign = transposed ? -1 : 1;
  const PaddedGrid& grid = plan.grid;
  const int64_t image_positions = grid.positions(1);
  const int64_t count = images_per_block(
      g, (in_stride * in_stride * depth + out_stride * out_stride * rows) * image_positions);
  const int64_t blocks = (g.batch + count - 1) / count;
  // The taps grouped by output phase, and where each group starts.
  const int64_t out_phases = out_stride * out_stride;
  std::vector<Tap> order;
  std::vector<int64_t> group_start;
  for (int64_t o = 0; o < out_phases; ++o) {
    group_start.push_back(static_cast<int64_t>(order.size()));
    for (const Tap& t : plan.taps) {
      if (out_phase(t) == o) order.push_back(t);
    }
  }
  group_start.push_back(static_cast<int64_t>(order.size()));
  const int64_t taps = static_cast<int64_t>(order.size());
  const int64_t panel_count = (rows + family.mr - 1) / family.mr;
  float* panels = thread_scratch<float, 3>(taps * panel_count * family.mr * depth);
  pack_tap_panels(g, order, transposed, family.mr, weight, panels);
  // Every block's planes are as long as a full block's, so the taps' offsets are the same.
  // Planes hold nr zeros more, which micro-kernels may read past the last column.
  const int64_t plane_floats = grid.entries(count) + family.nr;
  std::vector<int64_t> b_offsets(taps);
  for (int64_t j = 0; j < taps; ++j) {
    b_offsets[j] =
        in_phase(order[j]) * depth * plane_floats + grid.lead() + in_sign * order[j].offset;
  }
#pragma omp parallel for if (blocks > 1) schedule(dynamic)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t first = b * count, images = std::min(count, g.batch - first);
    const int64_t positions = grid.positions(images);
    float* stack = thread_scratch<float, 0>(in_stride * in_stride * depth * plane_floats);
    float* sums = thread_scratch<float, 1>(out_phases * rows * positions);
    stack_phases(grid, in_stride, in, depth, first, images, plane_floats, stack);
    for (int64_t o = 0; o < out_phases; ++o) {
      sum_tap_products(family, rows, depth, taps, panels, group_start[o],
                       static_cast<int>(group_start[o + 1] - group_start[o]),
                       b_offsets.data() + group_start[o], stack, plane_floats, positions,
                       sums + o * rows * positions);
    }
    unstack_phases(grid, out_stride, sums, rows, first, images, bias, out);
  }
}

bool direct_path_enabled = true;

}  // namespace

void set_direct_conv_enabled(bool enabled) {
  direct_path_enabled = enabled;
}
bool direct_conv_enabled() {
  return direct_path_enabled;
}

bool direct_conv_applies(const ConvGeometry& g) {
  if (g.in_channels < kMinChannels || g.out_channels < kMinChannels) return false;
  const bool shape_fits =
      g.stride == 1 ? g.kernel_h == g.kernel_w && g.kernel_h == 2 * g.padding + 1 && g.kernel_h > 1
                    : is_phase_shiftable(g) && g.height == g.stride * g.out_h() &&
                          g.width == g.stride * g.out_w();
  // The grid's padding positions cost as much as real ones: at most 20% more than the pixels
  // (28x28 pays 7%, 14x14 15%; at 7x7, 31%, im2col + GEMM is faster).
  return shape_fits && output_grid(g).positions(1) * 100 <= g.out_h() * g.out_w() * 120;
}

void direct_conv2d_forward(const ConvGeometry& g, const float* x, const float* weight,
                           const float* bias, float* y) {
  run_blocks(
      g, plan_of(g), false, weight, bias, x, y, [](const Tap& t) { return t.phase; },
      [](const Tap&) { return int64_t{0}; });
}

void direct_conv2d_backward_input(const ConvGeometry& g, const float* grad_y, const float* weight,
                                  float* grad_x) {
  run_blocks(
      g, plan_of(g), true, weight, nullptr, grad_y, grad_x, [](const Tap&) { return int64_t{0}; },
      [](const Tap& t) { return t.phase; });
}

}  // namespace lethe::cpu
