// 2-D convolution (fp32 tensors, NCHW, zero padding, square stride) as implicit GEMM: the im2col
// matrix is never stored; its tiles are gathered straight into shared memory
// (kernels/gemm_tile.cuh) and multiplied in fp32 or, with kTf32, on the tensor cores in TF32
// (kernels/tensor_core_tile.cuh).
//   forward:          y(co, n)      = sum_k  W(co, k)        col(k, n)     n = (b, oh, ow)
//   backward-data:    gx(ci, n')    = sum_k' W^T(ci, k')     gy(k', n')    n' = (b, h, w),
//                                                                          k' = (co, kh, kw)
//   backward-weight:  gW(co, k)     = sum_n  gy(co, n)       col(k, n)     k = (ci, kh, kw)
// Each gathering source fixes, per thread, the output positions (or the kernel tap) it covers
// once, so a step costs one index decomposition per thread, not per element. All indices fit in
// 32 bits (the launcher checks).
#pragma once
#include "kernels/block_reduce.cuh"
#include "kernels/gemm_tile.cuh"
#include "kernels/simt.cuh"
#include "kernels/tensor_core_tile.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

struct ConvShape {
  int batch, in_channels, height, width;
  int out_channels, kernel_h, kernel_w;
  int stride, padding, out_h, out_w;
  __device__ int taps() const { return kernel_h * kernel_w; }
  __device__ int patch() const { return in_channels * taps(); }
  __device__ int out_pixels() const { return out_h * out_w; }
  __device__ int in_pixels() const { return height * width; }
};

// Forward operand B, col(k, n) over a tile of output positions n: the input pixel that kernel tap
// k = (ci, kh, kw) sees at n = (b, oh, ow), or zero in the padding.
template <class Config>
struct Im2colSource : RowRunShare<Config::kCols, Config::kDepth, Config::kThreads> {
  using Share = RowRunShare<Config::kCols, Config::kDepth, Config::kThreads>;
  using typename Share::Fragment;
  static constexpr int kPerThread = Share::kPerThread;
  const ConvShape& s;
  const float* __restrict__ x;
  int image_offset[kPerThread], top[kPerThread], left[kPerThread];  // top < -H marks n outside

  __device__ Im2colSource(const ConvShape& shape, const float* input, int n0) : s(shape), x(input) {
    const int columns = s.batch * s.out_pixels();
    LETHE_UNROLL
    for (int j = 0; j < kPerThread; ++j) {
      const int n = n0 + Share::r_offset() + j;
      const int ow = n % s.out_w, oh = (n / s.out_w) % s.out_h, b = n / s.out_pixels();
      image_offset[j] = b * s.in_channels * s.in_pixels();
      top[j] = n < columns ? oh * s.stride - s.padding : -2 * s.height - s.kernel_h;
      left[j] = ow * s.stride - s.padding;
    }
  }
  __device__ __forceinline__ void fetch(int k0, Fragment& v) const {
    const int k = k0 + Share::k_offset();
    const int ci = k / s.taps(), kh = (k % s.taps()) / s.kernel_w, kw = k % s.kernel_w;
    const bool inside_depth = k < s.patch();
    const float* plane = x + ci * s.in_pixels();
    LETHE_UNROLL
    for (int j = 0; j < kPerThread; ++j) {
      const int ih = top[j] + kh, iw = left[j] + kw;
      const bool inside = inside_depth && ih >= 0 && ih < s.height && iw >= 0 && iw < s.width;
      v[j] = inside ? plane[image_offset[j] + ih * s.width + iw] : 0.0f;
    }
  }
};

// Backward-data operand A, W^T(ci, k') with k' = (co, kh, kw), over a tile of input channels.
template <class Config>
struct TransposedWeightSource : RowRunShare<Config::kRows, Config::kDepth, Config::kThreads> {
  using Share = RowRunShare<Config::kRows, Config::kDepth, Config::kThreads>;
  using typename Share::Fragment;
  static constexpr int kPerThread = Share::kPerThread;
  const ConvShape& s;
  const float* __restrict__ weight;
  int ci0;

  __device__ __forceinline__ void fetch(int k0, Fragment& v) const {
    const int k = k0 + Share::k_offset(), ci = ci0 + Share::r_offset();
    const int co = k / s.taps(), tap = k % s.taps();
    const float* column = weight + co * s.in_channels * s.taps() + tap;
    LETHE_UNROLL
    for (int j = 0; j < kPerThread; ++j) {
      const bool inside = co < s.out_channels && ci + j < s.in_channels;
      v[j] = inside ? column[(ci + j) * s.taps()] : 0.0f;
    }
  }
};

