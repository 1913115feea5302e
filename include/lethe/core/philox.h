// Philox4x32-10 counter-based RNG (Salmon et al. 2011). A draw of n values from a generator with
// (seed, offset) uses counter blocks offset, offset + 1, ...; element i comes from block
// offset + i / 4, lane i % 4. The stream depends only on (seed, offset, i), so every device and
// every thread count produces the same numbers. lethe/ops/random.h draws tensors from it.
#pragma once
#include <array>
#include <cstdint>

namespace lethe {

using PhiloxBlock = std::array<uint32_t, 4>;

// Ten rounds of Philox4x32 on a 128-bit counter with a 64-bit key (Random123's philox4x32_10).
PhiloxBlock philox4x32_10(PhiloxBlock counter, std::array<uint32_t, 2> key);
// Block `block` of stream `seed`: counter (block low, block high, 0, 0), key (seed low, seed high).
PhiloxBlock philox_block(uint64_t seed, uint64_t block);

// A lane's 32 bits mapped to a float uniform in (0, 1), never 0 or 1.
float philox_uniform(uint32_t bits);

}  // namespace lethe
