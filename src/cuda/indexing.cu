#include "lethe/cuda/indexing.h"

#include <algorithm>

#include "kernels/indexing.cu"
#include "lethe/cuda/kernel_blocks.h"

namespace lethe::cuda {
namespace {

constexpr unsigned kBlockThreads = 256;
static_assert(block_threads_of("gather_rows_kernel") == kBlockThreads);
static_assert(block_threads_of("scatter_add_rows_kernel") == kBlockThreads);
static_assert(block_threads_of("gather_columns_kernel") == kBlockThreads);
static_assert(block_threads_of("scatter_columns_kernel") == kBlockThreads);
constexpr unsigned kMaxBlocks = 4096;  // grid-stride loops cover the rest

unsigned grid_for(int64_t n) {
  return std::min(simt::blocks_for(n, kBlockThreads), kMaxBlocks);
}

const long long* as_long_long(const int64_t* indices) {
  static_assert(sizeof(long long) == sizeof(int64_t));
  return reinterpret_cast<const long long*>(indices);
}

}  // namespace

template <>
void gather_rows<simt::kTarget>(const float* weight, int64_t width, const int64_t* indices,
                                int64_t count, float* out) {
  simt::launch(kernels::gather_rows_kernel, grid_for(count * width), kBlockThreads, 0, weight,
               width, as_long_long(indices), count, out);
}

template <>
void scatter_add_rows<simt::kTarget>(const float* grad_out, int64_t width, const int64_t* indices,
                                     int64_t count, float* grad_weight, int64_t rows) {
  simt::launch(kernels::scatter_add_rows_kernel, grid_for(rows * width), kBlockThreads, 0, grad_out,
               width, as_long_long(indices), count, grad_weight, rows);
}

template <>
void gather_columns<simt::kTarget>(const float* values, int64_t width, const int64_t* indices,
                                   int64_t count, float* picked) {
  simt::launch(kernels::gather_columns_kernel, grid_for(count), kBlockThreads, 0, values, width,
               as_long_long(indices), count, picked);
}

template <>
void scatter_columns<simt::kTarget>(const float* grad_picked, int64_t width, const int64_t* indices,
                                    int64_t count, float* grad_values) {
  simt::launch(kernels::scatter_columns_kernel, grid_for(count * width), kBlockThreads, 0,
               grad_picked, width, as_long_long(indices), count, grad_values);
}

}  // namespace lethe::cuda
