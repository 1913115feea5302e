// Weight gradient of a same-size stride-1 convolution as an implicit GEMM.
//
// The images of a block are stacked one under another, channels last, in rows of
// Wp = W + 2p pixels (p zero pixels either side), p zero rows before the first image and after
// each one: image i's row h is stacked row p + i (H + p) + h. Output position
// k = (i (H + p) + oh) Wp + ow of image i then reads, for tap (kh, kw), stacked pixel
// k + kh Wp + kw, so for one kernel row kh the taps kw = 0 .. KW-1 and all channels are the
// KW * Cin consecutive floats at stacked pixel k + kh Wp:
//   gradient(Cout, kh, KW * Cin) += grad_out(Cout, k) . X(k + kh Wp, KW * Cin)
// a GEMM whose B rows are Cin floats apart (overlapping), which the micro-kernels read in place.
// Positions with ow >= W or oh >= H are padding: their grad_out columns are zero.
#include "cpu/conv_weight_gradient.h"

#include <omp.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "cpu/gemm.h"

namespace lethe::cpu {
namespace {

using detail::KernelFamily;
using detail::MicroTile;

// Output positions per block of images: the block's stacked copy and packed grad_out (about
// (Cin + Cout) * 8 KiB) stay in L2.
constexpr int64_t kPositionsPerBlock = 2048;
// Depth of one micro-kernel call: its A panel (mr x kc) stays in L1.
constexpr int64_t kDepthBlock = 384;

struct Stacking {
  int64_t padding, padded_width, image_rows;  // p, Wp, H + p
  int64_t positions(int64_t images) const { return images * image_rows * padded_width; }
  // Stacked pixels a block of `images` reads (its positions plus the last taps' reach).
  int64_t pixels(int64_t images) const {
    return (images * image_rows + 2 * padding) * padded_width;
  }
};

Stacking stacking_of(const ConvGeometry& g) {
  return {g.padding, g.width + 2 * g.padding, g.height + g.padding};
}

template <class T>
T* scratch_buffer(std::vector<T>& buffer, int64_t count) {
  if (static_cast<int64_t>(buffer.size()) < count) buffer.resize(count);
  return buffer.data();
}

// Images [first, first + count) of x stacked channels last into `stacked` (s.pixels(count) *
// Cin floats, then `slack` zero floats that micro-kernels may read past the last column).
void stack_images(const ConvGeometry& g, const KernelFamily& family, const Stacking& s,
                  const float* x, int64_t first, int64_t count, int64_t slack, float* stacked) {
  const int64_t cin = g.in_channels, plane = g.height * g.width;
  std::fill(stacked, stacked + s.pixels(count) * cin + slack, 0.0f);
  for (int64_t i = 0; i < count; ++i) {
    const float* image = x + (first + i) * cin * plane;
    for (int64_t h = 0; h < g.height; ++h) {
      const int64_t row = s.padding + i * s.image_rows + h;
      family.pack_transposed(image + h * g.width, plane, g.width, static_cast<int>(cin),
                             static_cast<int>(cin),
                             stacked + (row * s.padded_width + s.padding) * cin);
    }
  }
}

// grad_y of images [first, first + count) as mr-tall panels over Cout, panel q at
// packed + q * mr * positions: packed[(q mr + .) ...][k * mr + r] = grad_y[., q mr + r, oh, ow] at
// position k, zero at the padding positions.
void pack_grad_out(const ConvGeometry& g, const KernelFamily& family, const Stacking& s,
                   const float* grad_y, int64_t first, int64_t count, float* packed) {
  const int64_t mr = family.mr, plane = g.height * g.width, positions = s.positions(count);
  for (int64_t row0 = 0; row0 < g.out_channels; row0 += mr) {
    const int rows = static_cast<int>(std::min(mr, g.out_channels - row0));
    float* panel = packed + row0 * positions;
    std::fill(panel, panel + mr * positions, 0.0f);
    for (int64_t i = 0; i < count; ++i) {
      const float* channels = grad_y + ((first + i) * g.out_channels + row0) * plane;
      for (int64_t oh = 0; oh < g.height; ++oh) {
        const int64_t k = (i * s.image_rows + oh) * s.padded_width;
        family.pack_transposed(channels + oh * g.width, plane, g.width, rows, static_cast<int>(mr),
                               panel + k * mr);
      }
    }
  }
}

// gradient (Cout, KH, KW * Cin) += the block's products, depth-blocked.
void accumulate_block(const ConvGeometry& g, const KernelFamily& family, const Stacking& s,
                      const float* packed, const float* stacked, int64_t positions,
                      float* gradient) {
  const int64_t row_width = g.kernel_w * g.in_channels;  // KW * Cin
  const int64_t ldc = g.kernel_h * row_width;
  MicroTile tile{};
  tile.a_k_stride = family.mr;
  tile.b_k_stride = g.in_channels;
  tile.ldc = ldc;
  tile.alpha = 1.0f;
  tile.beta = 1.0f;
  for (int64_t k0 = 0; k0 < positions; k0 += kDepthBlock) {
    tile.depth = std::min(kDepthBlock, positions - k0);
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      const float* b_rows = stacked + (k0 + kh * s.padded_width) * g.in_channels;
      for (int64_t col = 0; col < row_width; col += family.nr) {
        tile.b = b_rows + col;
        tile.cols = static_cast<int>(std::min<int64_t>(family.nr, row_width - col));
        for (int64_t row0 = 0; row0 < g.out_channels; row0 += family.mr) {
          tile.rows = static_cast<int>(std::min<int64_t>(family.mr, g.out_channels - row0));
          tile.a = packed + row0 * positions + k0 * family.mr;
          tile.c = gradient + row0 * ldc + kh * row_width + col;
          family.kernel(tile);
        }
      }
    }
  }
}

}  // namespace

