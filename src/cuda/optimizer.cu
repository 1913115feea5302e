#include "lethe/cuda/optimizer.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/optimizer.cu"
#include "lethe/cuda/kernel_blocks.h"
#include "lethe/cuda/workspace.h"

namespace lethe::cuda {
namespace {

constexpr unsigned kBlockThreads = 256;
static_assert(block_threads_of("adam_kernel") == kBlockThreads);
static_assert(block_threads_of("sgd_kernel") == kBlockThreads);
static_assert(block_threads_of("ema_kernel") == kBlockThreads);
static_assert(block_threads_of("squared_norm_kernel") == kernels::kSquaredNormThreads);
static_assert(block_threads_of("scale_kernel") == kBlockThreads);
static_assert(block_threads_of("clamp_kernel") == kBlockThreads);
constexpr unsigned kNormBlocks = 1024;  // partial sums the host adds
constexpr unsigned kMaxBlocks = 4096;   // grid-stride loops cover the rest

unsigned grid_for(int64_t n) {
  return std::min(simt::blocks_for(n, kBlockThreads), kMaxBlocks);
}

}  // namespace

template <>
void adam_update<simt::kTarget>(float* params, const float* grads, float* m, float* v, int64_t n,
                                double lr, double beta1, double beta2, double eps,
                                int64_t step_number) {
  const double correction1 = 1 - std::pow(beta1, static_cast<double>(step_number));
  const double correction2 = 1 - std::pow(beta2, static_cast<double>(step_number));
  simt::launch(kernels::adam_kernel, grid_for(n), kBlockThreads, 0, params, grads, m, v, n,
               static_cast<float>(lr / correction1), static_cast<float>(1 / std::sqrt(correction2)),
               static_cast<float>(beta1), static_cast<float>(beta2), static_cast<float>(eps));
}

template <>
void sgd_update<simt::kTarget>(float* params, const float* grads, float* velocity, int64_t n,
                               double lr, double momentum) {
  simt::launch(kernels::sgd_kernel, grid_for(n), kBlockThreads, 0, params, grads, velocity, n,
               static_cast<float>(lr), static_cast<float>(momentum));
}

template <>
void ema_update<simt::kTarget>(float* shadow, const float* params, int64_t n, double decay) {
  simt::launch(kernels::ema_kernel, grid_for(n), kBlockThreads, 0, shadow, params, n,
               static_cast<float>(decay));
}

template <>
double squared_norm<simt::kTarget>(const float* values, int64_t n) {
  const unsigned grid = std::min(simt::blocks_for(n, kernels::kSquaredNormThreads), kNormBlocks);
  if (grid == 0) return 0;
  static Workspace<simt::kTarget> partials_memory;
  double* partials = static_cast<double*>(partials_memory.reserve(grid * sizeof(double)));
  simt::launch(kernels::squared_norm_kernel, grid, kernels::kSquaredNormThreads, 0, values, n,
               partials);
  std::vector<double> host(grid);
  if constexpr (simt::kTarget == Target::native) {
    copy(host.data(), partials, grid * sizeof(double), CopyKind::device_to_host);
  } else {
    std::copy(partials, partials + grid, host.begin());
  }
  double total = 0;
  for (double partial : host) total += partial;
  return total;
}

template <>
void scale<simt::kTarget>(float* values, int64_t n, float factor) {
  simt::launch(kernels::scale_kernel, grid_for(n), kBlockThreads, 0, values, n, factor);
}

template <>
void clamp_values<simt::kTarget>(float* values, int64_t n, float limit) {
  simt::launch(kernels::clamp_kernel, grid_for(n), kBlockThreads, 0, values, n, limit);
}

}  // namespace lethe::cuda
