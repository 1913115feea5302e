#include "lethe/cuda/reduce.h"

#include "kernels/reduce.cu"
#include "lethe/cuda/kernel_blocks.h"
#include "lethe/cuda/trailing_broadcast.h"

namespace lethe::cuda {
namespace {

constexpr unsigned kBlockThreads = 256;
static_assert(block_threads_of("sum_to_shape_kernel") == kBlockThreads);
static_assert(block_threads_of("sum_rows_kernel") == kBlockThreads);

kernels::ReductionIndex reduction_index(const Shape& in_shape, const Shape& out_shape) {
  constexpr int rank = kernels::kReductionRank;
  LETHE_CHECK(in_shape.size() <= rank && out_shape.size() <= in_shape.size(),
              "cuda sum_to_shape: cannot reduce ", shape_str(in_shape), " to ",
              shape_str(out_shape));
  kernels::ReductionIndex index{};
  for (int axis = 0; axis < rank; ++axis) {
    index.kept_extents[axis] = index.reduced_extents[axis] = 1;
  }
  index.reduced_count = 1;
  const int in_shift = rank - static_cast<int>(in_shape.size());
  const int out_shift = rank - static_cast<int>(out_shape.size());
  long long stride = 1;
  for (int axis = rank - 1; axis >= in_shift; --axis) {
    const int64_t in_extent = in_shape[axis - in_shift];
    const int64_t out_extent = axis >= out_shift ? out_shape[axis - out_shift] : 1;
    LETHE_CHECK(out_extent == in_extent || out_extent == 1,
                "cuda sum_to_shape: ", shape_str(out_shape), " does not broadcast to ",
                shape_str(in_shape));
    if (out_extent == in_extent) {
      index.kept_extents[axis] = in_extent;
      index.kept_strides[axis] = stride;
    } else {
      index.reduced_extents[axis] = in_extent;
      index.reduced_strides[axis] = stride;
      index.reduced_count *= in_extent;
    }
    stride *= in_extent;
  }
  return index;
}

}  // namespace

template <>
void sum_to_shape<simt::kTarget>(const float* in, const Shape& in_shape, float* out,
                                 const Shape& out_shape) {
  const kernels::ReductionIndex index = reduction_index(in_shape, out_shape);
  const unsigned outputs = static_cast<unsigned>(shape_numel(out_shape));
  const int64_t run = trailing_broadcast_extent(out_shape, in_shape);
  if (run > 0) {
    simt::launch(kernels::sum_rows_kernel, outputs, kBlockThreads, 0, in, out,
                 static_cast<long long>(run));
    return;
  }
  simt::launch(kernels::sum_to_shape_kernel, outputs, kBlockThreads, 0, in, out, index);
}

}  // namespace lethe::cuda
