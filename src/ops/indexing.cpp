// Embedding lookup, dropout and the losses, with their VJPs.
#include "lethe/cpu/indexing.h"
#include "lethe/core/profile.h"
#include "lethe/cpu/random.h"
#include "lethe/cuda/indexing.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"

namespace lethe {
namespace {

// Calls body(Index{}) for an i64 or i32 index tensor, after checking every index is in [0, limit).
template <class Body>
void dispatch_indices(const char* op, const Tensor& indices, int64_t limit, Body&& body) {
  LETHE_CHECK(indices.defined() && (indices.dtype() == DType::i64 || indices.dtype() == DType::i32),
              op, ": indices must be i64 or i32, got ", describe(indices));
  LETHE_CHECK(indices.device() == Device::cpu, op, ": indices ", describe(indices),
              " must live on the cpu for values on the cpu");
  auto check_and_run = [&](auto tag) {
    using Index = decltype(tag);
    const Index* data = indices.data<Index>();
    for (int64_t i = 0; i < indices.numel(); ++i) {
      LETHE_CHECK(data[i] >= 0 && data[i] < limit, op, ": index ", data[i], " at position ", i,
                  " is outside [0, ", limit, ")");
    }
    body(tag);
  };
  if (indices.dtype() == DType::i64) {
    check_and_run(int64_t{});
  } else {
    check_and_run(int32_t{});
  }
}

// The indices (on either device, i64 or i32) as i64 on the GPU, after checking on the host that
// each is in [0, limit).
Tensor gpu_indices(const char* op, const Tensor& indices, int64_t limit) {
  LETHE_CHECK(indices.defined(), op, ": indices are an undefined tensor");
  const Tensor host = indices.to(Device::cpu);
  dispatch_indices(op, host, limit, [](auto) {});
  return host.to(DType::i64).to(Device::cuda);
}

// picked[i] = values[i, labels[i]] for values (B, C); VJP scatters back into zeros.
Tensor pick_columns(const Tensor& values, const Tensor& labels) {
  const int64_t count = values.dim(0), width = values.dim(1);
  Tensor picked = Tensor::empty({count}, values.dtype(), values.device());
  const Tensor labels_on_gpu =
      on_cuda(values) ? gpu_indices("cross_entropy", labels, width) : Tensor();
  if (on_cuda(values)) {
    if constexpr (kCudaBuild) {
      cuda::gather_columns<kNative>(values.data<float>(), width, labels_on_gpu.data<int64_t>(),
                                    count, picked.data<float>());
    }
  } else {
    dispatch_float("cross_entropy", values.dtype(), [&](auto value_tag) {
      using T = decltype(value_tag);
      dispatch_indices("cross_entropy", labels, width, [&](auto index_tag) {
        using Index = decltype(index_tag);
        cpu::gather_columns(values.data<T>(), width, labels.data<Index>(), count, picked.data<T>());
      });
    });
  }
  return record(picked, "pick_columns", {values}, [=](const Tensor& grad) {
    if (on_cuda(grad)) {
      Tensor grad_values = Tensor::empty(values.shape(), values.dtype(), values.device());
      if constexpr (kCudaBuild) {
        cuda::scatter_columns<kNative>(grad.data<float>(), width, labels_on_gpu.data<int64_t>(),
                                       count, grad_values.data<float>());
      }
      return std::vector<Tensor>{grad_values};
    }
    Tensor grad_values = Tensor::zeros(values.shape(), values.dtype(), values.device());
    dispatch_float("cross_entropy backward", values.dtype(), [&](auto value_tag) {
      using T = decltype(value_tag);
      dispatch_indices("cross_entropy", labels, width, [&](auto index_tag) {
        using Index = decltype(index_tag);
        const Index* index = labels.data<Index>();
        T* out = grad_values.data<T>();
        for (int64_t i = 0; i < count; ++i) out[i * width + index[i]] = grad.data<T>()[i];
      });
    });
    return std::vector<Tensor>{grad_values};
  });
}

}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& indices) {
  check_float("embedding", weight, "weight");
  LETHE_CHECK(weight.rank() == 2, "embedding: weight must be (N, D), got ", describe(weight));
  const int64_t rows = weight.dim(0), width = weight.dim(1), count = indices.numel();
  Shape shape = indices.shape();
  shape.push_back(width);
  Tensor out = Tensor::empty(shape, weight.dtype(), weight.device());
  const Tensor indices_on_gpu =
      on_cuda(weight) ? gpu_indices("embedding", indices, rows) : Tensor();
  if (on_cuda(weight)) {
    if constexpr (kCudaBuild) {
      cuda::gather_rows<kNative>(weight.data<float>(), width, indices_on_gpu.data<int64_t>(), count,
                                 out.data<float>());
    }
  } else {
    dispatch_float("embedding", weight.dtype(), [&](auto value_tag) {
      using T = decltype(value_tag);
      dispatch_indices("embedding", indices, rows, [&](auto index_tag) {
        using Index = decltype(index_tag);
        cpu::gather_rows(weight.data<T>(), width, indices.data<Index>(), count, out.data<T>());
      });
    });
  }
  return record(out, "embedding", {weight, indices}, [=](const Tensor& grad) {
    Tensor grad_weight = Tensor::empty(weight.shape(), weight.dtype(), weight.device());
    if (on_cuda(grad)) {
      if constexpr (kCudaBuild) {
        cuda::scatter_add_rows<kNative>(grad.data<float>(), width, indices_on_gpu.data<int64_t>(),
                                        count, grad_weight.data<float>(), rows);
      }
      return std::vector<Tensor>{grad_weight, Tensor()};
    }
    dispatch_float("embedding backward", weight.dtype(), [&](auto value_tag) {
      using T = decltype(value_tag);
      dispatch_indices("embedding", indices, rows, [&](auto index_tag) {
        using Index = decltype(index_tag);
        cpu::scatter_add_rows(grad.data<T>(), width, indices.data<Index>(), count,
                              grad_weight.data<T>(), rows);
      });
    });
    return std::vector<Tensor>{grad_weight, Tensor()};
  });
}

