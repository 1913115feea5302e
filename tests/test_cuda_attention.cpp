// The fused attention kernels against the CPU backend, emulated and native: the forward's output
// and saved weights, and the three input gradients, against lethe::attention on the CPU (matmul,
// softmax, matmul, whose VJPs test_ops_grad.cpp checks by finite differences) and its autograd.
// Shapes: the U-Net's 7x7 attention (N = 49) at 64 channels, a single position, rows shorter than
// a warp, and rows spanning three lane strides (N = 70); large logits check the max shift.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "lethe/core/error.h"
#include "lethe/core/tensor.h"
#include "lethe/cuda/attention.h"
#include "lethe/ops/ops.h"
#include "test_cuda_support.h"

namespace {

using lethe::Tensor;
using lethe::cuda::AttentionGeometry;
using lethe::cuda::Target;
using lethe::cuda::testing::kParityTolerance;
using lethe::cuda::testing::normalised_mse;
using lethe::cuda::testing::random_values;
using lethe::cuda::testing::TargetBuffer;

struct AttentionCase {
  int64_t batch, channels, positions;
  float spread;  // inputs uniform in [-spread, spread]
};

// The CPU's answer: out, weights = softmax(q^T k / sqrt(C)) and the gradients of sum(out * seed).
struct CpuAttention {
  std::vector<float> out, weights, grad_q, grad_k, grad_v;
};

CpuAttention cpu_attention(const AttentionCase& c, const std::vector<float>& q,
                           const std::vector<float>& k, const std::vector<float>& v,
                           const std::vector<float>& seed) {
  const lethe::Shape shape{c.batch, c.channels, c.positions};
  Tensor q_t = Tensor::from_vector(q, shape), k_t = Tensor::from_vector(k, shape);
  Tensor v_t = Tensor::from_vector(v, shape);
  for (Tensor* t : {&q_t, &k_t, &v_t}) t->set_requires_grad(true);
  const Tensor out = lethe::attention(q_t, k_t, v_t);
  lethe::sum(out * Tensor::from_vector(seed, shape)).backward();
  const double scale = 1.0 / std::sqrt(static_cast<double>(c.channels));
  const Tensor weights =
      lethe::softmax(lethe::matmul(q_t.detach(), k_t.detach(), true, false) * scale);
  return {out.to_float_vector(), weights.to_float_vector(), q_t.grad().to_float_vector(),
          k_t.grad().to_float_vector(), v_t.grad().to_float_vector()};
}

template <Target target>
void check_attention() {
  std::mt19937 rng(81);
  const AttentionCase cases[] = {
      {2, 64, 49, 1.0f},  // the U-Net's 7x7 attention, shrunk in batch
      {1, 3, 1, 1.0f},   {3, 5, 9, 1.0f}, {2, 8, 70, 1.0f},
      {2, 4, 33, 30.0f},  // logits up to ~900: exp overflows without the max shift
  };
  for (const AttentionCase& c : cases) {
    CAPTURE(c.batch);
    CAPTURE(c.channels);
    CAPTURE(c.positions);
    CAPTURE(c.spread);
    const size_t count = c.batch * c.channels * c.positions;
    const auto q = random_values(count, rng, -c.spread, c.spread);
    const auto k = random_values(count, rng, -c.spread, c.spread);
    const auto v = random_values(count, rng);
    const auto seed = random_values(count, rng);
    const CpuAttention expected = cpu_attention(c, q, k, v, seed);
    const AttentionGeometry g{c.batch, c.channels, c.positions,
                              static_cast<float>(1.0 / std::sqrt(double(c.channels)))};
    TargetBuffer<target> q_t(q), k_t(k), v_t(v), seed_t(seed), out_t(count),
        weights_t(c.batch * c.positions * c.positions), grad_q_t(count), grad_k_t(count),
        grad_v_t(count);
    lethe::cuda::attention_forward<target>(g, q_t.data(), k_t.data(), v_t.data(), weights_t.data(),
                                           out_t.data());
    lethe::cuda::attention_backward<target>(g, q_t.data(), k_t.data(), v_t.data(), weights_t.data(),
                                            seed_t.data(), grad_q_t.data(), grad_k_t.data(),
                                            grad_v_t.data());
    CHECK(normalised_mse(out_t.download(), expected.out) <= kParityTolerance);
    CHECK(normalised_mse(weights_t.download(), expected.weights) <= kParityTolerance);
    CHECK(normalised_mse(grad_q_t.download(), expected.grad_q) <= kParityTolerance);
    CHECK(normalised_mse(grad_k_t.download(), expected.grad_k) <= kParityTolerance);
    CHECK(normalised_mse(grad_v_t.download(), expected.grad_v) <= kParityTolerance);
  }
}

template <Target target>
void check_attention_limits() {
  const std::vector<float> one(2 * 2 * 600, 0.5f);
  TargetBuffer<target> q(one), out(one.size()), weights(2 * 600 * 600);
  const AttentionGeometry too_long{2, 2, 600, 1.0f};
  CHECK_THROWS_WITH_AS(lethe::cuda::attention_forward<target>(too_long, q.data(), q.data(),
                                                              q.data(), weights.data(), out.data()),
                       doctest::Contains("600 positions"), lethe::Error);
}

}  // namespace

LETHE_CUDA_PARITY_TEST("fused attention forward and backward", check_attention)
LETHE_CUDA_PARITY_TEST("fused attention refuses more positions than it holds",
                       check_attention_limits)