// Backward-data operand B, gy(k', n') over a tile of input positions n' = (b, h, w): the output
// gradient at the position whose tap (kh, kw) reads (h, w), or zero where no output does. kStride
// is the stride when known at compile time (1 or 2: no integer division per gathered element), or
// 0 to read it from the shape.
template <class Config, int kStride>
struct OutputGradientGatherSource : RowRunShare<Config::kCols, Config::kDepth, Config::kThreads> {
  using Share = RowRunShare<Config::kCols, Config::kDepth, Config::kThreads>;
  using typename Share::Fragment;
  static constexpr int kPerThread = Share::kPerThread;
  const ConvShape& s;
  const float* __restrict__ grad_y;
  int image_offset[kPerThread], padded_h[kPerThread], padded_w[kPerThread];  // -1: n outside

  __device__ OutputGradientGatherSource(const ConvShape& shape, const float* gradient, int n0)
      : s(shape), grad_y(gradient) {
    const int columns = s.batch * s.in_pixels();
    LETHE_UNROLL
    for (int j = 0; j < kPerThread; ++j) {
      const int n = n0 + Share::r_offset() + j;
      const int w = n % s.width, h = (n / s.width) % s.height, b = n / s.in_pixels();
      image_offset[j] = b * s.out_channels * s.out_pixels();
      padded_h[j] = n < columns ? h + s.padding : -s.kernel_h - 1;
      padded_w[j] = w + s.padding;
    }
  }
  __device__ __forceinline__ void fetch(int k0, Fragment& v) const {
    const int k = k0 + Share::k_offset();
    const int co = k / s.taps(), kh = (k % s.taps()) / s.kernel_w, kw = k % s.kernel_w;
    const bool inside_depth = co < s.out_channels;
    const float* plane = grad_y + co * s.out_pixels();
    LETHE_UNROLL
    for (int j = 0; j < kPerThread; ++j) {
      const int oh_strided = padded_h[j] - kh, ow_strided = padded_w[j] - kw;
      const int stride = kStride != 0 ? kStride : s.stride;
      const int oh = oh_strided / stride, ow = ow_strided / stride;
      const bool inside = inside_depth && oh_strided >= 0 && ow_strided >= 0 &&
                          oh * stride == oh_strided && ow * stride == ow_strided && oh < s.out_h &&
                          ow < s.out_w;
      v[j] = inside ? plane[image_offset[j] + oh * s.out_w + ow] : 0.0f;
    }
  }
};

// Backward-weight operand A, gy(co, n) over a tile of output channels, depth n = (b, oh, ow).
template <class Config>
struct OutputGradientRowsSource : TileShare<Config::kRows, Config::kDepth, Config::kThreads> {
  using Share = TileShare<Config::kRows, Config::kDepth, Config::kThreads>;
  using typename Share::Fragment;
  static constexpr int kPerThread = Share::kPerThread;
  static constexpr int kThreadsPerRow = Config::kDepth / kPerThread;
  const ConvShape& s;
  const float* __restrict__ grad_y;
  int co0;

  __device__ static int k_offset() { return (threadIdx.x % kThreadsPerRow) * kPerThread; }
  __device__ __forceinline__ void fetch(int k0, Fragment& v) const {
    const int co = co0 + threadIdx.x / kThreadsPerRow, n = k0 + k_offset();
    const int depth = s.batch * s.out_pixels();
    LETHE_UNROLL
    for (int j = 0; j < kPerThread; ++j) {
      const int b = (n + j) / s.out_pixels(), pixel = (n + j) % s.out_pixels();
      const bool inside = co < s.out_channels && n + j < depth;
      v[j] = inside ? grad_y[(b * s.out_channels + co) * s.out_pixels() + pixel] : 0.0f;
    }
  }
  template <int kLd>
  __device__ __forceinline__ void store(const Fragment& v, float (*tile)[kLd]) const {
    LETHE_UNROLL
    for (int j = 0; j < kPerThread; ++j) tile[k_offset() + j][threadIdx.x / kThreadsPerRow] = v[j];
  }
};

