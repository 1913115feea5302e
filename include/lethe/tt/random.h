// Tensors filled from the Philox stream of lethe/core/philox.h, value i from counter block
// first_block + i / 4, lane i % 4, the same numbers on every device (lethe/cpu/random.h,
// lethe/cuda/random.h).
#pragma once
#include <cstdint>

#include "lethe/core/tensor.h"

namespace lethe::tt {

// values (f32): uniform in (low, high).
void uniform_fill(Tensor& values, uint64_t seed, uint64_t first_block, double low, double high);
// values (f32, cpu): standard normals, Box-Muller on lane pairs. The host only: the GPU's log,
// sin and cos round differently, so normal draws for cuda are made here and copied.
void normal_fill(Tensor& values, uint64_t seed, uint64_t first_block);
// values (i64): integers in [low, high), high - low <= 2^32.
void randint_fill(Tensor& values, uint64_t seed, uint64_t first_block, int64_t low, int64_t high);
// values (f32): 1 with probability p, else 0.
void bernoulli_fill(Tensor& values, uint64_t seed, uint64_t first_block, double p);

}  // namespace lethe::tt
