// CUDA launchers for Philox draws (kernels/random.cu): the stream of lethe/rng.h, element i of a
// draw from counter block offset + i / 4, lane i % 4, so device and host draws agree bit for bit.
// Pointers live on the target.
#pragma once
#include <cstdint>

#include "lethe/cuda/target.h"

namespace lethe::cuda {

// out: (n) f32, uniform in (low, high) from blocks starting at `block` of stream `seed`.
template <Target target>
void philox_uniform(float* out, int64_t n, uint64_t seed, uint64_t block, double low, double high);
// out: (n) f32, 1 with probability p, else 0.
template <Target target>
void philox_bernoulli(float* out, int64_t n, uint64_t seed, uint64_t block, double p);
// out: (n) i64 in [low, high), high - low <= 2^32.
template <Target target>
void philox_randint(int64_t* out, int64_t n, uint64_t seed, uint64_t block, int64_t low,
                    int64_t high);

}  // namespace lethe::cuda
