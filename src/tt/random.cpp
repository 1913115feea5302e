#include "lethe/tt/random.h"

#include "dispatch.h"
#include "lethe/cpu/random.h"
#include "lethe/cuda/random.h"

namespace lethe::tt {

void uniform_fill(Tensor& values, uint64_t seed, uint64_t first_block, double low, double high) {
  if (on_cuda(values)) {
    if constexpr (kCudaBuild) {
      cuda::philox_uniform<kNative>(values.data<float>(), values.numel(), seed, first_block, low,
                                    high);
    }
    return;
  }
  cpu::uniform_fill(values.data<float>(), values.numel(), seed, first_block, low, high);
}

void normal_fill(Tensor& values, uint64_t seed, uint64_t first_block) {
  LETHE_CHECK(!on_cuda(values), "normal draws are made on the host, got ", describe(values));
  cpu::normal_fill(values.data<float>(), values.numel(), seed, first_block);
}

void randint_fill(Tensor& values, uint64_t seed, uint64_t first_block, int64_t low, int64_t high) {
  if (on_cuda(values)) {
    if constexpr (kCudaBuild) {
      cuda::philox_randint<kNative>(values.data<int64_t>(), values.numel(), seed, first_block, low,
                                    high);
    }
    return;
  }
  cpu::randint_fill(values.data<int64_t>(), values.numel(), seed, first_block, low, high);
}

void bernoulli_fill(Tensor& values, uint64_t seed, uint64_t first_block, double p) {
  if (on_cuda(values)) {
    if constexpr (kCudaBuild) {
      cuda::philox_bernoulli<kNative>(values.data<float>(), values.numel(), seed, first_block, p);
    }
    return;
  }
  cpu::bernoulli_fill(values.data<float>(), values.numel(), seed, first_block, p);
}

}  // namespace lethe::tt
