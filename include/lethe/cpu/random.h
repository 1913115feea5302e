// Vectorised Philox4x32-10 uniforms for the CPU: the same stream as lethe::philox_block and
// lethe::philox_uniform (value 4 b + j of the fill is lane j of block `block + b`), 16 blocks per
// AVX-512 step; and dropout drawn from that stream in one pass.
#pragma once
#include <cstdint>

namespace lethe::cpu {

// Whether philox_uniform_blocks runs here (the CPU has AVX-512).
bool has_vector_philox();
// out[4 b + j] = philox_uniform(lane j of philox_block(key, block + b)) for b < blocks.
// Call only when has_vector_philox().
void philox_uniform_blocks(float* out, int64_t blocks, uint64_t key, uint64_t block);

// Fill out[0, n) from blocks block, block + 1, ... of stream `key` (lanes in order), without any
// generator state: uniforms in (0, 1) (philox_uniform), and standard normals by Box-Muller on
// the lane pairs (0, 1) and (2, 3).
void uniform_fill(float* out, int64_t n, uint64_t key, uint64_t block);
void normal_fill(float* out, int64_t n, uint64_t key, uint64_t block);
// The same stream mapped to uniforms in (low, high) (low + (high - low) u, in double), to 1 where
// u < p and 0 elsewhere, and to integers in [low, high) (high - low <= 2^32) by a 32-bit
// multiply-shift of each lane's bits.
void uniform_fill(float* out, int64_t n, uint64_t key, uint64_t block, double low, double high);
void bernoulli_fill(float* out, int64_t n, uint64_t key, uint64_t block, double p);
void randint_fill(int64_t* out, int64_t n, uint64_t key, uint64_t block, int64_t low, int64_t high);

// Dropout of n values in one parallel pass, with the uniforms u_i of uniform_fill(.., n, key,
// block): scaled_mask[i] = u_i < keep ? scale : 0 and y[i] = x[i] * scaled_mask[i], the
// values of bernoulli(keep) * scale * x drawn from the same blocks.
template <class T>
void dropout_forward(const T* x, T* y, T* scaled_mask, int64_t n, uint64_t key, uint64_t block,
                     double keep, T scale);

// The count of 23-bit mantissas m whose uniform (m + 0.5) 2^-23 (philox_uniform of bits with
// bits >> 9 = m) lies below keep: philox_uniform(bits) < keep exactly when (bits >> 9) < it.
uint32_t uniform_threshold(double keep);

namespace detail {

// dropout_forward in float on AVX-512 (random_avx512.cpp; call only when has_vector_philox()),
// with value i kept where (bits_i >> 9) < threshold (uniform_threshold(keep)).
void dropout_avx512(const float* x, float* y, float* scaled_mask, int64_t n, uint64_t key,
                    uint64_t block, uint32_t threshold, float scale);

}  // namespace detail
}  // namespace lethe::cpu
