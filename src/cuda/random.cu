#include "lethe/cuda/random.h"

#include <algorithm>

#include "kernels/random.cu"
#include "lethe/cuda/kernel_blocks.h"

namespace lethe::cuda {
namespace {

constexpr unsigned kBlockThreads = 256;
static_assert(block_threads_of("philox_uniform_kernel") == kBlockThreads);
static_assert(block_threads_of("philox_bernoulli_kernel") == kBlockThreads);
static_assert(block_threads_of("philox_randint_kernel") == kBlockThreads);
constexpr unsigned kMaxBlocks = 4096;  // grid-stride loops cover the rest

// One thread per counter block of four values.
unsigned grid_for(int64_t n) {
  return std::min(simt::blocks_for((n + 3) / 4, kBlockThreads), kMaxBlocks);
}

}  // namespace

template <>
void philox_uniform<simt::kTarget>(float* out, int64_t n, uint64_t seed, uint64_t block, double low,
                                   double high) {
  simt::launch(kernels::philox_uniform_kernel, grid_for(n), kBlockThreads, 0, out, n, seed, block,
               low, high);
}

template <>
void philox_bernoulli<simt::kTarget>(float* out, int64_t n, uint64_t seed, uint64_t block,
                                     double p) {
  simt::launch(kernels::philox_bernoulli_kernel, grid_for(n), kBlockThreads, 0, out, n, seed, block,
               p);
}

template <>
void philox_randint<simt::kTarget>(int64_t* out, int64_t n, uint64_t seed, uint64_t block,
                                   int64_t low, int64_t high) {
  static_assert(sizeof(long long) == sizeof(int64_t));
  simt::launch(kernels::philox_randint_kernel, grid_for(n), kBlockThreads, 0,
               reinterpret_cast<long long*>(out), n, seed, block, low,
               static_cast<uint64_t>(high - low));
}

}  // namespace lethe::cuda
