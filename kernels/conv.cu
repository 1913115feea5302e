// 2-D convolution (fp32, NCHW, zero padding, square stride) as implicit GEMM: the im2col matrix is
// never stored; its tiles are gathered straight into shared memory (kernels/gemm_tile.cuh).
//   forward:          y(co, n)      = sum_k  W(co, k)        col(k, n)     n = (b, oh, ow)
//   backward-data:    gx(ci, n')    = sum_k' W^T(ci, k')     gy(k', n')    n' = (b, h, w),
//                                                                          k' = (co, kh, kw)
//   backward-weight:  gW(co, k)     = sum_n  gy(co, n)       col(k, n)     k = (ci, kh, kw)
// All indices fit in 32 bits (the launcher checks).
#pragma once
#include "kernels/gemm_tile.cuh"
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

struct ConvShape {
  int batch, in_channels, height, width;
  int out_channels, kernel_h, kernel_w;
  int stride, padding, out_h, out_w;
  __device__ int patch() const { return in_channels * kernel_h * kernel_w; }
  __device__ int out_pixels() const { return out_h * out_w; }
};

// col(k, n): the input pixel that kernel tap k = (ci, kh, kw) sees at output position
// n = (b, oh, ow), or zero in the padding.
__device__ __forceinline__ float im2col_value(const ConvShape& s, const float* __restrict__ x,
                                              int k, int n) {
  const int ow = n % s.out_w, oh = (n / s.out_w) % s.out_h, b = n / s.out_pixels();
  const int kw = k % s.kernel_w, kh = (k / s.kernel_w) % s.kernel_h;
  const int ci = k / (s.kernel_w * s.kernel_h);
  const int ih = oh * s.stride - s.padding + kh, iw = ow * s.stride - s.padding + kw;
  if (ih < 0 || ih >= s.height || iw < 0 || iw >= s.width) return 0.0f;
  return x[((b * s.in_channels + ci) * s.height + ih) * s.width + iw];
}

// Stores this thread's register block of an (channels x (B * pixels)) result tile into an NCHW
// tensor, adding bias[channel] when bias is not null.
__device__ __forceinline__ void store_nchw(const RegisterBlock& acc, int m0, int n0, int channels,
                                           int batch, int pixels, const float* __restrict__ bias,
                                           float* __restrict__ out) {
  const int row = m0 + block_row_of(threadIdx.x), col = n0 + block_col_of(threadIdx.x);
  for (int i = 0; i < kThreadBlock && row + i < channels; ++i) {
    const float shift = bias != nullptr ? bias[row + i] : 0.0f;
    for (int j = 0; j < kThreadBlock && col + j < batch * pixels; ++j) {
      const int b = (col + j) / pixels, pixel = (col + j) % pixels;
      out[(b * channels + row + i) * pixels + pixel] = acc.value[i][j] + shift;
    }
  }
}

// x: (B, Cin, H, W), weight: (Cout, Cin, KH, KW), bias: (Cout) or null -> y: (B, Cout, OH, OW).
// grid: (ceil(B * OH * OW / 64), ceil(Cout / 64)), block: 256.
__global__ void __launch_bounds__(kTileThreads)
    conv2d_forward_kernel(ConvShape s, const float* __restrict__ x,
                          const float* __restrict__ weight, const float* __restrict__ bias,
                          float* __restrict__ y, bool weight_vectorised) {
  __shared__ GemmTiles tiles;
  const int m0 = blockIdx.y * kTileRows, n0 = blockIdx.x * kTileRows;
  const int patch = s.patch(), columns = s.batch * s.out_pixels();
  auto column = [&](int n, int k) { return im2col_value(s, x, k, n); };
  RegisterBlock acc = {};
  for (int k0 = 0; k0 < patch; k0 += kTileDepth) {
    load_depth_contiguous(weight, patch, s.out_channels, patch, m0, k0, weight_vectorised, tiles.a);
    gather_tile(column, columns, patch, n0, k0, tiles.b);
    __syncthreads();
    multiply_tiles(tiles, acc);
    __syncthreads();
  }
  store_nchw(acc, m0, n0, s.out_channels, s.batch, s.out_pixels(), bias, y);
}

