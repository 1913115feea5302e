// Philox draws in a kernel against lethe::Generator's host draws, emulated and native: uniform
// (with an affine range), Bernoulli and randint are equal bit for bit for any length, seed and
// offset, including lengths that end inside a counter block.
#include <doctest/doctest.h>

#include <vector>

#include "lethe/cuda/random.h"
#include "lethe/ops/random.h"
#include "test_cuda_support.h"

namespace {

using lethe::Generator;
using lethe::cuda::Target;
using lethe::cuda::testing::TargetBuffer;

struct Stream {
  uint64_t seed, offset;
  int64_t n;
};
const Stream kStreams[] = {{0, 0, 1}, {7, 3, 6}, {1234, 77, 4099}, {0xFFFFFFFF12345ull, 1, 64}};

template <Target target>
void check_philox_draws() {
  for (const Stream& s : kStreams) {
    CAPTURE(s.seed);
    CAPTURE(s.n);
    Generator host(s.seed, s.offset);
    const std::vector<float> uniform = host.uniform({s.n}, -2, 3).to_float_vector();
    const std::vector<float> bernoulli = host.bernoulli({s.n}, 0.3).to_float_vector();
    const lethe::Tensor ints = host.randint({s.n}, -5, 11);
    const std::vector<int64_t> randint(ints.data<int64_t>(), ints.data<int64_t>() + s.n);

    const uint64_t blocks = static_cast<uint64_t>((s.n + 3) / 4);
    TargetBuffer<target> uniform_t(s.n), bernoulli_t(s.n);
    TargetBuffer<target, int64_t> randint_t(s.n);
    lethe::cuda::philox_uniform<target>(uniform_t.data(), s.n, s.seed, s.offset, -2, 3);
    lethe::cuda::philox_bernoulli<target>(bernoulli_t.data(), s.n, s.seed, s.offset + blocks, 0.3);
    lethe::cuda::philox_randint<target>(randint_t.data(), s.n, s.seed, s.offset + 2 * blocks, -5,
                                        11);
    CHECK(uniform_t.download() == uniform);
    CHECK(bernoulli_t.download() == bernoulli);
    CHECK(randint_t.download() == randint);
  }
}

}  // namespace

LETHE_CUDA_PARITY_TEST("philox uniform, bernoulli and randint equal the host stream",
                       check_philox_draws)
