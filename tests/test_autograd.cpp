// The autograd engine: accumulation into leaves, fan-out, graph release, NoGrad, seeds, gradient
// arenas and gradients w.r.t. inputs through frozen parameters.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "gradcheck.h"
#include "lethe/core/autograd.h"
#include "lethe/core/error.h"
#include "lethe/core/tensor.h"
#include "lethe/ops/ops.h"

namespace {

using lethe::DType;
using lethe::Tensor;

Tensor leaf(const std::vector<double>& values, const lethe::Shape& shape) {
  return Tensor::from_vector(values, shape).set_requires_grad(true);
}

}  // namespace

TEST_CASE("autograd: gradients accumulate into a leaf over two backward calls") {
  const Tensor x = leaf({1, -2, 3}, {3});
  lethe::sum(x * 2.0).backward();
  CHECK(x.grad().to_double_vector() == std::vector<double>{2, 2, 2});
  lethe::sum(lethe::square(x)).backward();  // adds 2x
  CHECK(x.grad().to_double_vector() == std::vector<double>{4, -2, 8});

  Tensor mutable_x = x;
  mutable_x.zero_grad();
  CHECK(x.grad().to_double_vector() == std::vector<double>{0, 0, 0});
  lethe::sum(x * 3.0).backward();
  CHECK(x.grad().to_double_vector() == std::vector<double>{3, 3, 3});
}

TEST_CASE("autograd: a tensor used twice receives the summed gradient") {
  const Tensor x = leaf({1.5, -2, 0.25}, {3});
  lethe::sum(x * x).backward();
  CHECK(x.grad().to_double_vector() == std::vector<double>{3, -4, 0.5});

  const Tensor y = leaf({2, 3}, {2});
  lethe::sum(y + y + y).backward();
  CHECK(y.grad().to_double_vector() == std::vector<double>{3, 3});
}

TEST_CASE("autograd: a gradient shared by two pending inputs is not accumulated in place") {
  // add's VJP hands the same gradient tensor to both operands; accumulating into one of them in
  // place must not change the other. out = (x + h) + h with h = 2w: dx = 1, dw = 4.
  const Tensor x = leaf({2, 3}, {2});
  const Tensor w = leaf({1, 1}, {2});
  const Tensor h = w * 2.0;
  lethe::sum((x + h) + h).backward();
  CHECK(x.grad().to_double_vector() == std::vector<double>{1, 1});
  CHECK(w.grad().to_double_vector() == std::vector<double>{4, 4});
}

TEST_CASE("autograd: a leaf's gradient never aliases the caller's seed") {
  const Tensor a = leaf({2, 3}, {2});
  const Tensor b = leaf({4, 5}, {2});
  const Tensor seed = Tensor::from_vector(std::vector<double>{1, 1}, {2});
  (a + b).backward(seed);
  CHECK(a.grad().raw_data() != seed.raw_data());
  (a * 1.0).backward(seed);
  CHECK(seed.to_double_vector() == std::vector<double>{1, 1});
  CHECK(a.grad().to_double_vector() == std::vector<double>{2, 2});
  CHECK(b.grad().to_double_vector() == std::vector<double>{1, 1});
}

TEST_CASE("autograd: a diamond graph sums both paths") {
  // h = tanh(x); out = sum(2h + h*h): d out / dx = (2 + 2h)(1 - h^2).
  const Tensor x = leaf({-0.7, 0.1, 1.2}, {3});
  const Tensor h = lethe::tanh(x);
  lethe::sum(h * 2.0 + h * h).backward();
  const std::vector<double> grad = x.grad().to_double_vector();
  const std::vector<double> xs = {-0.7, 0.1, 1.2};
  for (size_t i = 0; i < xs.size(); ++i) {
    const double t = std::tanh(xs[i]);
    CHECK(grad[i] == doctest::Approx((2 + 2 * t) * (1 - t * t)).epsilon(1e-14));
  }

  // Two branches with different ops meeting again: z = exp(x) * (3x) -> dz/dx = exp(x)(3 + 3x).
  const Tensor y = leaf({0.5, -1}, {2});
  lethe::sum(lethe::exp(y) * (y * 3.0)).backward();
  const std::vector<double> y_grad = y.grad().to_double_vector();
  CHECK(y_grad[0] == doctest::Approx(std::exp(0.5) * 4.5).epsilon(1e-14));
  CHECK(y_grad[1] == doctest::Approx(0.0).epsilon(1e-14));
}

TEST_CASE("autograd: the graph is freed after backward") {
  const Tensor x = leaf({1, 2}, {2});
  const Tensor product = x * x;
  const Tensor total = lethe::sum(product);
  REQUIRE(total.grad_fn() != nullptr);
  REQUIRE(product.grad_fn() != nullptr);
  const std::weak_ptr<lethe::Node> total_node = total.grad_fn();
  const std::weak_ptr<lethe::Node> product_node = product.grad_fn();
  total.backward();
  CHECK(total.grad_fn() == nullptr);
  CHECK(product.grad_fn() == nullptr);
  CHECK(total_node.expired());
  CHECK(product_node.expired());
  CHECK(x.grad().to_double_vector() == std::vector<double>{2, 4});
}

