#include "lethe/cuda/conv.h"

#include <algorithm>
#include <climits>
#include <cstdint>

#include "kernels/conv.cu"
#include "lethe/cuda/kernel_blocks.h"
#include "lethe/cuda/workspace.h"

namespace lethe::cuda {
namespace {

// The weight gradient splits its depth (B * OH * OW) until the grid has about this many blocks
// (two waves on a 132-SM H100), keeping at least kMinSplitSteps depth steps per split.
constexpr long long kWeightGradientBlocks = 264;
constexpr long long kMinSplitSteps = 8;

kernels::ConvShape conv_shape(const ConvGeometry& g) {
  const int64_t largest =
      std::max({g.batch * g.in_channels * g.height * g.width,
                g.batch * g.out_channels * g.out_h() * g.out_w(), g.out_channels * g.patch()});
  LETHE_CHECK(largest < INT_MAX, "cuda conv2d: tensors of ", largest,
              " elements exceed 32-bit indexing");
  auto narrow = [](int64_t value) { return static_cast<int>(value); };
  return {narrow(g.batch),        narrow(g.in_channels), narrow(g.height),   narrow(g.width),
          narrow(g.out_channels), narrow(g.kernel_h),    narrow(g.kernel_w), narrow(g.stride),
          narrow(g.padding),      narrow(g.out_h()),     narrow(g.out_w())};
}

constexpr unsigned kReduceThreads = 256;

// out[i] = sum over z < splits of partials[z * count + i].
void sum_partials(const float* partials, int64_t splits, int64_t count, float* out) {
  static_assert(block_threads_of("sum_partials_kernel") == kReduceThreads);
  const unsigned blocks = std::min(simt::blocks_for(count, kReduceThreads), 1024u);
  simt::launch(kernels::sum_partials_kernel, blocks, kReduceThreads, 0, partials,
               static_cast<int>(splits), static_cast<int>(count), out);
}

template <class Config>
dim3 tile_grid(int64_t rows, int64_t columns) {
  return dim3(simt::blocks_for(columns, Config::kCols), simt::blocks_for(rows, Config::kRows));
}

template <class Config>
void launch_forward(const ConvGeometry& g, const float* x, const float* weight, const float* bias,
                    float* y, Float32Math math) {
  static_assert(Config::kThreads == block_threads_of("conv2d_forward_kernel"));
  const bool weight_vectorised =
      reinterpret_cast<uintptr_t>(weight) % 16 == 0 && g.patch() % 4 == 0;
  auto kernel = math == Float32Math::tf32 ? kernels::conv2d_forward_kernel<Config, true>
                                          : kernels::conv2d_forward_kernel<Config, false>;
  simt::launch(kernel, tile_grid<Config>(g.out_channels, g.batch * g.out_h() * g.out_w()),
               Config::kThreads, 0, conv_shape(g), x, weight, bias, y, weight_vectorised);
}

// The backward-data kernel for a compile-time stride (0: any).
template <class Config, int kStride>
auto backward_data_kernel_for(bool tf32) {
  return tf32 ? kernels::conv2d_backward_data_kernel<Config, true, kStride>
              : kernels::conv2d_backward_data_kernel<Config, false, kStride>;
}

template <class Config>
void launch_backward_data(const ConvGeometry& g, const float* grad_y, const float* weight,
                          float* grad_x, Float32Math math) {
  static_assert(Config::kThreads == block_threads_of("conv2d_backward_data_kernel"));
  const bool tf32 = math == Float32Math::tf32;
  auto kernel = g.stride == 1   ? backward_data_kernel_for<Config, 1>(tf32)
                : g.stride == 2 ? backward_data_kernel_for<Config, 2>(tf32)
                                : backward_data_kernel_for<Config, 0>(tf32);
  simt::launch(kernel, tile_grid<Config>(g.in_channels, g.batch * g.height * g.width),
               Config::kThreads, 0, conv_shape(g), grad_y, weight, grad_x);
}

// grad_bias[co] = sum of grad_y[:, co, :, :]: per-channel partial sums over groups of batches
// (enough blocks to fill the GPU), then summed in a fixed order.
void bias_gradient(const ConvGeometry& g, const float* grad_y, float* grad_bias) {
  const int64_t splits_wanted = std::clamp<int64_t>(kWeightGradientBlocks * 4 / g.out_channels, 1,
                                                    std::max<int64_t>(g.batch, 1));
  const int64_t batches_per_split = simt::blocks_for(g.batch, splits_wanted);
  const unsigned splits = simt::blocks_for(g.batch, batches_per_split);
  static Workspace<simt::kTarget> partials;
  auto* out = static_cast<float*>(partials.reserve(splits * g.out_channels * sizeof(float)));
  static_assert(block_threads_of("bias_gradient_kernel") == kReduceThreads);
  simt::launch(kernels::bias_gradient_kernel, dim3(g.out_channels, splits), kReduceThreads, 0,
               grad_y, g.batch, g.out_channels, g.out_h() * g.out_w(), batches_per_split, out);
  sum_partials(out, splits, g.out_channels, grad_bias);
}

}  // namespace

// Channel tiles 32 tall for 32 channels or fewer, 64 tall otherwise.
template <>
void conv2d_forward<simt::kTarget>(const ConvGeometry& g, const float* x, const float* weight,
                                   const float* bias, float* y, Float32Math math) {
  if (g.out_channels <= kernels::Channels32Tiles::kRows) {
    launch_forward<kernels::Channels32Tiles>(g, x, weight, bias, y, math);
  } else {
    launch_forward<kernels::Channels64Tiles>(g, x, weight, bias, y, math);
  }
}

template <>
void conv2d_backward_input<simt::kTarget>(const ConvGeometry& g, const float* grad_y,
                                          const float* weight, float* grad_x, Float32Math math) {
  if (g.in_channels <= kernels::Channels32Tiles::kRows) {
    launch_backward_data<kernels::Channels32Tiles>(g, grad_y, weight, grad_x, math);
  } else {
    launch_backward_data<kernels::Channels64Tiles>(g, grad_y, weight, grad_x, math);
  }
}

// The depth is cut into `splits` chunks whose partial gradients land in a workspace and are summed
// in a fixed order, so the result does not depend on scheduling.
template <>
void conv2d_backward_weight<simt::kTarget>(const ConvGeometry& g, const float* grad_y,
                                           const float* x, float* grad_weight, float* grad_bias,
                                           Float32Math math) {
  using Config = kernels::SmallTiles;
  static_assert(Config::kThreads == block_threads_of("conv2d_backward_weight_kernel"));
  const int64_t depth = g.batch * g.out_h() * g.out_w(), count = g.out_channels * g.patch();
  const dim3 tiles = tile_grid<Config>(g.out_channels, g.patch());
  const int64_t steps = std::max<int64_t>(simt::blocks_for(depth, Config::kDepth), 1);
  const int64_t wanted = kWeightGradientBlocks / (static_cast<int64_t>(tiles.x) * tiles.y);
  const int64_t splits_wanted =
      std::clamp<int64_t>(wanted, 1, std::max<int64_t>(steps / kMinSplitSteps, 1));
  const int64_t chunk = simt::blocks_for(steps, splits_wanted) * Config::kDepth;
  const int splits = static_cast<int>(std::max<int64_t>(simt::blocks_for(depth, chunk), 1));
  static Workspace<simt::kTarget> partials;
  float* out = splits == 1 ? grad_weight
                           : static_cast<float*>(partials.reserve(splits * count * sizeof(float)));
  auto kernel = math == Float32Math::tf32 ? kernels::conv2d_backward_weight_kernel<Config, true>
                                          : kernels::conv2d_backward_weight_kernel<Config, false>;
  simt::launch(kernel, dim3(tiles.x, tiles.y, static_cast<unsigned>(splits)), Config::kThreads, 0,
               conv_shape(g), grad_y, x, static_cast<int>(chunk), out);
  if (splits > 1) sum_partials(out, splits, count, grad_weight);
  if (grad_bias != nullptr) bias_gradient(g, grad_y, grad_bias);
}

}  // namespace lethe::cuda