bool implicit_weight_gradient_applies(const ConvGeometry& g) {
  if (g.stride != 1 || g.kernel_h != g.kernel_w || g.kernel_h % 2 == 0 || g.kernel_h == 1 ||
      g.padding != (g.kernel_h - 1) / 2) {
    return false;
  }
  // The padding positions cost as much as real ones: at most 15% more than the pixels (28x28 pays
  // 11%; 14x14 would pay 22% and 7x7 47%, where the im2col path is faster).
  const Stacking s = stacking_of(g);
  return s.positions(1) * 100 <= g.height * g.width * 115;
}

void implicit_conv2d_weight_gradient(const ConvGeometry& g, const float* grad_y, const float* x,
                                     float* grad_weight) {
  const KernelFamily& family = detail::active_kernel_family();
  const Stacking s = stacking_of(g);
  const int64_t weight_count = g.out_channels * g.patch();
  const int64_t images_per_block =
      std::clamp<int64_t>(kPositionsPerBlock / s.positions(1), 1, g.batch);
  const int64_t blocks = (g.batch + images_per_block - 1) / images_per_block;
  const int threads = blocks > 1 ? omp_get_max_threads() : 1;
  // As in conv2d_backward_weight: chunks of consecutive blocks shared out dynamically, each with
  // its own partial gradient (Cout, KH, KW, Cin), summed in chunk order.
  const int64_t chunks = std::min<int64_t>(blocks, 4 * threads);
  const std::unique_ptr<float[]> partials(new float[chunks * weight_count]());
#pragma omp parallel for num_threads(threads) schedule(dynamic)
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    thread_local std::vector<float> stacked_buffer, packed_buffer;
    for (int64_t block = chunk * blocks / chunks; block < (chunk + 1) * blocks / chunks; ++block) {
      const int64_t first = block * images_per_block;
      const int64_t count = std::min(images_per_block, g.batch - first);
      const int64_t positions = s.positions(count);
      const int64_t slack = family.nr;
      float* stacked = scratch_buffer(stacked_buffer, s.pixels(count) * g.in_channels + slack);
      const int64_t padded_rows = (g.out_channels + family.mr - 1) / family.mr * family.mr;
      float* packed = scratch_buffer(packed_buffer, padded_rows * positions);
      stack_images(g, family, s, x, first, count, slack, stacked);
      pack_grad_out(g, family, s, grad_y, first, count, packed);
      accumulate_block(g, family, s, packed, stacked, positions,
                       partials.get() + chunk * weight_count);
    }
  }
  for (int64_t chunk = 1; chunk < chunks; ++chunk) {
    const float* partial = partials.get() + chunk * weight_count;
    for (int64_t i = 0; i < weight_count; ++i) partials[i] += partial[i];
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
}

}  // namespace lethe::cpu