// Backward-weight operand B, col(k, n) over a tile of kernel taps k = (ci, kh, kw), depth n.
template <class Config>
struct Im2colRowsSource : TileShare<Config::kCols, Config::kDepth, Config::kThreads> {
  using Share = TileShare<Config::kCols, Config::kDepth, Config::kThreads>;
  using typename Share::Fragment;
  static constexpr int kPerThread = Share::kPerThread;
  static constexpr int kThreadsPerRow = Config::kDepth / kPerThread;
  const ConvShape& s;
  const float* __restrict__ x;
  int channel_offset, kh, kw;
  bool inside_patch;

  __device__ Im2colRowsSource(const ConvShape& shape, const float* input, int k0)
      : s(shape), x(input) {
    const int k = k0 + threadIdx.x / kThreadsPerRow;
    inside_patch = k < s.patch();
    channel_offset = (k / s.taps()) * s.in_pixels();
    kh = (k % s.taps()) / s.kernel_w, kw = k % s.kernel_w;
  }
  __device__ static int n_offset() { return (threadIdx.x % kThreadsPerRow) * kPerThread; }
  __device__ __forceinline__ void fetch(int n0, Fragment& v) const {
    const int depth = s.batch * s.out_pixels();
    LETHE_UNROLL
    for (int j = 0; j < kPerThread; ++j) {
      const int n = n0 + n_offset() + j;
      const int ow = n % s.out_w, oh = (n / s.out_w) % s.out_h, b = n / s.out_pixels();
      const int ih = oh * s.stride - s.padding + kh, iw = ow * s.stride - s.padding + kw;
      const bool inside =
          inside_patch && n < depth && ih >= 0 && ih < s.height && iw >= 0 && iw < s.width;
      v[j] =
          inside ? x[b * s.in_channels * s.in_pixels() + channel_offset + ih * s.width + iw] : 0.0f;
    }
  }
  template <int kLd>
  __device__ __forceinline__ void store(const Fragment& v, float (*tile)[kLd]) const {
    LETHE_UNROLL
    for (int j = 0; j < kPerThread; ++j) tile[n_offset() + j][threadIdx.x / kThreadsPerRow] = v[j];
  }
};

// Stores this thread's share of a (channels x (B * pixels)) result tile into an NCHW tensor,
// adding bias[channel] when bias is not null.
template <class Config, class Accumulators>
__device__ __forceinline__ void store_nchw(const Accumulators& acc,
                                           DoubleTiles<Config, Accumulators::kTilePad>& tiles,
                                           int m0, int n0, int channels, int batch, int pixels,
                                           const float* __restrict__ bias,
                                           float* __restrict__ out) {
  for_each_result(acc, tiles, [&](int tile_row, int tile_col, float value) {
    const int channel = m0 + tile_row, n = n0 + tile_col;
    if (channel >= channels || n >= batch * pixels) return;
    const float shift = bias != nullptr ? bias[channel] : 0.0f;
    out[((n / pixels) * channels + channel) * pixels + n % pixels] = value + shift;
  });
}

// x: (B, Cin, H, W), weight: (Cout, Cin, KH, KW), bias: (Cout) or null -> y: (B, Cout, OH, OW).
// grid: (ceil(B * OH * OW / Config::kCols), ceil(Cout / Config::kRows)), block: Config::kThreads.
template <class Config, bool kTf32>
__global__ void __launch_bounds__(Config::kThreads)
    conv2d_forward_kernel(ConvShape s, const float* __restrict__ x,
                          const float* __restrict__ weight, const float* __restrict__ bias,
                          float* __restrict__ y, bool weight_vectorised) {
  __shared__ DoubleTiles<Config, Accumulators<Config, kTf32>::kTilePad> tiles;
  const int m0 = blockIdx.y * Config::kRows, n0 = blockIdx.x * Config::kCols;
  const DepthContiguousSource<Config::kRows, Config::kDepth, Config::kThreads> weights{
      {}, weight, s.patch(), s.out_channels, s.patch(), m0, weight_vectorised};
  const Im2colSource<Config> columns(s, x, n0);
  Accumulators<Config, kTf32> acc{};
  accumulate_tiles(weights, columns, 0, s.patch(), tiles, acc);
  store_nchw(acc, tiles, m0, n0, s.out_channels, s.batch, s.out_pixels(), bias, y);
}

