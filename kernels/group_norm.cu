// Group normalisation (fp32). x: (B, C, S) with S the flattened spatial extent; the C / G
// consecutive channels of a group share a mean and a variance per sample. One block per
// (sample, group) for the forward and input-gradient passes (sums through block_sum); the weight
// and bias gradients sum each (sample, channel) plane in a warp, then the samples per channel.
//
// The forward and input-gradient passes come in two forms. The "held" kernels keep the group's
// values in registers (kGroupNormHeldPerThread per thread, so groups of up to 4096 values at 256
// threads: every group of the U-Net, 4 channels of at most 28x28) and read each input once: the
// least traffic, 2 passes over memory forward and 3 backward. The streaming kernels take any group
// size and read their inputs again for each sum (4 and 5 passes).
//
// With kSilu the kernels are GroupNorm + SiLU fused (the U-Net's ResBlocks apply SiLU right after
// each normalisation): the forward writes silu(z), z = xhat * w + b, and the backward recomputes z
// from x to take grad_y back through the SiLU, so the normalised tensor is never stored.
#pragma once
#include "kernels/activation.cuh"
#include "kernels/block_reduce.cuh"
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

struct GroupNormShape {
  int batch, channels, spatial, groups;
  __device__ int group_channels() const { return channels / groups; }
  __device__ int group_size() const { return group_channels() * spatial; }
};

__device__ __forceinline__ float channel_weight(const float* weight, int c) {
  return weight != nullptr ? weight[c] : 1.0f;
}
__device__ __forceinline__ float channel_bias(const float* bias, int c) {
  return bias != nullptr ? bias[c] : 0.0f;
}

// The output for a normalised value xhat in channel c: z = xhat * w + b, or silu(z) with kSilu.
template <bool kSilu>
__device__ __forceinline__ float normalised_output(float xhat, int c, const float* weight,
                                                   const float* bias) {
  const float z = xhat * channel_weight(weight, c) + channel_bias(bias, c);
  return kSilu ? silu(z) : z;
}

// The gradient reaching z = xhat * w + b: grad_y, or with kSilu grad_y * silu'(z).
template <bool kSilu>
__device__ __forceinline__ float affine_output_gradient(float grad_y, float xhat, float w,
                                                        const float* bias, int c) {
  if constexpr (kSilu) return grad_y * silu_derivative(xhat * w + channel_bias(bias, c));
  return grad_y;
}

// The group's 1 / sqrt(variance + eps), from each thread's share of the squared deviations (every
// thread of the block calls it); thread 0 stores it and the mean for the backward pass.
__device__ __forceinline__ float finish_statistics(float squares, int size, float eps,
                                                   float group_mean, float* mean, float* rstd) {
  const float inv_std = 1.0f / sqrtf(block_sum(squares) / size + eps);
  if (threadIdx.x == 0) {
    mean[blockIdx.x] = group_mean;
    rstd[blockIdx.x] = inv_std;
  }
  return inv_std;
}

// x, y: (B, C, S); weight, bias: (C) or null; mean, rstd: (B, G) written for the backward pass.
// grid: B * G blocks; blockDim.x a multiple of 32.
template <bool kSilu>
__global__ void __launch_bounds__(256)
    group_norm_forward_kernel(GroupNormShape s, const float* __restrict__ x,
                              const float* __restrict__ weight, const float* __restrict__ bias,
                              float eps, float* __restrict__ y, float* __restrict__ mean,
                              float* __restrict__ rstd) {
  const int sample_group = blockIdx.x, size = s.group_size();
  const float* in = x + static_cast<long long>(sample_group) * size;
  float partial = 0.0f;
  for (int i = threadIdx.x; i < size; i += blockDim.x) partial += in[i];
  const float group_mean = block_sum(partial) / size;
  float squares = 0.0f;
  for (int i = threadIdx.x; i < size; i += blockDim.x) {
    const float centred = in[i] - group_mean;
    squares += centred * centred;
  }
  const float inv_std = finish_statistics(squares, size, eps, group_mean, mean, rstd);
  const int first_channel = (sample_group % s.groups) * s.group_channels();
  float* out = y + static_cast<long long>(sample_group) * size;
  for (int i = threadIdx.x; i < size; i += blockDim.x) {
    const float xhat = (in[i] - group_mean) * inv_std;
    out[i] = normalised_output<kSilu>(xhat, first_channel + i / s.spatial, weight, bias);
  }
}

constexpr int kGroupNormHeldPerThread = 16;

