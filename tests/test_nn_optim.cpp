// Modules, the parameter arena, optimisers, clipping and EMA against hand-computed values.
#include <doctest/doctest.h>

#include <cmath>

#include "lethe/core/autograd.h"
#include "lethe/nn/layers.h"
#include "lethe/optim/optimizers.h"

using namespace lethe;

namespace {

// Two named layers, so names nest: "first.weight", "first.bias", "second.weight", ...
class TwoLayers : public Module {
 public:
  explicit TwoLayers(Generator& init)
      : first(add_module("first", std::make_shared<Linear>(3, 4, init))),
        second(add_module("second", std::make_shared<Linear>(4, 2, init))) {}
  Tensor forward(const Tensor& x) const { return second.forward(silu(first.forward(x))); }
  Linear& first;
  Linear& second;
};

}  // namespace

TEST_CASE("modules name parameters as PyTorch state dicts and pack them into one arena") {
  Generator init(3);
  TwoLayers model(init);
  const NamedTensors named = model.named_parameters();
  REQUIRE(named.size() == 4);
  CHECK(named[0].first == "first.weight");
  CHECK(named[1].first == "first.bias");
  CHECK(named[2].first == "second.weight");
  CHECK(named[3].first == "second.bias");
  CHECK(model.parameter_count() == 3 * 4 + 4 + 4 * 2 + 2);

  const std::vector<float> before = model.first.weight.to_float_vector();
  ParameterArena arena = ParameterArena::pack(model);
  CHECK(arena.size() == model.parameter_count());
  CHECK(model.first.weight.to_float_vector() == before);  // values kept
  // Every parameter is a view into the arena, in order, and its gradient a view into the grads.
  CHECK(model.first.weight.raw_data() == arena.values.raw_data());
  CHECK(model.second.bias.data<float>() == arena.values.data<float>() + arena.size() - 2);
  CHECK(model.second.bias.grad().data<float>() == arena.grads.data<float>() + arena.size() - 2);

  // Backward accumulates into the gradient arena in place.
  Generator noise(4);
  const Tensor x = noise.normal({5, 3});
  sum(model.forward(x)).backward();
  double grad_norm = 0;
  for (float g : arena.grads.to_float_vector()) grad_norm += g * g;
  CHECK(grad_norm > 0);
  // The bias of the last layer gets d sum / d b = batch size for each output.
  CHECK(model.second.bias.grad().to_float_vector() == std::vector<float>{5.0f, 5.0f});
  arena.zero_grad();
  CHECK(model.second.bias.grad().to_float_vector() == std::vector<float>{0.0f, 0.0f});
}

TEST_CASE("load_state_dict copies matching tensors and names what does not match") {
  Generator init_a(1), init_b(2);
  TwoLayers a(init_a), b(init_b);
  b.load_state_dict(a.named_parameters());
  CHECK(b.first.weight.to_float_vector() == a.first.weight.to_float_vector());

  NamedTensors missing = a.named_parameters();
  missing.pop_back();
  CHECK_THROWS_WITH_AS(b.load_state_dict(missing), doctest::Contains("second.bias"), Error);

  NamedTensors extra = a.named_parameters();
  extra.emplace_back("third.weight", Tensor::zeros({1}));
  CHECK_THROWS_WITH_AS(b.load_state_dict(extra), doctest::Contains("third.weight"), Error);

  NamedTensors wrong_shape = a.named_parameters();
  wrong_shape[0].second = Tensor::zeros({4, 4});
  CHECK_THROWS_WITH_AS(b.load_state_dict(wrong_shape), doctest::Contains("(4, 3)"), Error);
}

TEST_CASE("layers: Linear, Conv2d, GroupNorm, Embedding shapes and PyTorch-style init bounds") {
  Generator init(5);
  Linear linear(16, 8, init);
  for (float w : linear.weight.to_float_vector()) CHECK(std::abs(w) <= 0.25f);
  Conv2d conv(4, 6, 3, init, 2, 1);
  const Tensor image = init.normal({2, 4, 9, 9});
  CHECK(conv.forward(image).shape() == Shape{2, 6, 5, 5});
  for (float w : conv.weight.to_float_vector()) CHECK(std::abs(w) <= 1.0f / 6.0f + 1e-7f);
  GroupNorm norm(2, 4, 1e-6);
  CHECK(norm.forward(image).shape() == image.shape());
  Embedding table(11, 7, init);
  CHECK(table.forward(Tensor::from_vector(std::vector<int64_t>{0, 10, 3}, {3})).shape() ==
        Shape{3, 7});
  Dropout drop(0.5);
  drop.train(false);
  Generator noise(6);
  CHECK(drop.forward(image, noise).raw_data() == image.raw_data());  // identity in eval mode
}

