// Embedding lookup and the cross-entropy loss (a gather of the labels' log-probabilities).
#pragma once
#include "lethe/core/tensor.h"

namespace lethe {

// weight: (N, D), indices: i64 or i32 of any shape S with values in [0, N) -> S + (D). For a
// weight on cuda the indices may live on either device.
Tensor embedding(const Tensor& weight, const Tensor& indices);
// logits: (B, C), labels: i64 (B) with values in [0, C) -> mean negative log-likelihood.
Tensor cross_entropy(const Tensor& logits, const Tensor& labels);

}  // namespace lethe