Tensor dropout(const Tensor& a, double p, bool training, Generator& generator) {
  LETHE_CHECK(p >= 0 && p < 1, "dropout: probability ", p, " is outside [0, 1)");
  if (!training || p == 0) return a;
  check_float("dropout", a, "input");
  const profile::Scope scope("dropout", "mask", a.shape(), 0, static_cast<double>(a.nbytes()));
  if (on_cuda(a)) {
    const Tensor keep_mask = generator.bernoulli(a.shape(), 1 - p, a.dtype(), a.device());
    return mul(a, mul(keep_mask, 1 / (1 - p)));
  }
  // On the CPU in one pass, with the values and the stream of the expression above.
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  Tensor scaled_mask = Tensor::empty(a.shape(), a.dtype());
  const uint64_t first_block = generator.take_blocks(a.numel());
  dispatch_float("dropout", a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::dropout_forward(a.data<T>(), out.data<T>(), scaled_mask.data<T>(), a.numel(),
                         generator.seed(), first_block, 1 - p, static_cast<T>(1 / (1 - p)));
  });
  return record(out, "dropout", {a}, [scaled_mask](const Tensor& grad) {
    return std::vector<Tensor>{mul(grad, scaled_mask)};
  });
}

Tensor cross_entropy(const Tensor& logits, const Tensor& labels) {
  check_float("cross_entropy", logits, "logits");
  LETHE_CHECK(logits.rank() == 2 && labels.rank() == 1 && labels.dim(0) == logits.dim(0),
              "cross_entropy: logits ", describe(logits), " and labels ", describe(labels),
              " must be (B, C) and (B)");
  return neg(mean(pick_columns(log_softmax(logits, 1), labels)));
}

}  // namespace lethe
