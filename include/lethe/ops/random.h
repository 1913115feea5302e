// Generator: tensors of uniform, normal, integer and Bernoulli draws from the Philox stream of
// lethe/core/philox.h, the same numbers on every device.
#pragma once
#include <cstdint>

#include "lethe/core/philox.h"
#include "lethe/core/tensor.h"

namespace lethe {

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

  uint64_t take_blocks(int64_t n_values);  // returns the first block, advances the offset

 private:
  uint64_t seed_;
  uint64_t offset_;
};

}  // namespace lethe
