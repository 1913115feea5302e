#include "lethe/rng.h"

#include <algorithm>
#include <cmath>

#include "cpu/random.h"
#include "cuda/random.h"
#include "ops/internal.h"

namespace lethe {

PhiloxBlock philox4x32_10(PhiloxBlock counter, std::array<uint32_t, 2> key) {
  constexpr uint32_t kMultiplier0 = 0xD2511F53u, kMultiplier1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const uint64_t product0 = static_cast<uint64_t>(kMultiplier0) * counter[0];
    const uint64_t product1 = static_cast<uint64_t>(kMultiplier1) * counter[2];
    counter = {static_cast<uint32_t>(product1 >> 32) ^ counter[1] ^ key[0],
               static_cast<uint32_t>(product1),
               static_cast<uint32_t>(product0 >> 32) ^ counter[3] ^ key[1],
               static_cast<uint32_t>(product0)};
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
  return counter;
}

PhiloxBlock philox_block(uint64_t seed, uint64_t block) {
  return philox4x32_10({static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0, 0},
                       {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
}

float philox_uniform(uint32_t bits) {
  return (static_cast<float>(bits >> 9) + 0.5f) * (1.0f / 8388608.0f);
}

uint64_t Generator::take_blocks(int64_t n_values) {
  const uint64_t first = offset_;
  offset_ += static_cast<uint64_t>((n_values + 3) / 4);
  return first;
}

void Generator::uniform_fill(float* out, int64_t n, uint64_t key, uint64_t block) {
  if (cpu::has_vector_philox()) {  // whole blocks 16 at a time, then the last partial block
    const int64_t whole_blocks = n / 4, chunk = 4096;
#pragma omp parallel for if (n > (1 << 16)) schedule(static)
    for (int64_t first = 0; first < whole_blocks; first += chunk) {
      cpu::philox_uniform_blocks(out + 4 * first, std::min(chunk, whole_blocks - first), key,
                                 block + static_cast<uint64_t>(first));
    }
    if (n % 4 != 0) {
      const PhiloxBlock lanes = philox_block(key, block + static_cast<uint64_t>(whole_blocks));
      for (int64_t i = 4 * whole_blocks; i < n; ++i) out[i] = philox_uniform(lanes[i % 4]);
    }
    return;
  }
#pragma omp parallel for if (n > (1 << 16)) schedule(static)
  for (int64_t b = 0; b < (n + 3) / 4; ++b) {
    const PhiloxBlock lanes = philox_block(key, block + static_cast<uint64_t>(b));
    for (int lane = 0; lane < 4 && 4 * b + lane < n; ++lane) {
      out[4 * b + lane] = philox_uniform(lanes[lane]);
    }
  }
}

// Lanes (0, 1) and (2, 3) of each block give two normals each by Box-Muller.
void Generator::normal_fill(float* out, int64_t n, uint64_t key, uint64_t block) {
  constexpr float kTwoPi = 6.28318530717958647692f;
#pragma omp parallel for if (n > (1 << 16)) schedule(static)
  for (int64_t b = 0; b < (n + 3) / 4; ++b) {
    const PhiloxBlock lanes = philox_block(key, block + static_cast<uint64_t>(b));
    float values[4];
    for (int pair = 0; pair < 2; ++pair) {
      const float radius = std::sqrt(-2.0f * std::log(philox_uniform(lanes[2 * pair])));
      const float angle = kTwoPi * philox_uniform(lanes[2 * pair + 1]);
      values[2 * pair] = radius * std::cos(angle);
      values[2 * pair + 1] = radius * std::sin(angle);
    }
    for (int lane = 0; lane < 4 && 4 * b + lane < n; ++lane) out[4 * b + lane] = values[lane];
  }
}

static Tensor float_draw_as(Tensor values, DType dtype) {
  LETHE_CHECK(is_floating(dtype), "random draw: dtype ", dtype_name(dtype), " is not floating");
  return values.to(dtype);
}

Tensor Generator::uniform(const Shape& shape, double low, double high, DType dtype, Device device) {
  Tensor values = Tensor::empty(shape, DType::f32, device);
  const uint64_t first = take_blocks(values.numel());
  if (device == Device::cuda) {
    if constexpr (kCudaBuild) {
      cuda::philox_uniform<kNative>(values.data<float>(), values.numel(), seed_, first, low, high);
    }
    return float_draw_as(values, dtype);
  }
  uniform_fill(values.data<float>(), values.numel(), seed_, first);
  float* data = values.data<float>();
  for (int64_t i = 0; i < values.numel(); ++i) {
    data[i] = static_cast<float>(low + (high - low) * data[i]);
  }
  return float_draw_as(values, dtype);
}

Tensor Generator::normal(const Shape& shape, double mean, double stddev, DType dtype,
                         Device device) {
  Tensor values = Tensor::empty(shape);
  normal_fill(values.data<float>(), values.numel(), seed_, take_blocks(values.numel()));
  if (mean != 0 || stddev != 1) {
    float* data = values.data<float>();
    for (int64_t i = 0; i < values.numel(); ++i) {
      data[i] = static_cast<float>(mean + stddev * data[i]);
    }
  }
  return float_draw_as(values, dtype).to(device);
}

Tensor Generator::randint(const Shape& shape, int64_t low, int64_t high, Device device) {
  LETHE_CHECK(low < high, "randint: empty range [", low, ", ", high, ")");
  const uint64_t range = static_cast<uint64_t>(high - low);
  LETHE_CHECK(range <= (uint64_t{1} << 32), "randint: range ", range, " exceeds 2^32");
  Tensor values = Tensor::empty(shape, DType::i64, device);
  const uint64_t first = take_blocks(values.numel());
  if (device == Device::cuda) {
    if constexpr (kCudaBuild) {
      cuda::philox_randint<kNative>(values.data<int64_t>(), values.numel(), seed_, first, low,
                                    high);
    }
    return values;
  }
  int64_t* data = values.data<int64_t>();
  for (int64_t i = 0; i < values.numel(); ++i) {
    const PhiloxBlock lanes = philox_block(seed_, first + static_cast<uint64_t>(i / 4));
    // 32-bit multiply-shift: bias below 2^-32 * range, negligible for label ranges.
    data[i] = low + static_cast<int64_t>((static_cast<uint64_t>(lanes[i % 4]) * range) >> 32);
  }
  return values;
}

Tensor Generator::bernoulli(const Shape& shape, double p, DType dtype, Device device) {
  LETHE_CHECK(p >= 0 && p <= 1, "bernoulli: probability ", p, " is outside [0, 1]");
  Tensor values = Tensor::empty(shape, DType::f32, device);
  const uint64_t first = take_blocks(values.numel());
  if (device == Device::cuda) {
    if constexpr (kCudaBuild) {
      cuda::philox_bernoulli<kNative>(values.data<float>(), values.numel(), seed_, first, p);
    }
    return float_draw_as(values, dtype);
  }
  uniform_fill(values.data<float>(), values.numel(), seed_, first);
  float* data = values.data<float>();
  for (int64_t i = 0; i < values.numel(); ++i) data[i] = data[i] < p ? 1.0f : 0.0f;
  return float_draw_as(values, dtype);
}

}  // namespace lethe
