// AVX-512 kernels of cpu/thin_conv.h.
// - Forward with few outputs: per output channel, the nine tap sums over the input channels at
//   each pixel (plain loads, nine FMAs per load), then the sum of the nine sum planes, each moved
//   by its tap (masked shifted loads).
// - Forward with few inputs: im2col rows (depth <= 36) times the weights, 4 output channels by 6
//   vectors of sums in registers, stored past the caches.
// - Weight gradient: the few-channel side's plane moved by every tap (9 vectors per 16 pixels,
//   gathered by the first block of planes), then 3 planes of the other side by the 9 taps of sums
//   in registers, kept as vectors across a block of images.
// Every loop over an array of vector sums is unrolled by pragma: otherwise GCC keeps the array on
// the stack and stores it on every iteration. Compile with -mavx512f.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "lethe/cpu/prefetch.h"
#include "lethe/cpu/scratch.h"
#include "lethe/cpu/shifted_planes.h"
#include "lethe/cpu/tap_plan_avx512.h"
#include "lethe/cpu/thin_conv.h"

namespace lethe::cpu::detail {
namespace {

constexpr int kTaps = 9;
// How far ahead of its loads each plane is asked for. The kernels read many planes side by side,
// each only 1 to 3 KB long: too short for the hardware prefetcher to reach full distance (six
// vectors ahead: forward with few outputs 0.23-0.30 -> 0.22-0.23 ms at batch 128, the best of 6,
// 12 and 24).
constexpr int kPrefetchVectors = 6;

// The vectors [j0, j0 + J) of the nine tap sums of one output channel:
// sums[tap * stride + p] = sum over ci of channel_weight[ci, tap] * x[ci, p], where
// channel_weight is (Cin, 3, 3) and stride = vectors * 16. Each load of x feeds nine FMAs.
template <int J>
void tap_sums_block(const ConvGeometry& g, const TapPlan& plan, const float* x,
                    const float* channel_weight, float* sums, int64_t j0) {
  __m512 sum[kTaps][J];
#pragma GCC unroll 16
  for (int tap = 0; tap < kTaps; ++tap) {
#pragma GCC unroll 16
    for (int j = 0; j < J; ++j) sum[tap][j] = _mm512_setzero_ps();
  }
  const __mmask16 tail = first_lanes(plan.pixels - (plan.vectors - 1) * kLanes);
  __mmask16 inside[J];
#pragma GCC unroll 16
  for (int j = 0; j < J; ++j) inside[j] = j0 + j + 1 < plan.vectors ? 0xFFFF : tail;
  const int64_t channels = g.in_channels, pixels = plan.pixels;
  for (int64_t ci = 0; ci < channels; ++ci) {
    const float* plane = x + ci * pixels + j0 * kLanes;
    prefetch_floats(plane + kPrefetchVectors * kLanes, J * kLanes);
    __m512 in[J];
#pragma GCC unroll 16
    for (int j = 0; j < J; ++j) in[j] = _mm512_maskz_loadu_ps(inside[j], plane + j * kLanes);
    const float* tap_weights = channel_weight + ci * kTaps;
#pragma GCC unroll 16
    for (int tap = 0; tap < kTaps; ++tap) {
      const __m512 w = _mm512_set1_ps(tap_weights[tap]);
#pragma GCC unroll 16
      for (int j = 0; j < J; ++j) sum[tap][j] = _mm512_fmadd_ps(w, in[j], sum[tap][j]);
    }
  }
  const int64_t stride = plan.vectors * kLanes;
#pragma GCC unroll 16
  for (int tap = 0; tap < kTaps; ++tap) {
#pragma GCC unroll 16
    for (int j = 0; j < J; ++j)
      _mm512_storeu_ps(sums + tap * stride + (j0 + j) * kLanes, sum[tap][j]);
  }
}

// out (H, W) = start + sum over taps of the tap's sum plane moved by the tap (masked where the
// source leaves the plane).
void add_moved_tap_sums(const TapPlan& plan, const float* sums, float start, float* out) {
  const int64_t stride = plan.vectors * kLanes;
  const __mmask16 tail = first_lanes(plan.pixels - (plan.vectors - 1) * kLanes);
  for (int64_t j = 0; j < plan.vectors; ++j) {
    __m512 total = _mm512_set1_ps(start);
#pragma GCC unroll 16
    for (int tap = 0; tap < kTaps; ++tap) {
      const float* source = sums + tap * stride + plan.shift[tap] + j * kLanes;
      total = _mm512_add_ps(
          total, _mm512_maskz_loadu_ps(plan.source_masks[tap * plan.vectors + j], source));
    }
    _mm512_mask_storeu_ps(out + j * kLanes, j + 1 < plan.vectors ? 0xFFFF : tail, total);
  }
}

// Where the vectors of one plane moved by each tap come from: forward (the tap's source pixel for
// each pixel) or backward (the pixel the tap reads from lands on the one it reads for), with the
// lanes whose source lies in the plane.
struct MovedPlane {
  const float* start[kTaps];
  const __mmask16* inside[kTaps];

