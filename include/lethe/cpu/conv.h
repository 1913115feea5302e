// CPU kernels for 2-D convolution (NCHW, zero padding, square stride), parallel over the batch.
// fp32 forward and input-gradient passes of the 3x3 U-Net shapes run directly on padded planes
// (same-size stride 1, cpu/conv_direct.h) or as implicit GEMMs (the stride-2 downsample,
// cpu/conv_implicit.h), those with at most 4 output channels on the planes themselves
// (cpu/thin_conv.h), fp32 weight gradients through cpu/conv_weight_gradient.h; everything else
// through im2col + GEMM (the input gradient of a strided convolution phase by phase, with no
// col2im). 1x1 stride-1 convolutions skip im2col (the image is the matrix).
#pragma once
#include <cstdint>

#include "lethe/core/op_geometry.h"

namespace lethe::cpu {

// A stride-1 convolution whose output has the input's size (2 * padding = kernel - 1).
inline bool is_same_size_stride1(const ConvGeometry& g) {
  return g.stride == 1 && g.out_h() == g.height && g.out_w() == g.width;
}

// A strided convolution whose every tap, offset by -padding, lies less than one stride before the
// output pixel's origin or at most stride - 1 after it (3x3 with stride 2 and padding 1, the
// U-Net's downsample): split into its stride x stride phase planes (phase (rh, rw) holds the
// pixels x[s a + rh, s b + rw] as an OH x OW plane), tap k reads one phase plane shifted by
// at most one row or column back.
inline bool is_phase_shiftable(const ConvGeometry& g) {
  return g.stride > 1 && g.padding <= g.stride && g.kernel_h - 1 - g.padding < g.stride &&
         g.kernel_w - 1 - g.padding < g.stride;
}

// Tap offset t = k - padding of an is_phase_shiftable convolution as t = stride * shift + residue,
// shift in {-1, 0}: the tap reads phase `residue` shifted by `shift`. At stride 1 (one phase) the
// shift is t itself.
struct PhaseTap {
  int64_t shift, residue;
};

inline PhaseTap phase_tap(const ConvGeometry& g, int64_t k) {
  const int64_t t = k - g.padding;
  if (g.stride == 1) return {t, 0};
  const int64_t shift = t < 0 ? -1 : 0;
  return {shift, t - g.stride * shift};
}

// Benchmark and test hook: true sends every fp32 forward and input-gradient convolution through
// im2col + GEMM, the baseline the direct (cpu/conv_direct.h) and implicit (cpu/conv_implicit.h)
// passes replaced; false (the default) lets them run where they apply. Not meant to be called
// while convolutions run.
void set_im2col_baseline(bool on);

// x: (B, Cin, H, W), weight: (Cout, Cin, KH, KW), bias: (Cout) or null -> y: (B, Cout, OH, OW).
template <class T>
void conv2d_forward(const ConvGeometry& g, const T* x, const T* weight, const T* bias, T* y);
// grad_y: (B, Cout, OH, OW) -> grad_x: (B, Cin, H, W) (overwritten).
template <class T>
void conv2d_backward_input(const ConvGeometry& g, const T* grad_y, const T* weight, T* grad_x);
// grad_y, x -> grad_weight: (Cout, Cin, KH, KW), grad_bias: (Cout) or null (both overwritten).
template <class T>
void conv2d_backward_weight(const ConvGeometry& g, const T* grad_y, const T* x, T* grad_weight,
                            T* grad_bias);

}  // namespace lethe::cpu
