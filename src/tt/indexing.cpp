#include "lethe/tt/indexing.h"

#include "dispatch.h"
#include "lethe/cpu/indexing.h"
#include "lethe/cuda/indexing.h"

namespace lethe::tt {

Tensor indices_for(const Tensor& values, const Tensor& indices) {
  if (!on_cuda(values)) return indices;
  if (on_cuda(indices) && indices.dtype() == DType::i64) return indices;
  return indices.to(Device::cpu).to(DType::i64).to(Device::cuda);
}

void gather_rows(const Tensor& weight, const Tensor& indices, Tensor& out) {
  const int64_t width = weight.dim(1), count = indices.numel();
  if (on_cuda(weight)) {
    if constexpr (kCudaBuild) {
      cuda::gather_rows<kNative>(weight.data<float>(), width, indices.data<int64_t>(), count,
                                 out.data<float>());
    }
    return;
  }
  dispatch_float("embedding", weight.dtype(), [&](auto value_tag) {
    using T = decltype(value_tag);
    dispatch_index("embedding", indices, [&](auto index_tag) {
      using Index = decltype(index_tag);
      cpu::gather_rows(weight.data<T>(), width, indices.data<Index>(), count, out.data<T>());
    });
  });
}

void scatter_add_rows(const Tensor& grad_out, const Tensor& indices, Tensor& grad_weight) {
  const int64_t rows = grad_weight.dim(0), width = grad_weight.dim(1), count = indices.numel();
  if (on_cuda(grad_out)) {
    if constexpr (kCudaBuild) {
      cuda::scatter_add_rows<kNative>(grad_out.data<float>(), width, indices.data<int64_t>(), count,
                                      grad_weight.data<float>(), rows);
    }
    return;
  }
  dispatch_float("embedding backward", grad_out.dtype(), [&](auto value_tag) {
    using T = decltype(value_tag);
    dispatch_index("embedding backward", indices, [&](auto index_tag) {
      using Index = decltype(index_tag);
      cpu::scatter_add_rows(grad_out.data<T>(), width, indices.data<Index>(), count,
                            grad_weight.data<T>(), rows);
    });
  });
}

void gather_columns(const Tensor& values, const Tensor& indices, Tensor& picked) {
  const int64_t width = values.dim(1), count = values.dim(0);
  if (on_cuda(values)) {
    if constexpr (kCudaBuild) {
      cuda::gather_columns<kNative>(values.data<float>(), width, indices.data<int64_t>(), count,
                                    picked.data<float>());
    }
    return;
  }
  dispatch_float("gather_columns", values.dtype(), [&](auto value_tag) {
    using T = decltype(value_tag);
    dispatch_index("gather_columns", indices, [&](auto index_tag) {
      using Index = decltype(index_tag);
      cpu::gather_columns(values.data<T>(), width, indices.data<Index>(), count, picked.data<T>());
    });
  });
}

void scatter_columns(const Tensor& grad_picked, const Tensor& indices, Tensor& grad_values) {
  const int64_t width = grad_values.dim(1), count = grad_values.dim(0);
  if (on_cuda(grad_picked)) {
    if constexpr (kCudaBuild) {
      cuda::scatter_columns<kNative>(grad_picked.data<float>(), width, indices.data<int64_t>(),
                                     count, grad_values.data<float>());
    }
    return;
  }
  dispatch_float("scatter_columns", grad_picked.dtype(), [&](auto value_tag) {
    using T = decltype(value_tag);
    dispatch_index("scatter_columns", indices, [&](auto index_tag) {
      using Index = decltype(index_tag);
      cpu::scatter_columns(grad_picked.data<T>(), width, indices.data<Index>(), count,
                           grad_values.data<T>());
    });
  });
}

}  // namespace lethe::tt
