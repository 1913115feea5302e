// Philox4x32-10 counter-based RNG (Salmon et al. 2011). A draw of n values from a generator with
// (seed, offset) uses counter blocks offset, offset + 1, ...; element i comes from block
// offset + i / 4, lane i % 4. The stream depends only on (seed, offset, i), so every device and
// every thread count produces the same numbers. Each draw advances the offset by ceil(n / 4).
#pragma once
#include <array>
#include <cstdint>

#include "lethe/tensor.h"

namespace lethe {

using PhiloxBlock = std::array<uint32_t, 4>;

// Ten rounds of Philox4x32 on a 128-bit counter with a 64-bit key (Random123's philox4x32_10).
PhiloxBlock philox4x32_10(PhiloxBlock counter, std::array<uint32_t, 2> key);
// Block `block` of stream `seed`: counter (block low, block high, 0, 0), key (seed low, seed high).
PhiloxBlock philox_block(uint64_t seed, uint64_t block);

// A lane's 32 bits mapped to a float uniform in (0, 1), never 0 or 1.
float philox_uniform(uint32_t bits);

class Generator {
 public:
  explicit Generator(uint64_t seed = 0, uint64_t offset = 0) : seed_(seed), offset_(offset) {}

  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_offset(uint64_t offset) { offset_ = offset; }

  // Each returns a new tensor on `device` and advances the offset past the blocks it used. The
  // numbers do not depend on the device: uniform, randint and bernoulli run the same Philox
  // stream in a CUDA kernel (cuda/random.h); normal is drawn on the host and copied, because the
  // GPU's log / sin / cos round differently from the host's.
  Tensor uniform(const Shape& shape, double low = 0, double high = 1, DType dtype = DType::f32,
                 Device device = Device::cpu);
  Tensor normal(const Shape& shape, double mean = 0, double stddev = 1, DType dtype = DType::f32,
                Device device = Device::cpu);  // Box-Muller on lane pairs
  Tensor randint(const Shape& shape, int64_t low, int64_t high,
                 Device device = Device::cpu);  // i64 in [low, high)
  Tensor bernoulli(const Shape& shape, double p, DType dtype = DType::f32,
                   Device device = Device::cpu);  // 1 with probability p, else 0

  // Fills a raw float buffer with standard normals from blocks starting at `block`, without
  // touching the generator state (used by kernels that draw their own noise, e.g. dropout).
  static void normal_fill(float* out, int64_t n, uint64_t key, uint64_t block);
  static void uniform_fill(float* out, int64_t n, uint64_t key, uint64_t block);

  uint64_t take_blocks(int64_t n_values);  // returns the first block, advances the offset

 private:
  uint64_t seed_;
  uint64_t offset_;
};

}  // namespace lethe