// grad_y: (B, Cout, OH, OW), weight: (Cout, Cin, KH, KW) -> grad_x: (B, Cin, H, W), overwritten.
// kStride: s.stride, or 0 for any stride (see OutputGradientGatherSource).
// grid: (ceil(B * H * W / Config::kCols), ceil(Cin / Config::kRows)), block: Config::kThreads.
template <class Config, bool kTf32, int kStride>
__global__ void __launch_bounds__(Config::kThreads)
    conv2d_backward_data_kernel(ConvShape s, const float* __restrict__ grad_y,
                                const float* __restrict__ weight, float* __restrict__ grad_x) {
  __shared__ DoubleTiles<Config, Accumulators<Config, kTf32>::kTilePad> tiles;
  const int m0 = blockIdx.y * Config::kRows, n0 = blockIdx.x * Config::kCols;
  const TransposedWeightSource<Config> weights{{}, s, weight, m0};
  const OutputGradientGatherSource<Config, kStride> gradients(s, grad_y, n0);
  Accumulators<Config, kTf32> acc{};
  accumulate_tiles(weights, gradients, 0, s.out_channels * s.taps(), tiles, acc);
  store_nchw(acc, tiles, m0, n0, s.in_channels, s.batch, s.in_pixels(), nullptr, grad_x);
}

// grad_y: (B, Cout, OH, OW), x: (B, Cin, H, W) -> partial weight gradients over one chunk of the
// depth n = (b, oh, ow): partials[z] (Cout, Cin * KH * KW) sums n in [z * chunk, (z + 1) * chunk).
// grid: (ceil(Cin * KH * KW / Config::kCols), ceil(Cout / Config::kRows), splits),
// block: Config::kThreads; chunk is a multiple of Config::kDepth.
template <class Config, bool kTf32>
__global__ void __launch_bounds__(Config::kThreads)
    conv2d_backward_weight_kernel(ConvShape s, const float* __restrict__ grad_y,
                                  const float* __restrict__ x, int chunk,
                                  float* __restrict__ partials) {
  __shared__ DoubleTiles<Config, Accumulators<Config, kTf32>::kTilePad> tiles;
  const int m0 = blockIdx.y * Config::kRows, n0 = blockIdx.x * Config::kCols;
  const int depth = s.batch * s.out_pixels(), k_begin = blockIdx.z * chunk;
  const int k_end = k_begin + chunk < depth ? k_begin + chunk : depth;
  const OutputGradientRowsSource<Config> gradients{{}, s, grad_y, m0};
  const Im2colRowsSource<Config> columns(s, x, n0);
  Accumulators<Config, kTf32> acc{};
  accumulate_tiles(gradients, columns, k_begin, k_end, tiles, acc);
  float* out = partials + static_cast<long long>(blockIdx.z) * s.out_channels * s.patch();
  for_each_result(acc, tiles, [&](int tile_row, int tile_col, float value) {
    const int co = m0 + tile_row, k = n0 + tile_col;
    if (co < s.out_channels && k < s.patch()) out[co * s.patch() + k] = value;
  });
}

// grad_y: (B, Cout, OH * OW) -> partials[z * Cout + co] = sum of grad_y[b, co, :] over the
// batches b in [z * batches_per_split, (z + 1) * batches_per_split).
// grid: (Cout, ceil(B / batches_per_split)), block: 256.
__global__ void __launch_bounds__(256)
    bias_gradient_kernel(const float* __restrict__ grad_y, int batch, int channels, int pixels,
                         int batches_per_split, float* __restrict__ partials) {
  const int co = blockIdx.x, b_begin = blockIdx.y * batches_per_split;
  const int b_end = b_begin + batches_per_split < batch ? b_begin + batches_per_split : batch;
  float sum = 0.0f;
  for (int b = b_begin; b < b_end; ++b) {
    const float* plane = grad_y + (static_cast<long long>(b) * channels + co) * pixels;
    for (int p = threadIdx.x; p < pixels; p += blockDim.x) sum += plane[p];
  }
  sum = block_sum(sum);
  if (threadIdx.x == 0) partials[blockIdx.y * channels + co] = sum;
}

// out[i] = sum over z < splits of partials[z * count + i], in order (deterministic).
// grid-stride over count; block: 256.
__global__ void __launch_bounds__(256)
    sum_partials_kernel(const float* __restrict__ partials, int splits, int count,
                        float* __restrict__ out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    float total = 0.0f;
    for (int z = 0; z < splits; ++z) total += partials[static_cast<long long>(z) * count + i];
    out[i] = total;
  }
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
