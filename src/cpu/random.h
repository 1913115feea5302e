// Vectorised Philox4x32-10 uniforms for the CPU: the same stream as lethe::philox_block and
// lethe::philox_uniform (value 4 b + j of the fill is lane j of block `block + b`), 16 blocks per
// AVX-512 step.
#pragma once
#include <cstdint>

namespace lethe::cpu {

// Whether philox_uniform_blocks runs here (the CPU has AVX-512).
bool has_vector_philox();
// out[4 b + j] = philox_uniform(lane j of philox_block(key, block + b)) for b < blocks.
// Call only when has_vector_philox().
void philox_uniform_blocks(float* out, int64_t blocks, uint64_t key, uint64_t block);

}  // namespace lethe::cpu