  MovedPlane(const TapPlan& plan, const float* plane, bool backward) {
    const std::vector<__mmask16>& masks = backward ? plan.target_masks : plan.source_masks;
    for (int tap = 0; tap < kTaps; ++tap) {
      start[tap] = plane + (backward ? -plan.shift[tap] : plan.shift[tap]);
      inside[tap] = masks.data() + tap * plan.vectors;
    }
  }
};

// sums (16 lanes) += the centre tap's vectors of `moved` (vectors, 9, 16): the plane itself.
void add_centre_taps(const TapPlan& plan, const float* moved, float* sums) {
  constexpr int kCentreTap = 4;  // no shift
  __m512 total = _mm512_loadu_ps(sums);
  for (int64_t j = 0; j < plan.vectors; ++j) {
    total = _mm512_add_ps(total, _mm512_load_ps(moved + (j * kTaps + kCentreTap) * kLanes));
  }
  _mm512_storeu_ps(sums, total);
}

// partial[c][tap] (NC x 9 vectors of 16 lanes) += over the pixels of one image, planes[c] (NC
// planes of one image) lane by lane times the plane moved by the tap; with kPlaneSums also
// plane_sums[c] (NC vectors) += planes[c]. The moved vectors, `moved` (vectors, 9, 16) on a cache
// line, are read from it, or with kGather loaded from `source` (masked shifted loads) and written
// to it for the later blocks: the stores of the first block overlap its FMAs, where a pass of
// their own cost a sixth of the kernel (1 -> 32 at 28x28, 8 images in cache, one core: 148 ->
// 160 GFLOP/s). The planes are asked for kPrefetchVectors ahead: at batch 128 they come from
// memory (12.8 MB), and 1 -> 32 went from 0.24-0.29 to 0.21-0.25 ms (four alternating rounds).
template <int NC, bool kPlaneSums, bool kGather>
void weight_gradient_block(const TapPlan& plan, const float* planes, const MovedPlane& source,
                           float* moved, float* partial, float* plane_sums) {
  __m512 sum[NC][kTaps], plane_sum[NC];
#pragma GCC unroll 16
  for (int c = 0; c < NC; ++c) {
    plane_sum[c] = kPlaneSums ? _mm512_loadu_ps(plane_sums + c * kLanes) : _mm512_setzero_ps();
  }
#pragma GCC unroll 16
  for (int c = 0; c < NC; ++c) {
#pragma GCC unroll 16
    for (int tap = 0; tap < kTaps; ++tap)
      sum[c][tap] = _mm512_loadu_ps(partial + (c * kTaps + tap) * kLanes);
  }
  const int64_t pixels = plan.pixels, vectors = plan.vectors;
  const __mmask16 tail = first_lanes(pixels - (vectors - 1) * kLanes);
  for (int64_t j = 0; j < vectors; ++j) {
    const __mmask16 inside = j + 1 < vectors ? 0xFFFF : tail;
    __m512 lanes[NC];
#pragma GCC unroll 16
    for (int c = 0; c < NC; ++c) {
      prefetch_floats(planes + c * pixels + (j + kPrefetchVectors) * kLanes, kLanes);
      lanes[c] = _mm512_maskz_loadu_ps(inside, planes + c * pixels + j * kLanes);
      if (kPlaneSums) plane_sum[c] = _mm512_add_ps(plane_sum[c], lanes[c]);
    }
    float* moved_j = moved + j * kTaps * kLanes;
#pragma GCC unroll 16
    for (int tap = 0; tap < kTaps; ++tap) {
      __m512 in;
      if (kGather) {
        in = _mm512_maskz_loadu_ps(source.inside[tap][j], source.start[tap] + j * kLanes);
        _mm512_store_ps(moved_j + tap * kLanes, in);
      } else {
        in = _mm512_load_ps(moved_j + tap * kLanes);
        asm("" : "+v"(in));  // one load in a register, not one folded into each of the NC FMAs
      }
#pragma GCC unroll 16
      for (int c = 0; c < NC; ++c) sum[c][tap] = _mm512_fmadd_ps(lanes[c], in, sum[c][tap]);
    }
  }
#pragma GCC unroll 16
  for (int c = 0; c < NC; ++c) {
#pragma GCC unroll 16
    for (int tap = 0; tap < kTaps; ++tap)
      _mm512_storeu_ps(partial + (c * kTaps + tap) * kLanes, sum[c][tap]);
    if (kPlaneSums) _mm512_storeu_ps(plane_sums + c * kLanes, plane_sum[c]);
  }
}

// Every plane of one image against `source` moved by the taps, in blocks of NC planes and then
// one at a time; the first block gathers the moved vectors into `moved`. Blocks of 3 planes keep
// 27 sums in registers; with the plane sums they would need 34 of the 32 vector registers, and
// blocks of 2 are faster than the spills (1 -> 32: 162 -> 170 GFLOP/s in cache, one core).
template <bool kPlaneSums>
void weight_gradient_planes(const TapPlan& plan, const float* planes, int64_t count,
                            const MovedPlane& source, float* moved, float* partial,
                            float* plane_sums) {
  constexpr int NC = kPlaneSums ? 2 : 3;
  const int64_t pixels = plan.pixels;
  const auto partial_of = [&](int64_t c) { return partial + c * kTaps * kLanes; };
  const auto sums_of = [&](int64_t c) { return kPlaneSums ? plane_sums + c * kLanes : nullptr; };
  if (count >= NC) {
    weight_gradient_block<NC, kPlaneSums, true>(plan, planes, source, moved, partial, sums_of(0));
  } else {
    weight_gradient_block<1, kPlaneSums, true>(plan, planes, source, moved, partial, sums_of(0));
  }
  int64_t c = count >= NC ? NC : 1;
  for (; c + NC <= count; c += NC) {
    weight_gradient_block<NC, kPlaneSums, false>(plan, planes + c * pixels, source, moved,
                                                 partial_of(c), sums_of(c));
  }
  for (; c < count; ++c) {
    weight_gradient_block<1, kPlaneSums, false>(plan, planes + c * pixels, source, moved,
                                                partial_of(c), sums_of(c));
  }
}

// out[lanes of `keep`] = v; a full vector at a 64-byte boundary goes past the caches, so its line
// is not read before it is written. The forward with few inputs writes 32 output planes per input
// plane: 12.8 MB at batch 128, more than the caches hold, and the reads for ownership halved its
// speed (1 -> 32 at 28x28: 0.28-0.39 -> 0.21 ms, three alternating rounds).
void store_streaming(float* out, __mmask16 keep, __m512 v) {
  if (keep == 0xFFFF && reinterpret_cast<uintptr_t>(out) % 64 == 0) {
    _mm512_stream_ps(out, v);
  } else {
    _mm512_mask_storeu_ps(out, keep, v);
  }
}

// y[co0 .. co0 + NC) at vectors [j0, j0 + J) = bias + weight rows (NC, K) times the im2col
// rows (K, ld): J vectors of each row in registers, NC broadcast weights, NC x J FMAs per row.
template <int NC, int J>
void few_inputs_block(const TapPlan& plan, const float* col, int64_t ld, int64_t depth,
                      const float* weight, const float* bias, float* y, int64_t co0, int64_t j0) {
  __m512 sum[NC][J];
#pragma GCC unroll 16
  for (int c = 0; c < NC; ++c) {
    const __m512 start = _mm512_set1_ps(bias != nullptr ? bias[co0 + c] : 0.0f);
#pragma GCC unroll 16
    for (int j = 0; j < J; ++j) sum[c][j] = start;
  }
  const float* rows = col + j0 * kLanes;
  const float* weight_rows = weight + co0 * depth;
  for (int64_t k = 0; k < depth; ++k) {
    __m512 in[J];
#pragma GCC unroll 16
    for (int j = 0; j < J; ++j) {
      in[j] = _mm512_loadu_ps(rows + k * ld + j * kLanes);
      asm("" : "+v"(in[j]));  // one load in a register, not one folded into each of the NC FMAs
    }
#pragma GCC unroll 16
    for (int c = 0; c < NC; ++c) {
      const __m512 w = _mm512_set1_ps(weight_rows[c * depth + k]);
#pragma GCC unroll 16
      for (int j = 0; j < J; ++j) sum[c][j] = _mm512_fmadd_ps(w, in[j], sum[c][j]);
    }
  }
  const __mmask16 tail = first_lanes(plan.pixels - (plan.vectors - 1) * kLanes);
#pragma GCC unroll 16
  for (int c = 0; c < NC; ++c) {
    float* out = y + (co0 + c) * plan.pixels + j0 * kLanes;
#pragma GCC unroll 16
    for (int j = 0; j < J; ++j) {
      store_streaming(out + j * kLanes, j0 + j + 1 < plan.vectors ? 0xFFFF : tail, sum[c][j]);
    }
  }
}

// Output channels [co0, co0 + NC) of one image, J vectors at a time, then one at a time.
template <int NC, int J>
void few_inputs_channels(const TapPlan& plan, const float* col, int64_t ld, int64_t depth,
                         const float* weight, const float* bias, float* y, int64_t co0) {
  int64_t j0 = 0;
  for (; j0 + J <= plan.vectors; j0 += J) {
    few_inputs_block<NC, J>(plan, col, ld, depth, weight, bias, y, co0, j0);
  }
  for (; j0 < plan.vectors; ++j0) {
    few_inputs_block<NC, 1>(plan, col, ld, depth, weight, bias, y, co0, j0);
  }
}

}  // namespace

void thin_forward_image_avx512(const ConvGeometry& g, const float* x, const float* weight,
                               const float* bias, float* y) {
  const TapPlan& plan = tap_plan_of(g);
  if (g.out_channels > kMaxThinChannels) {
    // Few inputs, many outputs (conv_in): y (Cout, P) = weight (Cout, Cin 9) . im2col (Cin 9, P)
    // with the whole depth of at most 36 rows in one pass; 4 x 6 sums in registers.
    const int64_t ld = plan.vectors * kLanes, depth = g.in_channels * kTaps;
    float* col = thread_scratch<float, 0>(depth * ld);
    shifted_im2col_avx512(g, x, col, ld);
    int64_t co0 = 0;
    for (; co0 + 4 <= g.out_channels; co0 += 4) {
      few_inputs_channels<4, 6>(plan, col, ld, depth, weight, bias, y, co0);
    }
    for (; co0 < g.out_channels; ++co0) {
      few_inputs_channels<1, 6>(plan, col, ld, depth, weight, bias, y, co0);
    }
    _mm_sfence();  // the streamed stores are visible before the image is reported done
    return;
  }
  // Few outputs (conv_out): per output channel, the nine tap sums over the input channels, then
  // the moved sum planes.
  constexpr int J = 3;  // 27 accumulators, three loads of x per 27 FMAs
  float* sums = thread_scratch<float, 0>(kTaps * plan.vectors * kLanes);
  for (int64_t co = 0; co < g.out_channels; ++co) {
    const float* channel_weight = weight + co * g.in_channels * kTaps;
    int64_t j0 = 0;
    for (; j0 + J <= plan.vectors; j0 += J) tap_sums_block<J>(g, plan, x, channel_weight, sums, j0);
    for (; j0 < plan.vectors; ++j0) tap_sums_block<1>(g, plan, x, channel_weight, sums, j0);
    add_moved_tap_sums(plan, sums, bias != nullptr ? bias[co] : 0.0f, y + co * plan.pixels);
  }
}

void thin_weight_gradient_images_avx512(const ConvGeometry& g, const float* grad_y, const float* x,
                                        int64_t count, float* gradient, float* bias_gradient) {
  const TapPlan& plan = tap_plan_of(g);
  const int64_t pixels = plan.pixels;
  const int64_t in_image = g.in_channels * pixels, out_image = g.out_channels * pixels;
  // gradient[co, tap, ci] = sum over pixels p of grad_y[co, p] x[ci, p + shift]. With few
  // inputs each input channel is moved forward and meets every output channel's gradient; with
  // few outputs each output channel's gradient is moved backward and meets every input channel.
  // The bias gradient (the sums of grad_y's planes) comes from the same loads: with few inputs
  // from the planes of the first pass, with few outputs from the untouched centre tap.
  const bool few_inputs = g.in_channels <= g.out_channels;
  const int64_t moved_channels = few_inputs ? g.in_channels : g.out_channels;
  const int64_t plane_channels = few_inputs ? g.out_channels : g.in_channels;
  const float* moved_source = few_inputs ? x : grad_y;
  const float* planes = few_inputs ? grad_y : x;
  const int64_t moved_image = few_inputs ? in_image : out_image;
  const int64_t planes_image = few_inputs ? out_image : in_image;
  float* moved = thread_scratch<float, 0>(plan.vectors * kTaps * kLanes);
  // The sums stay vectors across the images (one lane sum each at the end), kept between the
  // blocks of planes in `partial` (plane_channels, 9) vectors and `bias_partial` (Cout) vectors.
  float* partial = thread_scratch<float, 1>(plane_channels * kTaps * kLanes);
  float* bias_partial = thread_scratch<float, 3>(g.out_channels * kLanes);
  std::fill(bias_partial, bias_partial + g.out_channels * kLanes, 0.0f);
  for (int64_t m = 0; m < moved_channels; ++m) {
    std::fill(partial, partial + plane_channels * kTaps * kLanes, 0.0f);
    const bool planes_are_bias = few_inputs && m == 0;
    for (int64_t b = 0; b < count; ++b) {
      const MovedPlane source(plan, moved_source + b * moved_image + m * pixels, !few_inputs);
      const float* image_planes = planes + b * planes_image;
      if (planes_are_bias) {
        weight_gradient_planes<true>(plan, image_planes, plane_channels, source, moved, partial,
                                     bias_partial);
      } else {
        weight_gradient_planes<false>(plan, image_planes, plane_channels, source, moved, partial,
                                      nullptr);
      }
      if (!few_inputs) add_centre_taps(plan, moved, bias_partial + m * kLanes);
    }
    for (int64_t c = 0; c < plane_channels; ++c) {
      const int64_t co = few_inputs ? c : m, ci = few_inputs ? m : c;
      for (int tap = 0; tap < kTaps; ++tap) {
        gradient[(co * kTaps + tap) * g.in_channels + ci] +=
            lane_sum(_mm512_loadu_ps(partial + (c * kTaps + tap) * kLanes));
      }
    }
  }
  for (int64_t co = 0; co < g.out_channels; ++co) {
    bias_gradient[co] += lane_sum(_mm512_loadu_ps(bias_partial + co * kLanes));
  }
}

}  // namespace lethe::cpu::detail
