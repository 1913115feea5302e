// AVX-512 kernels of cpu/thin_conv.h. Forward: a block of NC output channels by J vectors of 16
// pixels lives in registers while every input channel and tap adds its masked shifted load times
// the broadcast weight. Weight gradient: NC output channels by the 9 taps of one input channel
// live in registers while the image's pixels stream through. Compile with -mavx512f.
#include <immintrin.h>

#include "cpu/tap_plan_avx512.h"
#include "cpu/thin_conv.h"

namespace lethe::cpu::detail {
namespace {

constexpr int kTaps = 9;

// The 16 lanes of v summed in lane order (GCC 12's _mm512_reduce_add_ps reads an undefined
// register and warns).
float lane_sum(__m512 v) {
  alignas(64) float lanes[kLanes];
  _mm512_store_ps(lanes, v);
  float total = 0.0f;
  for (const float lane : lanes) total += lane;
  return total;
}

// y[co0 .. co0 + NC) at vectors [j0, j0 + J) of one image.
template <int NC, int J>
void forward_block(const ConvGeometry& g, const TapPlan& plan, const float* x, const float* weight,
                   const float* bias, float* y, int64_t co0, int64_t j0) {
  __m512 sum[NC][J];
  for (int c = 0; c < NC; ++c) {
    const __m512 start = _mm512_set1_ps(bias != nullptr ? bias[co0 + c] : 0.0f);
    for (int j = 0; j < J; ++j) sum[c][j] = start;
  }
  for (int64_t ci = 0; ci < g.in_channels; ++ci) {
    const float* plane = x + ci * plan.pixels + j0 * kLanes;
    for (int tap = 0; tap < kTaps; ++tap) {
      const __mmask16* masks = plan.source_masks.data() + tap * plan.vectors + j0;
      const float* source = plane + plan.shift[tap];
      __m512 in[J];
      for (int j = 0; j < J; ++j) in[j] = _mm512_maskz_loadu_ps(masks[j], source + j * kLanes);
      for (int c = 0; c < NC; ++c) {
        const __m512 w = _mm512_set1_ps(weight[((co0 + c) * g.in_channels + ci) * kTaps + tap]);
        for (int j = 0; j < J; ++j) sum[c][j] = _mm512_fmadd_ps(w, in[j], sum[c][j]);
      }
    }
  }
  const __mmask16 tail = first_lanes(plan.pixels - (plan.vectors - 1) * kLanes);
  for (int c = 0; c < NC; ++c) {
    float* out = y + (co0 + c) * plan.pixels + j0 * kLanes;
    for (int j = 0; j < J; ++j) {
      _mm512_mask_storeu_ps(out + j * kLanes, j0 + j + 1 < plan.vectors ? 0xFFFF : tail, sum[c][j]);
    }
  }
}

// Output channels [co0, co0 + NC), J vectors at a time, then one at a time.
template <int NC, int J>
void forward_channels(const ConvGeometry& g, const TapPlan& plan, const float* x,
                      const float* weight, const float* bias, float* y, int64_t co0) {
  int64_t j0 = 0;
  for (; j0 + J <= plan.vectors; j0 += J)
    forward_block<NC, J>(g, plan, x, weight, bias, y, co0, j0);
  for (; j0 < plan.vectors; ++j0) forward_block<NC, 1>(g, plan, x, weight, bias, y, co0, j0);
}

// gradient[co0 .. co0 + NC, :, ci] += sum over pixels of grad_y[co] times x[ci] moved by the tap.
template <int NC>
void weight_gradient_block(const ConvGeometry& g, const TapPlan& plan, const float* grad_y,
                           const float* x, float* gradient, int64_t co0, int64_t ci) {
  __m512 sum[NC][kTaps];
  for (int c = 0; c < NC; ++c) {
    for (int tap = 0; tap < kTaps; ++tap) sum[c][tap] = _mm512_setzero_ps();
  }
  const float* plane = x + ci * plan.pixels;
  const __mmask16 tail = first_lanes(plan.pixels - (plan.vectors - 1) * kLanes);
  for (int64_t j = 0; j < plan.vectors; ++j) {
    const __mmask16 inside = j + 1 < plan.vectors ? 0xFFFF : tail;
    __m512 out_grad[NC];
    for (int c = 0; c < NC; ++c) {
      out_grad[c] = _mm512_maskz_loadu_ps(inside, grad_y + (co0 + c) * plan.pixels + j * kLanes);
    }
    for (int tap = 0; tap < kTaps; ++tap) {
      const __m512 in = _mm512_maskz_loadu_ps(plan.source_masks[tap * plan.vectors + j],
                                              plane + plan.shift[tap] + j * kLanes);
      for (int c = 0; c < NC; ++c) sum[c][tap] = _mm512_fmadd_ps(out_grad[c], in, sum[c][tap]);
    }
  }
  for (int c = 0; c < NC; ++c) {
    for (int tap = 0; tap < kTaps; ++tap) {
      gradient[((co0 + c) * kTaps + tap) * g.in_channels + ci] += lane_sum(sum[c][tap]);
    }
  }
}

}  // namespace

void thin_forward_image_avx512(const ConvGeometry& g, const float* x, const float* weight,
                               const float* bias, float* y) {
  const TapPlan& plan = tap_plan_of(g);
  int64_t co0 = 0;
  // Four channels by four vectors (16 sums) where there are four channels; one channel by eight
  // vectors (eight independent FMA chains) for the rest.
  for (; co0 + 4 <= g.out_channels; co0 += 4) {
    forward_channels<4, 4>(g, plan, x, weight, bias, y, co0);
  }
  for (; co0 < g.out_channels; ++co0) forward_channels<1, 8>(g, plan, x, weight, bias, y, co0);
}

void thin_weight_gradient_image_avx512(const ConvGeometry& g, const float* grad_y, const float* x,
                                       float* gradient) {
  const TapPlan& plan = tap_plan_of(g);
  for (int64_t ci = 0; ci < g.in_channels; ++ci) {
    int64_t co0 = 0;
    for (; co0 + 2 <= g.out_channels; co0 += 2) {
      weight_gradient_block<2>(g, plan, grad_y, x, gradient, co0, ci);
    }
    for (; co0 < g.out_channels; ++co0)
      weight_gradient_block<1>(g, plan, grad_y, x, gradient, co0, ci);
  }
}

}  // namespace lethe::cpu::detail
