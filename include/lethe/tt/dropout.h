// Inverted dropout over tensors, its mask drawn from the Philox stream (lethe/core/philox.h).
#pragma once
#include <cstdint>

#include "lethe/core/tensor.h"

namespace lethe::tt {

// scaled_mask = (u < keep) / keep and y = x * scaled_mask, with u the uniforms of the blocks from
// `first_block` of stream `seed` (value i from block first_block + i / 4, lane i % 4): on the CPU
// in one fused pass, on cuda a Bernoulli draw, a scale and a product. All tensors x's shape.
void dropout_forward(const Tensor& x, double keep, uint64_t seed, uint64_t first_block, Tensor& y,
                     Tensor& scaled_mask);

}  // namespace lethe::tt