TEST_CASE("autograd: NoGrad stops recording and restores the previous mode") {
  const Tensor x = leaf({1, 2}, {2});
  CHECK(lethe::grad_mode_enabled());
  {
    lethe::NoGrad outer;
    CHECK_FALSE(lethe::grad_mode_enabled());
    const Tensor y = lethe::exp(x * 2.0);
    CHECK(y.grad_fn() == nullptr);
    CHECK_FALSE(y.requires_grad());
    CHECK_FALSE(lethe::any_requires_grad({x}));
    {
      lethe::NoGrad inner;
      CHECK_FALSE(lethe::grad_mode_enabled());
    }
    CHECK_FALSE(lethe::grad_mode_enabled());
    CHECK_THROWS_AS(lethe::sum(y).backward(), lethe::Error);
  }
  CHECK(lethe::grad_mode_enabled());
  const Tensor recorded = x * 2.0;
  CHECK(recorded.requires_grad());
  CHECK(recorded.grad_fn() != nullptr);
}

TEST_CASE("autograd: backward seeds") {
  const Tensor x = leaf({1, 2, 3, 4}, {2, 2});
  const Tensor y = x * 3.0;
  CHECK_THROWS_AS(y.backward(), lethe::Error);
  CHECK_THROWS_AS(y.backward(Tensor::ones({4}, DType::f64)), lethe::Error);
  CHECK_THROWS_AS(y.backward(Tensor::ones({2, 2}, DType::f32)), lethe::Error);

  const Tensor z = x * 3.0;
  z.backward(Tensor::from_vector(std::vector<double>{1, -1, 0.5, 2}, {2, 2}));
  CHECK(x.grad().to_double_vector() == std::vector<double>{3, -3, 1.5, 6});

  const Tensor constant = Tensor::ones({2});
  CHECK_THROWS_AS(lethe::sum(constant).backward(), lethe::Error);

  // A one-element, non-scalar output may use the default seed.
  const Tensor w = leaf({2}, {1, 1});
  (w * 5.0).backward();
  CHECK(w.grad().item() == 5);
}

TEST_CASE("autograd: a leaf with a gradient-arena view accumulates in place") {
  // Gradient arena: one flat buffer; the leaf's gradient is the view arena[2:8] as (2, 3).
  Tensor arena = Tensor::zeros({10}, DType::f64);
  const Tensor x = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor mutable_x = x;
  const Tensor grad_view = arena.slice_batch(2, 8).reshape({2, 3});
  mutable_x.set_grad(grad_view);
  const void* arena_address = static_cast<const char*>(arena.raw_data()) + 2 * sizeof(double);
  REQUIRE(x.grad().raw_data() == arena_address);

  lethe::sum(x * x).backward();  // 2x
  CHECK(x.grad().raw_data() == arena_address);
  CHECK(arena.to_double_vector() == std::vector<double>{0, 0, 2, 4, 6, 8, 10, 12, 0, 0});

  lethe::sum(x * 0.5).backward();  // + 0.5
  CHECK(x.grad().raw_data() == arena_address);
  CHECK(arena.to_double_vector() ==
        std::vector<double>{0, 0, 2.5, 4.5, 6.5, 8.5, 10.5, 12.5, 0, 0});

  mutable_x.zero_grad();
  CHECK(arena.to_double_vector() == std::vector<double>(10, 0.0));
  CHECK_THROWS_AS(mutable_x.set_grad(Tensor::zeros({3, 2}, DType::f64)), lethe::Error);
}

TEST_CASE("autograd: gradient w.r.t. an input flows through frozen parameters") {
  lethe::Generator generator(5);
  const Tensor weight = generator.uniform({3, 4}, -1, 1, DType::f64);
  const Tensor bias = generator.uniform({3}, -1, 1, DType::f64);
  const Tensor conv_weight = generator.uniform({2, 1, 3, 3}, -1, 1, DType::f64);
  REQUIRE_FALSE(weight.requires_grad());
  // A frozen network: linear -> tanh -> reshape to an image -> conv2d -> silu.
  const auto frozen_network = [=](const std::vector<Tensor>& in) {
    const Tensor hidden = lethe::tanh(lethe::linear(in[0], weight, bias));  // (2, 3)
    const Tensor image = lethe::concat({hidden, hidden * 0.5, hidden * -1.0}, 1);
    return lethe::silu(lethe::conv2d(image.reshape({2, 1, 3, 3}), conv_weight, Tensor(), 1, 1));
  };
  const Tensor input = lethe::testing::uniform_leaf(generator, {2, 4});
  lethe::testing::check_gradients("input through a frozen network", frozen_network, {input});

  Tensor(input).set_grad(Tensor());
  lethe::sum(frozen_network({input})).backward();
  CHECK(input.grad().defined());
  CHECK_FALSE(weight.grad().defined());
  CHECK_FALSE(bias.grad().defined());
  CHECK_FALSE(conv_weight.grad().defined());
}

TEST_CASE("autograd: a second backward through a freed graph is an error, as in PyTorch") {
  const Tensor x = leaf({1, 2}, {2});
  const Tensor y = lethe::sum(x * x);
  y.backward();
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("second time"), lethe::Error);
  const Tensor h = x * 3.0;
  lethe::sum(h).backward();
  CHECK_THROWS_WITH_AS(lethe::sum(h * 2.0).backward(), doctest::Contains("second time"),
                       lethe::Error);
}