// The forward with the group in registers; blockDim.x * kGroupNormHeldPerThread >= C / G * S.
// Same contract and grid as group_norm_forward_kernel.
template <bool kSilu>
__global__ void __launch_bounds__(256)
    group_norm_forward_held_kernel(GroupNormShape s, const float* __restrict__ x,
                                   const float* __restrict__ weight, const float* __restrict__ bias,
                                   float eps, float* __restrict__ y, float* __restrict__ mean,
                                   float* __restrict__ rstd) {
  const int sample_group = blockIdx.x, size = s.group_size();
  const long long base = static_cast<long long>(sample_group) * size;
  float held[kGroupNormHeldPerThread];
  float partial = 0.0f;
  LETHE_UNROLL
  for (int t = 0; t < kGroupNormHeldPerThread; ++t) {
    const int i = threadIdx.x + t * blockDim.x;
    held[t] = i < size ? x[base + i] : 0.0f;
    partial += held[t];
  }
  const float group_mean = block_sum(partial) / size;
  float squares = 0.0f;
  LETHE_UNROLL
  for (int t = 0; t < kGroupNormHeldPerThread; ++t) {
    const float centred = threadIdx.x + t * blockDim.x < size ? held[t] - group_mean : 0.0f;
    squares += centred * centred;
  }
  const float inv_std = finish_statistics(squares, size, eps, group_mean, mean, rstd);
  const int first_channel = (sample_group % s.groups) * s.group_channels();
  LETHE_UNROLL
  for (int t = 0; t < kGroupNormHeldPerThread; ++t) {
    const int i = threadIdx.x + t * blockDim.x;
    if (i >= size) break;
    const float xhat = (held[t] - group_mean) * inv_std;
    y[base + i] = normalised_output<kSilu>(xhat, first_channel + i / s.spatial, weight, bias);
  }
}

// grad_x = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat xhat)) over each (sample, group), with
// dxhat = w * (the gradient reaching z). x, grad_y, grad_x: (B, C, S); weight, bias: (C) or null
// (bias is read only with kSilu); mean, rstd: (B, G). grid: B * G blocks.
template <bool kSilu>
__global__ void __launch_bounds__(256)
    group_norm_backward_input_kernel(GroupNormShape s, const float* __restrict__ x,
                                     const float* __restrict__ weight,
                                     const float* __restrict__ bias, const float* __restrict__ mean,
                                     const float* __restrict__ rstd,
                                     const float* __restrict__ grad_y, float* __restrict__ grad_x) {
  const int sample_group = blockIdx.x, size = s.group_size();
  const long long base = static_cast<long long>(sample_group) * size;
  const int first_channel = (sample_group % s.groups) * s.group_channels();
  const float group_mean = mean[sample_group], inv_std = rstd[sample_group];
  auto xhat_and_gradient = [&](int i, float& xhat, float& dxhat) {
    const int c = first_channel + i / s.spatial;
    const float w = channel_weight(weight, c);
    xhat = (x[base + i] - group_mean) * inv_std;
    dxhat = w * affine_output_gradient<kSilu>(grad_y[base + i], xhat, w, bias, c);
  };
  float partial_dxhat = 0.0f, partial_dxhat_xhat = 0.0f;
  for (int i = threadIdx.x; i < size; i += blockDim.x) {
    float xhat, dxhat;
    xhat_and_gradient(i, xhat, dxhat);
    partial_dxhat += dxhat;
    partial_dxhat_xhat += dxhat * xhat;
  }
  const float mean_dxhat = block_sum(partial_dxhat) / size;
  const float mean_dxhat_xhat = block_sum(partial_dxhat_xhat) / size;
  for (int i = threadIdx.x; i < size; i += blockDim.x) {
    float xhat, dxhat;
    xhat_and_gradient(i, xhat, dxhat);
    grad_x[base + i] = inv_std * (dxhat - mean_dxhat - xhat * mean_dxhat_xhat);
  }
}

