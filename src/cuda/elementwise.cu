#include "lethe/cuda/elementwise.h"

#include <algorithm>
#include <climits>
#include <cstdint>

#include "kernels/elementwise.cu"
#include "lethe/cuda/kernel_blocks.h"
#include "lethe/cuda/trailing_broadcast.h"

namespace lethe::cuda {
namespace {

constexpr unsigned kBlockThreads = 256;
static_assert(block_threads_of("unary_forward_kernel") == kBlockThreads);
static_assert(block_threads_of("unary_backward_kernel") == kBlockThreads);
static_assert(block_threads_of("binary_same_shape_kernel") == kBlockThreads);
static_assert(block_threads_of("binary_broadcast_kernel") == kBlockThreads);
static_assert(block_threads_of("binary_trailing_broadcast_kernel") == kBlockThreads);
static_assert(block_threads_of("bias_silu_kernel") == kBlockThreads);
constexpr unsigned kMaxBlocks = 4096;  // grid-stride loops cover the rest

unsigned grid_for(int64_t n) {
  return std::min(simt::blocks_for(n, kBlockThreads), kMaxBlocks);
}

// Broadcast strides of `shape` against out_shape, both padded at the front to five axes.
kernels::BroadcastIndex broadcast_index(const Shape& a_shape, const Shape& b_shape,
                                        const Shape& out_shape) {
  LETHE_CHECK(out_shape.size() <= kernels::kBroadcastRank, "cuda binary op: rank ",
              out_shape.size(), " exceeds ", kernels::kBroadcastRank);
  kernels::BroadcastIndex index{};
  const int offset = kernels::kBroadcastRank - static_cast<int>(out_shape.size());
  for (int axis = 0; axis < kernels::kBroadcastRank; ++axis) {
    index.extents[axis] = axis < offset ? 1 : out_shape[axis - offset];
  }
  auto fill_strides = [&](const Shape& shape, long long* strides) {
    long long stride = 1;
    const int shift = kernels::kBroadcastRank - static_cast<int>(shape.size());
    for (int axis = static_cast<int>(shape.size()) - 1; axis >= 0; --axis) {
      strides[shift + axis] = shape[axis] == 1 ? 0 : stride;
      stride *= shape[axis];
    }
  };
  fill_strides(a_shape, index.a_strides);
  fill_strides(b_shape, index.b_strides);
  return index;
}

}  // namespace

template <>
void unary_forward<simt::kTarget>(UnaryOp op, const float* x, float* y, int64_t n, float p0,
                                  float p1) {
  simt::launch(kernels::unary_forward_kernel, grid_for(n), kBlockThreads, 0, op, x, y, n, p0, p1);
}

template <>
void unary_backward<simt::kTarget>(UnaryOp op, const float* x, const float* y, const float* grad_y,
                                   float* grad_x, int64_t n, float p0, float p1) {
  simt::launch(kernels::unary_backward_kernel, grid_for(n), kBlockThreads, 0, op, x, y, grad_y,
               grad_x, n, p0, p1);
}

template <>
void binary_broadcast<simt::kTarget>(BinaryOp op, const float* a, const Shape& a_shape,
                                     const float* b, const Shape& b_shape, float* out,
                                     const Shape& out_shape) {
  const int64_t n = shape_numel(out_shape);
  if (a_shape == b_shape) {
    simt::launch(kernels::binary_same_shape_kernel, grid_for(n), kBlockThreads, 0, op, a, b, out,
                 n);
    return;
  }
  const int64_t b_inner = a_shape == out_shape ? trailing_broadcast_extent(b_shape, out_shape) : 0;
  const int64_t a_inner = b_shape == out_shape ? trailing_broadcast_extent(a_shape, out_shape) : 0;
  if (n < INT_MAX && (a_inner > 0 || b_inner > 0)) {
    simt::launch(kernels::binary_trailing_broadcast_kernel, grid_for(n), kBlockThreads, 0, op, a, b,
                 out, static_cast<int>(b_inner > 0 ? b_inner : a_inner), b_inner > 0,
                 static_cast<int>(n));
    return;
  }
  simt::launch(kernels::binary_broadcast_kernel, grid_for(n), kBlockThreads, 0, op, a, b, out,
               broadcast_index(a_shape, b_shape, out_shape), n);
}

template <>
void bias_silu<simt::kTarget>(const float* x, const float* bias, float* y, int64_t batch,
                              int64_t channels, int64_t spatial) {
  const int64_t n = batch * channels * spatial;
  LETHE_CHECK(n < INT_MAX, "cuda bias_silu: ", n, " elements exceed 32-bit indexing");
  const bool quads = spatial % 4 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0 &&
                     reinterpret_cast<uintptr_t>(y) % 16 == 0;
  simt::launch(kernels::bias_silu_kernel, grid_for(quads ? n / 4 : n), kBlockThreads, 0, x, bias, y,
               static_cast<int>(channels), static_cast<int>(spatial), static_cast<int>(n), quads);
}

}  // namespace lethe::cuda
