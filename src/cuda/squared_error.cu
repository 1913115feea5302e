#include "lethe/cuda/squared_error.h"

#include <algorithm>
#include <climits>

#include "kernels/squared_error.cu"
#include "lethe/cuda/kernel_blocks.h"
#include "lethe/cuda/workspace.h"

namespace lethe::cuda {
namespace {

constexpr unsigned kBlockThreads = 256;
constexpr int64_t kChunk = 4096;  // values of one sample per block: 16 per thread
static_assert(block_threads_of("squared_error_partials_kernel") == kBlockThreads);
static_assert(block_threads_of("scaled_sum_kernel") == kBlockThreads);
static_assert(block_threads_of("squared_error_backward_kernel") == kBlockThreads);

kernels::SquaredErrorShape squared_error_shape(const SquaredErrorGeometry& g) {
  LETHE_CHECK(g.samples >= 1 && g.samples < 65536 && g.per_sample >= 1 && g.per_sample < INT_MAX,
              "cuda squared error: ", g.samples, " samples of ", g.per_sample,
              " values (expected 1 to 65535 samples of fewer than 2^31 values)");
  return {static_cast<int>(g.samples), static_cast<int>(g.per_sample),
          static_cast<int>(std::min(g.per_sample, kChunk))};
}

dim3 squared_error_grid(const kernels::SquaredErrorShape& s) {
  return dim3(simt::blocks_for(s.per_sample, s.chunk), static_cast<unsigned>(s.samples));
}

}  // namespace

template <>
void squared_error_forward<simt::kTarget>(const SquaredErrorGeometry& g, const float* prediction,
                                          const float* target_values, const float* weights,
                                          float* loss) {
  const kernels::SquaredErrorShape shape = squared_error_shape(g);
  const dim3 grid = squared_error_grid(shape);
  const int64_t blocks = static_cast<int64_t>(grid.x) * grid.y;
  static Workspace<simt::kTarget> partials_memory;
  auto* partials = static_cast<float*>(partials_memory.reserve(blocks * sizeof(float)));
  simt::launch(kernels::squared_error_partials_kernel, grid, kBlockThreads, 0, shape, prediction,
               target_values, weights, partials);
  simt::launch(kernels::scaled_sum_kernel, 1, kBlockThreads, 0, partials, static_cast<int>(blocks),
               static_cast<float>(1.0 / (static_cast<double>(g.samples) * g.per_sample)), loss);
}

template <>
void squared_error_backward<simt::kTarget>(const SquaredErrorGeometry& g, const float* prediction,
                                           const float* target_values, const float* weights,
                                           const float* grad_loss, float* grad_prediction,
                                           float* grad_target) {
  const kernels::SquaredErrorShape shape = squared_error_shape(g);
  simt::launch(kernels::squared_error_backward_kernel, squared_error_grid(shape), kBlockThreads, 0,
               shape, prediction, target_values, weights, grad_loss,
               static_cast<float>(2.0 / (static_cast<double>(g.samples) * g.per_sample)),
               grad_prediction, grad_target);
}

}  // namespace lethe::cuda