// The input gradient with xhat and dxhat in registers; blockDim.x * kGroupNormHeldPerThread >=
// C / G * S. Same contract and grid as group_norm_backward_input_kernel.
template <bool kSilu>
__global__ void __launch_bounds__(256) group_norm_backward_input_held_kernel(
    GroupNormShape s, const float* __restrict__ x, const float* __restrict__ weight,
    const float* __restrict__ bias, const float* __restrict__ mean, const float* __restrict__ rstd,
    const float* __restrict__ grad_y, float* __restrict__ grad_x) {
  const int sample_group = blockIdx.x, size = s.group_size();
  const long long base = static_cast<long long>(sample_group) * size;
  const int first_channel = (sample_group % s.groups) * s.group_channels();
  const float group_mean = mean[sample_group], inv_std = rstd[sample_group];
  float xhat[kGroupNormHeldPerThread], dxhat[kGroupNormHeldPerThread];
  float partial_dxhat = 0.0f, partial_dxhat_xhat = 0.0f;
  LETHE_UNROLL
  for (int t = 0; t < kGroupNormHeldPerThread; ++t) {
    const int i = threadIdx.x + t * blockDim.x;
    xhat[t] = 0.0f;
    dxhat[t] = 0.0f;
    if (i < size) {
      const int c = first_channel + i / s.spatial;
      const float w = channel_weight(weight, c);
      xhat[t] = (x[base + i] - group_mean) * inv_std;
      dxhat[t] = w * affine_output_gradient<kSilu>(grad_y[base + i], xhat[t], w, bias, c);
    }
    partial_dxhat += dxhat[t];
    partial_dxhat_xhat += dxhat[t] * xhat[t];
  }
  const float mean_dxhat = block_sum(partial_dxhat) / size;
  const float mean_dxhat_xhat = block_sum(partial_dxhat_xhat) / size;
  LETHE_UNROLL
  for (int t = 0; t < kGroupNormHeldPerThread; ++t) {
    const int i = threadIdx.x + t * blockDim.x;
    if (i >= size) break;
    grad_x[base + i] = inv_std * (dxhat[t] - mean_dxhat - xhat[t] * mean_dxhat_xhat);
  }
}

// The weight and bias gradients in two steps, so that the whole device works on them (one block
// per channel left most SMs idle and looped over B * S positions each).
// Step 1, one warp per (sample, channel) plane, with dz the gradient reaching z = xhat * w + b:
// dz_sums[b C + c] = sum over s of dz, dz_xhat_sums[b C + c] = sum over s of dz * xhat.
// grid: ceil(B C / warps per block) blocks.
template <bool kSilu>
__global__ void __launch_bounds__(256)
    group_norm_plane_sums_kernel(GroupNormShape s, const float* __restrict__ x,
                                 const float* __restrict__ weight, const float* __restrict__ bias,
                                 const float* __restrict__ mean, const float* __restrict__ rstd,
                                 const float* __restrict__ grad_y, float* __restrict__ dz_sums,
                                 float* __restrict__ dz_xhat_sums) {
  const int warps = blockDim.x / 32, lane = threadIdx.x % 32;
  const int plane = blockIdx.x * warps + threadIdx.x / 32;
  if (plane >= s.batch * s.channels) return;  // whole warps leave together
  const int b = plane / s.channels, c = plane % s.channels;
  const int sample_group = b * s.groups + c / s.group_channels();
  const float group_mean = mean[sample_group], inv_std = rstd[sample_group];
  const float w = channel_weight(weight, c);
  const long long base = static_cast<long long>(plane) * s.spatial;
  float partial_dz = 0.0f, partial_dz_xhat = 0.0f;
  for (int i = lane; i < s.spatial; i += 32) {
    const float xhat = (x[base + i] - group_mean) * inv_std;
    const float dz = affine_output_gradient<kSilu>(grad_y[base + i], xhat, w, bias, c);
    partial_dz += dz;
    partial_dz_xhat += dz * xhat;
  }
  const float total_dz = warp_sum(partial_dz), total_dz_xhat = warp_sum(partial_dz_xhat);
  if (lane == 0) {
    dz_sums[plane] = total_dz;
    dz_xhat_sums[plane] = total_dz_xhat;
  }
}

// Step 2, one thread per channel, the samples in order: grad_weight[c] = sum over b of
// dz_xhat_sums[b C + c], grad_bias[c] = sum of dz_sums[b C + c]; either may be null.
// grid: ceil(C / blockDim.x) blocks.
__global__ void group_norm_params_from_sums_kernel(GroupNormShape s,
                                                   const float* __restrict__ dz_sums,
                                                   const float* __restrict__ dz_xhat_sums,
                                                   float* __restrict__ grad_weight,
                                                   float* __restrict__ grad_bias) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= s.channels) return;
  float total_dz = 0.0f, total_dz_xhat = 0.0f;
  for (int b = 0; b < s.batch; ++b) {
    total_dz += dz_sums[b * s.channels + c];
    total_dz_xhat += dz_xhat_sums[b * s.channels + c];
  }
  if (grad_weight != nullptr) grad_weight[c] = total_dz_xhat;
  if (grad_bias != nullptr) grad_bias[c] = total_dz;
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
