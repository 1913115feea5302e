// The fused weighted mean squared error (the DSM loss) against the CPU backend, emulated and
// native: the loss and both gradients, with and without per-sample weights, against
// lethe::weighted_mse_loss on the CPU (sub, square, mul, mean, each checked by finite differences
// in test_ops_grad.cpp) and its autograd. Shapes: an MNIST batch, samples longer than one block's
// chunk (4096 values), odd sizes and a single value.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "lethe/core/error.h"
#include "lethe/core/tensor.h"
#include "lethe/cuda/squared_error.h"
#include "lethe/ops/ops.h"
#include "test_cuda_support.h"

namespace {

using lethe::Shape;
using lethe::Tensor;
using lethe::cuda::SquaredErrorGeometry;
using lethe::cuda::Target;
using lethe::cuda::testing::kParityTolerance;
using lethe::cuda::testing::normalised_mse;
using lethe::cuda::testing::random_values;
using lethe::cuda::testing::TargetBuffer;

template <Target target>
void check_squared_error() {
  std::mt19937 rng(91);
  const Shape shapes[] = {{4, 1, 28, 28}, {2, 3, 50, 50}, {3, 5}, {1, 1}};
  for (const Shape& shape : shapes) {
    for (bool weighted : {false, true}) {
      CAPTURE(lethe::shape_str(shape));
      CAPTURE(weighted);
      const int64_t samples = shape[0], count = lethe::shape_numel(shape);
      const auto prediction = random_values(count, rng), target_values = random_values(count, rng);
      const auto weights = random_values(samples, rng, 0.1f, 3.0f);
      const float upstream = 1.7f;
      Tensor p = Tensor::from_vector(prediction, shape),
             t = Tensor::from_vector(target_values, shape);
      p.set_requires_grad(true);
      t.set_requires_grad(true);
      const Tensor w = weighted ? Tensor::from_vector(weights, {samples}) : Tensor();
      const Tensor loss = lethe::weighted_mse_loss(p, t, w);
      loss.backward(Tensor::full({}, upstream));
      TargetBuffer<target> p_t(prediction), t_t(target_values), w_t(weights), loss_t(1),
          upstream_t(std::vector<float>{upstream}), grad_p_t(count), grad_t_t(count);
      const SquaredErrorGeometry g{samples, count / samples};
      const float* weights_target = weighted ? w_t.data() : nullptr;
      lethe::cuda::squared_error_forward<target>(g, p_t.data(), t_t.data(), weights_target,
                                                 loss_t.data());
      lethe::cuda::squared_error_backward<target>(g, p_t.data(), t_t.data(), weights_target,
                                                  upstream_t.data(), grad_p_t.data(),
                                                  grad_t_t.data());
      CHECK(normalised_mse(loss_t.download(), loss.to_float_vector()) <= kParityTolerance);
      CHECK(normalised_mse(grad_p_t.download(), p.grad().to_float_vector()) <= kParityTolerance);
      CHECK(normalised_mse(grad_t_t.download(), t.grad().to_float_vector()) <= kParityTolerance);
    }
  }
}

template <Target target>
void check_squared_error_limits() {
  TargetBuffer<target> values(std::vector<float>(4, 1.0f)), loss(1);
  const SquaredErrorGeometry too_many{70000, 1};
  CHECK_THROWS_WITH_AS(lethe::cuda::squared_error_forward<target>(
                           too_many, values.data(), values.data(), nullptr, loss.data()),
                       doctest::Contains("70000 samples"), lethe::Error);
}

}  // namespace

LETHE_CUDA_PARITY_TEST("weighted squared error (the DSM loss) forward and backward",
                       check_squared_error)
LETHE_CUDA_PARITY_TEST("weighted squared error refuses a grid it cannot launch",
                       check_squared_error_limits)
