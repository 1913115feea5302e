// Embedding lookup and cross-entropy (a gather of the labels' log-probabilities), with their
// VJPs.
#include "lethe/ops/indexing.h"

#include "lethe/core/profile.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"
#include "lethe/tt/indexing.h"

namespace lethe {
namespace {

// Throws unless `indices` is an i64 or i32 tensor whose every value lies in [0, limit) and which
// the backend of `values` can read (cpu values need cpu indices; cuda values take either).
void check_indices(const char* op, const Tensor& values, const Tensor& indices, int64_t limit) {
  LETHE_CHECK(indices.defined() && (indices.dtype() == DType::i64 || indices.dtype() == DType::i32),
              op, ": indices must be i64 or i32, got ", describe(indices));
  LETHE_CHECK(values.device() == Device::cuda || indices.device() == Device::cpu, op, ": indices ",
              describe(indices), " must live on the cpu for values on the cpu");
  const Tensor host = indices.to(Device::cpu).to(DType::i64);
  const int64_t* data = host.data<int64_t>();
  for (int64_t i = 0; i < host.numel(); ++i) {
    LETHE_CHECK(data[i] >= 0 && data[i] < limit, op, ": index ", data[i], " at position ", i,
                " is outside [0, ", limit, ")");
  }
}

// picked[i] = values[i, labels[i]] for values (B, C); VJP scatters back into zeros.
Tensor pick_columns(const Tensor& values, const Tensor& labels) {
  check_indices("cross_entropy", values, labels, values.dim(1));
  const Tensor indices = tt::indices_for(values, labels);
  Tensor picked = Tensor::empty({values.dim(0)}, values.dtype(), values.device());
  tt::gather_columns(values, indices, picked);
  return record(picked, "pick_columns", {values}, [=](const Tensor& grad) {
    Tensor grad_values = Tensor::empty(values.shape(), values.dtype(), values.device());
    tt::scatter_columns(grad, indices, grad_values);
    return std::vector<Tensor>{grad_values};
  });
}

}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& indices) {
  check_float("embedding", weight, "weight");
  LETHE_CHECK(weight.rank() == 2, "embedding: weight must be (N, D), got ", describe(weight));
  check_indices("embedding", weight, indices, weight.dim(0));
  const Tensor backend_indices = tt::indices_for(weight, indices);
  Shape shape = indices.shape();
  shape.push_back(weight.dim(1));
  Tensor out = Tensor::empty(shape, weight.dtype(), weight.device());
  tt::gather_rows(weight, backend_indices, out);
  return record(out, "embedding", {weight, indices}, [=](const Tensor& grad) {
    Tensor grad_weight = Tensor::empty(weight.shape(), weight.dtype(), weight.device());
    tt::scatter_add_rows(grad, backend_indices, grad_weight);
    return std::vector<Tensor>{grad_weight, Tensor()};
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