// A model with one parameter vector, to check update formulas element by element.
class Vector : public Module {
 public:
  explicit Vector(std::vector<float> values)
      : value(add_parameter("value", Tensor::from_vector(values, {int64_t(values.size())}))) {}
  Tensor& value;
};

TEST_CASE("Adam matches PyTorch's update formula, including beta1 = 0 and warm-up") {
  for (double beta1 : {0.9, 0.0}) {
    Vector model({1.0f, -2.0f});
    ParameterArena arena = ParameterArena::pack(model);
    Adam adam(arena, AdamConfig{0.1, beta1, 0.999, 1e-8, 4});
    double p0 = 1.0, m = 0, v = 0;
    const double grads[3] = {0.5, -0.25, 1.0};
    for (int step = 1; step <= 3; ++step) {
      arena.grads.fill(0);
      arena.grads.data<float>()[0] = static_cast<float>(grads[step - 1]);
      const double lr = 0.1 * std::min(1.0, step / 4.0);
      CHECK(adam.current_lr() == doctest::Approx(lr));
      adam.step();
      m = beta1 * m + (1 - beta1) * grads[step - 1];
      v = 0.999 * v + 0.001 * grads[step - 1] * grads[step - 1];
      const double m_hat = m / (1 - std::pow(beta1, step));
      const double v_hat = v / (1 - std::pow(0.999, step));
      p0 -= lr * m_hat / (std::sqrt(v_hat) + 1e-8);
      CHECK(arena.values.data<float>()[0] == doctest::Approx(p0).epsilon(1e-5));
      CHECK(arena.values.data<float>()[1] == -2.0f);  // zero gradient, zero moments: unchanged
    }
    CHECK(adam.steps() == 3);
  }
}

TEST_CASE("SGD with momentum follows v = mu v + g, p -= lr v") {
  Vector model({1.0f});
  ParameterArena arena = ParameterArena::pack(model);
  Sgd sgd(arena, 0.5, 0.9);
  arena.grads.data<float>()[0] = 1.0f;
  sgd.step();  // v = 1, p = 0.5
  CHECK(arena.values.data<float>()[0] == doctest::Approx(0.5));
  sgd.step();  // v = 1.9, p = 0.5 - 0.95
  CHECK(arena.values.data<float>()[0] == doctest::Approx(-0.45));
}

TEST_CASE("gradient clipping by global norm and by value") {
  Vector model({0.0f, 0.0f});
  ParameterArena arena = ParameterArena::pack(model);
  arena.grads.data<float>()[0] = 3.0f;
  arena.grads.data<float>()[1] = 4.0f;
  CHECK(clip_grad_norm(arena, 10.0) == doctest::Approx(5.0));
  CHECK(arena.grads.to_float_vector() == std::vector<float>{3.0f, 4.0f});  // under the limit
  CHECK(clip_grad_norm(arena, 1.0) == doctest::Approx(5.0));
  CHECK(arena.grads.data<float>()[0] == doctest::Approx(0.6));
  CHECK(arena.grads.data<float>()[1] == doctest::Approx(0.8));
  arena.grads.data<float>()[0] = -7.0f;
  clip_grad_value(arena, 0.7);
  CHECK(arena.grads.data<float>()[0] == doctest::Approx(-0.7));
  CHECK(arena.grads.data<float>()[1] == doctest::Approx(0.7));
}

TEST_CASE("EMA uses score_sde's warm-up decay min(rate, (1 + n) / (10 + n))") {
  Vector model({0.0f});
  ParameterArena arena = ParameterArena::pack(model);
  Ema ema(arena, 0.9);
  double shadow = 0;
  for (int n = 1; n <= 30; ++n) {
    arena.values.data<float>()[0] = static_cast<float>(n);
    ema.update();
    const double decay = std::min(0.9, (1.0 + n) / (10.0 + n));
    shadow = decay * shadow + (1 - decay) * n;
    CHECK(ema.shadow().data<float>()[0] == doctest::Approx(shadow).epsilon(1e-5));
  }
  ema.swap_into(arena);
  CHECK(arena.values.data<float>()[0] == doctest::Approx(shadow).epsilon(1e-5));
  CHECK(ema.shadow().data<float>()[0] == 30.0f);
}