// grad_y: (B, Cout, OH, OW), weight: (Cout, Cin, KH, KW) -> grad_x: (B, Cin, H, W), overwritten.
// grid: (ceil(B * H * W / 64), ceil(Cin / 64)), block: 256.
__global__ void __launch_bounds__(kTileThreads)
    conv2d_backward_data_kernel(ConvShape s, const float* __restrict__ grad_y,
                                const float* __restrict__ weight, float* __restrict__ grad_x) {
  __shared__ GemmTiles tiles;
  const int m0 = blockIdx.y * kTileRows, n0 = blockIdx.x * kTileRows;
  const int taps = s.kernel_h * s.kernel_w, depth = s.out_channels * taps;
  const int pixels = s.height * s.width, columns = s.batch * pixels;
  // W^T(ci, k') with k' = (co, kh, kw).
  auto weight_value = [&](int ci, int k) {
    return weight[((k / taps) * s.in_channels + ci) * taps + k % taps];
  };
  // gy(k', n'): the output gradient at the position whose tap (kh, kw) reads input (h, w).
  auto gradient_value = [&](int n, int k) {
    const int w = n % s.width, h = (n / s.width) % s.height, b = n / pixels;
    const int kw = k % s.kernel_w, kh = (k / s.kernel_w) % s.kernel_h, co = k / taps;
    const int oh_stride = h + s.padding - kh, ow_stride = w + s.padding - kw;
    if (oh_stride < 0 || ow_stride < 0 || oh_stride % s.stride != 0 || ow_stride % s.stride != 0) {
      return 0.0f;
    }
    const int oh = oh_stride / s.stride, ow = ow_stride / s.stride;
    if (oh >= s.out_h || ow >= s.out_w) return 0.0f;
    return grad_y[((b * s.out_channels + co) * s.out_h + oh) * s.out_w + ow];
  };
  RegisterBlock acc = {};
  for (int k0 = 0; k0 < depth; k0 += kTileDepth) {
    gather_tile(weight_value, s.in_channels, depth, m0, k0, tiles.a);
    gather_tile(gradient_value, columns, depth, n0, k0, tiles.b);
    __syncthreads();
    multiply_tiles(tiles, acc);
    __syncthreads();
  }
  store_nchw(acc, m0, n0, s.in_channels, s.batch, pixels, nullptr, grad_x);
}

// grad_y: (B, Cout, OH, OW), x: (B, Cin, H, W) -> grad_weight: (Cout, Cin, KH, KW), overwritten.
// grid: (ceil(Cin * KH * KW / 64), ceil(Cout / 64)), block: 256.
__global__ void __launch_bounds__(kTileThreads)
    conv2d_backward_weight_kernel(ConvShape s, const float* __restrict__ grad_y,
                                  const float* __restrict__ x, float* __restrict__ grad_weight) {
  __shared__ GemmTiles tiles;
  const int m0 = blockIdx.y * kTileRows, n0 = blockIdx.x * kTileRows;
  const int patch = s.patch(), depth = s.batch * s.out_pixels();
  auto gradient_value = [&](int co, int n) {
    return grad_y[((n / s.out_pixels()) * s.out_channels + co) * s.out_pixels() +
                  n % s.out_pixels()];
  };
  auto column = [&](int k, int n) { return im2col_value(s, x, k, n); };
  RegisterBlock acc = {};
  for (int k0 = 0; k0 < depth; k0 += kTileDepth) {
    gather_tile(gradient_value, s.out_channels, depth, m0, k0, tiles.a);
    gather_tile(column, patch, depth, n0, k0, tiles.b);
    __syncthreads();
    multiply_tiles(tiles, acc);
    __syncthreads();
  }
  const int row = m0 + block_row_of(threadIdx.x), col = n0 + block_col_of(threadIdx.x);
  for (int i = 0; i < kThreadBlock && row + i < s.out_channels; ++i) {
    for (int j = 0; j < kThreadBlock && col + j < patch; ++j) {
      grad_weight[(row + i) * patch + col + j] = acc.value[i][j];
    }
  }
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
