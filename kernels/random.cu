// Philox4x32-10 draws on the device, the same stream as lethe/core/philox.h: element i of a draw
// that starts at counter block `block` comes from block + i / 4, lane i % 4, so a device draw
// equals the host draw bit for bit. One thread per counter block (four elements), grid-stride.
#pragma once
#include "kernels/simt.cuh"

namespace lethe::kernels {
inline namespace LETHE_SIMT_TARGET {

struct PhiloxLanes {
  unsigned lane[4];
};

// Ten rounds on counter (block low, block high, 0, 0) with key (seed low, seed high).
__device__ __forceinline__ PhiloxLanes philox_block(unsigned long long seed,
                                                    unsigned long long block) {
  unsigned c0 = static_cast<unsigned>(block), c1 = static_cast<unsigned>(block >> 32), c2 = 0,
           c3 = 0;
  unsigned key0 = static_cast<unsigned>(seed), key1 = static_cast<unsigned>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    const unsigned long long product0 = 0xD2511F53ull * c0;
    const unsigned long long product1 = 0xCD9E8D57ull * c2;
    const unsigned next0 = static_cast<unsigned>(product1 >> 32) ^ c1 ^ key0;
    const unsigned next2 = static_cast<unsigned>(product0 >> 32) ^ c3 ^ key1;
    c1 = static_cast<unsigned>(product1);
    c3 = static_cast<unsigned>(product0);
    c0 = next0;
    c2 = next2;
    key0 += 0x9E3779B9u;
    key1 += 0xBB67AE85u;
  }
  return {{c0, c1, c2, c3}};
}

// A lane's 32 bits as a float uniform in (0, 1), as philox_uniform on the host.
__device__ __forceinline__ float philox_uniform(unsigned bits) {
  return (static_cast<float>(bits >> 9) + 0.5f) * (1.0f / 8388608.0f);
}

// out: (n); out[i] = float(low + (high - low) * u_i), the affine map in double without FMA
// contraction, as the host computes it.
__global__ void philox_uniform_kernel(float* __restrict__ out, long long n, unsigned long long seed,
                                      unsigned long long block, double low, double high) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long b = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; b * 4 < n;
       b += stride) {
    const PhiloxLanes bits = philox_block(seed, block + static_cast<unsigned long long>(b));
    for (int lane = 0; lane < 4 && 4 * b + lane < n; ++lane) {
      const double u = philox_uniform(bits.lane[lane]);
      out[4 * b + lane] = static_cast<float>(__dadd_rn(low, __dmul_rn(high - low, u)));
    }
  }
}

// out: (n); 1 where u_i < p, else 0.
__global__ void philox_bernoulli_kernel(float* __restrict__ out, long long n,
                                        unsigned long long seed, unsigned long long block,
                                        double p) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long b = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; b * 4 < n;
       b += stride) {
    const PhiloxLanes bits = philox_block(seed, block + static_cast<unsigned long long>(b));
    for (int lane = 0; lane < 4 && 4 * b + lane < n; ++lane) {
      out[4 * b + lane] = philox_uniform(bits.lane[lane]) < p ? 1.0f : 0.0f;
    }
  }
}

// out: (n) i64 in [low, low + range); the 32-bit multiply-shift of Generator::randint.
__global__ void philox_randint_kernel(long long* __restrict__ out, long long n,
                                      unsigned long long seed, unsigned long long block,
                                      long long low, unsigned long long range) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long b = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; b * 4 < n;
       b += stride) {
    const PhiloxLanes bits = philox_block(seed, block + static_cast<unsigned long long>(b));
    for (int lane = 0; lane < 4 && 4 * b + lane < n; ++lane) {
      out[4 * b + lane] = low + static_cast<long long>((bits.lane[lane] * range) >> 32);
    }
  }
}

}  // namespace LETHE_SIMT_TARGET
}  // namespace lethe::kernels
