// Rung 1 of the test ladder: every op in lethe/ops/ops.h against central finite differences in f64
// (tests/gradcheck.h, tolerance 1e-6), w.r.t. every differentiable input; then forward values of
// conv2d, group_norm, softmax, cross_entropy and matmul against naive references.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "gradcheck.h"
#include "lethe/core/autograd.h"
#include "lethe/core/tensor.h"
#include "lethe/cpu/conv.h"
#include "lethe/cpu/conv_direct.h"
#include "lethe/cpu/conv_weight_gradient.h"
#include "lethe/cpu/random.h"
#include "lethe/ops/ops.h"
#include "lethe/ops/random.h"

namespace {

using lethe::DType;
using lethe::Generator;
using lethe::Shape;
using lethe::Tensor;
using lethe::testing::check_gradients;
using lethe::testing::signed_leaf;
using lethe::testing::uniform_leaf;
using Inputs = std::vector<Tensor>;

std::string shapes_label(const char* op, const Shape& a, const Shape& b) {
  return std::string(op) + " " + lethe::shape_str(a) + " with " + lethe::shape_str(b);
}

Tensor int_tensor(const std::vector<int64_t>& values, const Shape& shape, DType dtype) {
  return Tensor::from_vector(values, shape).to(dtype);
}

// A constant f64 tensor (no gradient) from explicit values.
Tensor f64_values(const std::vector<double>& values, const Shape& shape) {
  return Tensor::from_vector(values, shape);
}

}  // namespace

TEST_CASE("gradcheck detects a wrong VJP and names the input and element") {
  // y = x * x with a VJP that is right everywhere except element 4 of x, the second input (the
  // first is a constant the checker must skip).
  const auto faulty_square = [](const Inputs& in) {
    const Tensor x = in[1];
    return lethe::record(lethe::square(x.detach()), "faulty_square", {x}, [x](const Tensor& grad) {
      Tensor grad_x = lethe::mul(grad, x.detach()) * 2.0;
      grad_x.data<double>()[4] += 0.5;
      return std::vector<Tensor>{grad_x};
    });
  };
  Generator generator(0);
  const Tensor constant = generator.uniform({2}, -1, 1, DType::f64);
  const Tensor x = uniform_leaf(generator, {2, 3});
  const lethe::testing::GradcheckResult result =
      lethe::testing::gradcheck(faulty_square, {constant, x});
  CHECK(result.failure.empty());
  CHECK(result.checked_elements == 6);
  CHECK(result.worst_input == 1);
  CHECK(result.worst_element == 4);
  CHECK(result.worst_index == "(1, 1)");
  CHECK(result.worst_analytic - result.worst_numeric == doctest::Approx(0.5).epsilon(1e-6));
  CHECK(result.max_error > 1e-6);
  CHECK(result.summary().find("input 1 element 4 (1, 1)") != std::string::npos);
}

TEST_CASE("gradcheck: add, sub, mul, div with broadcasting") {
  Generator generator(1);
  // Same shape; scalar-shaped operands; per-channel (B, C, 1, 1) against (B, C, H, W); rank
  // mismatch with trailing broadcast; both sides broadcasting.
  const std::vector<std::pair<Shape, Shape>> shape_pairs = {
      {{2, 3}, {2, 3}},
      {{}, {2, 3}},
      {{2, 3}, {}},
      {{2, 3, 1, 1}, {2, 3, 2, 3}},
      {{2, 3, 2, 3}, {2, 3, 1, 1}},
      {{2, 3, 4}, {4}},
      {{3, 4}, {2, 3, 4}},
      {{3, 1}, {1, 4}},
      {{2, 1, 4}, {3, 1}},
  };
  for (const auto& [shape_a, shape_b] : shape_pairs) {
    const Tensor a = uniform_leaf(generator, shape_a);
    const Tensor b = uniform_leaf(generator, shape_b);
    const Tensor divisor = signed_leaf(generator, shape_b, 0.5, 2.0);
    check_gradients(shapes_label("add", shape_a, shape_b),
                    [](const Inputs& x) { return lethe::add(x[0], x[1]); }, {a, b});
    check_gradients(shapes_label("sub", shape_a, shape_b),
                    [](const Inputs& x) { return lethe::sub(x[0], x[1]); }, {a, b});
    check_gradients(shapes_label("mul", shape_a, shape_b),
                    [](const Inputs& x) { return lethe::mul(x[0], x[1]); }, {a, b});
    check_gradients(shapes_label("div", shape_a, shape_b),
                    [](const Inputs& x) { return lethe::div(x[0], x[1]); }, {a, divisor});
  }
}

TEST_CASE("gradcheck: binary ops with one operand constant") {
  Generator generator(2);
  const Tensor a = uniform_leaf(generator, {2, 3});
  const Tensor constant = generator.uniform({3}, 0.5, 2.0, DType::f64);
  check_gradients("mul by a constant", [&](const Inputs& x) { return x[0] * constant; }, {a});
  check_gradients("constant divided", [&](const Inputs& x) { return constant / x[0]; },
                  {signed_leaf(generator, {2, 3}, 0.5, 2.0)});
  check_gradients("sub from a constant", [&](const Inputs& x) { return constant - x[0]; }, {a});
}

TEST_CASE("gradcheck: scalar ops and operators") {
  Generator generator(3);
  const Tensor a = uniform_leaf(generator, {2, 3});
  const Tensor b = uniform_leaf(generator, {3});
  const Tensor away_from_zero = signed_leaf(generator, {2, 3}, 0.5, 2.0);
  check_gradients("add scalar", [](const Inputs& x) { return lethe::add(x[0], 1.5); }, {a});
  check_gradients("mul scalar", [](const Inputs& x) { return lethe::mul(x[0], -2.5); }, {a});
  check_gradients("rsub", [](const Inputs& x) { return lethe::rsub(0.7, x[0]); }, {a});
  check_gradients("rdiv", [](const Inputs& x) { return lethe::rdiv(-1.3, x[0]); },
                  {away_from_zero});
  check_gradients("tensor + scalar", [](const Inputs& x) { return x[0] + 2.0; }, {a});
  check_gradients("tensor - scalar", [](const Inputs& x) { return x[0] - 2.0; }, {a});
  check_gradients("tensor * scalar", [](const Inputs& x) { return x[0] * 3.0; }, {a});
  check_gradients("tensor / scalar", [](const Inputs& x) { return x[0] / 4.0; }, {a});
  check_gradients("scalar + tensor", [](const Inputs& x) { return 2.0 + x[0]; }, {a});
  check_gradients("scalar - tensor", [](const Inputs& x) { return 2.0 - x[0]; }, {a});
  check_gradients("scalar * tensor", [](const Inputs& x) { return 3.0 * x[0]; }, {a});
  check_gradients("scalar / tensor", [](const Inputs& x) { return 4.0 / x[0]; }, {away_from_zero});
  check_gradients("unary minus", [](const Inputs& x) { return -x[0]; }, {a});
  check_gradients("tensor operators", [](const Inputs& x) { return (x[0] + x[1]) * x[0] - x[1]; },
                  {a, b});
  check_gradients("tensor division operator", [](const Inputs& x) { return x[1] / x[0]; },
                  {away_from_zero, b});
}

TEST_CASE("gradcheck: unary math ops") {
  Generator generator(4);
  const Shape shape = {3, 4};
  const Tensor any_sign = uniform_leaf(generator, shape, -2, 2);
  const Tensor positive = uniform_leaf(generator, shape, 0.5, 2.0);
  const Tensor away_from_zero = signed_leaf(generator, shape, 0.1, 2.0);
  const Tensor activation_range = uniform_leaf(generator, shape, -3, 3);
  check_gradients("neg", [](const Inputs& x) { return lethe::neg(x[0]); }, {any_sign});
  check_gradients("exp", [](const Inputs& x) { return lethe::exp(x[0]); }, {any_sign});
  check_gradients("log", [](const Inputs& x) { return lethe::log(x[0]); }, {positive});
  check_gradients("sqrt", [](const Inputs& x) { return lethe::sqrt(x[0]); }, {positive});
  check_gradients("rsqrt", [](const Inputs& x) { return lethe::rsqrt(x[0]); }, {positive});
  check_gradients("abs", [](const Inputs& x) { return lethe::abs(x[0]); }, {away_from_zero});
  check_gradients("square", [](const Inputs& x) { return lethe::square(x[0]); }, {any_sign});
  check_gradients("sigmoid", [](const Inputs& x) { return lethe::sigmoid(x[0]); },
                  {activation_range});
  check_gradients("silu", [](const Inputs& x) { return lethe::silu(x[0]); }, {activation_range});
  check_gradients("tanh", [](const Inputs& x) { return lethe::tanh(x[0]); }, {activation_range});
  for (double exponent : {2.0, 0.5, -1.5}) {
    check_gradients("pow " + std::to_string(exponent),
                    [exponent](const Inputs& x) { return lethe::pow(x[0], exponent); }, {positive});
  }
}

TEST_CASE("gradcheck: clamp, minimum, maximum away from the kinks") {
  // Every value is at least 0.05 from the bounds +-0.5, on both sides of them.
  const std::vector<double> values = {-1.7, -1.2, -0.62, -0.55, -0.3, -0.05,
                                      0.1,  0.45, 0.56,  0.8,   1.3,  1.9};
  const Tensor x = f64_values(values, {3, 4}).set_requires_grad(true);
  check_gradients("clamp", [](const Inputs& in) { return lethe::clamp(in[0], -0.5, 0.5); }, {x});
  check_gradients("minimum", [](const Inputs& in) { return lethe::minimum(in[0], 0.5); }, {x});
  check_gradients("maximum", [](const Inputs& in) { return lethe::maximum(in[0], -0.5); }, {x});

  const std::vector<double> clamped = lethe::clamp(x, -0.5, 0.5).to_double_vector();
  for (size_t i = 0; i < values.size(); ++i) {
    CHECK(clamped[i] == std::min(0.5, std::max(-0.5, values[i])));
  }
}

TEST_CASE("gradcheck: sum and mean over all elements and over axes") {
  Generator generator(5);
  const Tensor x = uniform_leaf(generator, {2, 3, 4});
  check_gradients("sum all", [](const Inputs& in) { return lethe::sum(in[0]); }, {x});
  check_gradients("mean all", [](const Inputs& in) { return lethe::mean(in[0]); }, {x});
  const std::vector<std::vector<int>> axis_sets = {{0}, {1}, {-1}, {0, 2}, {1, 2}, {0, 1, 2}};
  for (const std::vector<int>& axes : axis_sets) {
    for (bool keepdim : {false, true}) {
      std::string label = "axes {";
      for (int axis : axes) label += std::to_string(axis) + " ";
      label += keepdim ? "} keepdim" : "}";
      check_gradients("sum " + label,
                      [&](const Inputs& in) { return lethe::sum(in[0], axes, keepdim); }, {x});
      check_gradients("mean " + label,
                      [&](const Inputs& in) { return lethe::mean(in[0], axes, keepdim); }, {x});
    }
  }
  CHECK(lethe::sum(x, {1}, true).shape() == Shape{2, 1, 4});
  CHECK(lethe::sum(x, {1}, false).shape() == Shape{2, 4});
  CHECK(lethe::mean(x, {0, 2}, false).shape() == Shape{3});
  CHECK(lethe::sum(x).shape() == Shape{});
}

TEST_CASE("gradcheck: sum_to") {
  Generator generator(6);
  const Tensor x = uniform_leaf(generator, {2, 3, 4});
  const std::vector<Shape> targets = {{3, 1}, {1, 3, 4}, {2, 1, 4}, {4}, {1}, {}, {2, 3, 4}};
  for (const Shape& target : targets) {
    check_gradients("sum_to " + lethe::shape_str(target),
                    [&](const Inputs& in) { return lethe::sum_to(in[0], target); }, {x});
    CHECK(lethe::sum_to(x, target).shape() == target);
  }
}

TEST_CASE("gradcheck: matmul, all transpose combinations, batched") {
  Generator generator(7);
  const int64_t m = 3, k = 4, n = 2;
  // Stored shapes of a and b for (trans_a, trans_b), after the batch dims.
  auto a_shape = [&](const Shape& batch, bool trans_a) {
    Shape shape = batch;
    shape.push_back(trans_a ? k : m);
    shape.push_back(trans_a ? m : k);
    return shape;
  };
  auto b_shape = [&](const Shape& batch, bool trans_b) {
    Shape shape = batch;
    shape.push_back(trans_b ? n : k);
    shape.push_back(trans_b ? k : n);
    return shape;
  };
  struct BatchCase {
    const char* name;
    Shape a_batch, b_batch;
  };
  const std::vector<BatchCase> cases = {{"2-D", {}, {}},
                                        {"batched rank 3", {2}, {2}},
                                        {"batched rank 4", {2, 2}, {2, 2}},
                                        {"batched a with 2-D b", {3}, {}},
                                        {"rank-4 a with 2-D b", {2, 2}, {}}};
  for (const BatchCase& c : cases) {
    for (bool trans_a : {false, true}) {
      for (bool trans_b : {false, true}) {
        const Tensor a = uniform_leaf(generator, a_shape(c.a_batch, trans_a));
        const Tensor b = uniform_leaf(generator, b_shape(c.b_batch, trans_b));
        const std::string label =
            std::string("matmul ") + c.name + (trans_a ? " T" : " N") + (trans_b ? "T" : "N");
        check_gradients(
            label, [=](const Inputs& in) { return lethe::matmul(in[0], in[1], trans_a, trans_b); },
            {a, b});
      }
    }
  }
}

TEST_CASE("gradcheck: linear with and without bias") {
  Generator generator(8);
  const Tensor x = uniform_leaf(generator, {3, 4});
  const Tensor weight = uniform_leaf(generator, {5, 4});
  const Tensor bias = uniform_leaf(generator, {5});
  check_gradients("linear with bias",
                  [](const Inputs& in) { return lethe::linear(in[0], in[1], in[2]); },
                  {x, weight, bias});
  check_gradients("linear without bias",
                  [](const Inputs& in) { return lethe::linear(in[0], in[1], Tensor()); },
                  {x, weight});
}

TEST_CASE("gradcheck: conv2d") {
  struct ConvCase {
    const char* name;
    Shape x_shape, weight_shape;
    bool with_bias;
    int stride, padding;
  };
  const std::vector<ConvCase> cases = {
      {"3x3 pad 1 stride 1, batch 1", {1, 2, 5, 6}, {3, 2, 3, 3}, true, 1, 1},
      {"3x3 pad 1 stride 1, batch 3", {3, 2, 4, 5}, {2, 2, 3, 3}, true, 1, 1},
      {"3x3 stride 2 pad 1, odd size", {3, 2, 7, 5}, {2, 2, 3, 3}, true, 2, 1},
      {"3x3 stride 2 pad 1, even size", {1, 3, 6, 4}, {2, 3, 3, 3}, true, 2, 1},
      {"1x1", {3, 3, 4, 5}, {2, 3, 1, 1}, true, 1, 0},
      {"1x1 stride 2", {2, 3, 5, 5}, {2, 3, 1, 1}, true, 2, 0},
      {"5x3 kernel pad 2", {1, 2, 6, 5}, {2, 2, 5, 3}, true, 1, 2},
      {"5x5 pad 2, same size", {2, 2, 6, 5}, {2, 2, 5, 5}, true, 1, 2},
      {"3x3 pad 1 on a 1x2 image", {2, 1, 1, 2}, {2, 1, 3, 3}, true, 1, 1},
      {"3x3 no bias", {3, 2, 5, 5}, {2, 2, 3, 3}, false, 1, 1},
      {"3x3 no padding", {1, 2, 5, 7}, {3, 2, 3, 3}, true, 1, 0},
  };
  Generator generator(9);
  for (const ConvCase& c : cases) {
    const Tensor x = uniform_leaf(generator, c.x_shape);
    const Tensor weight = uniform_leaf(generator, c.weight_shape);
    Inputs inputs = {x, weight};
    if (c.with_bias) inputs.push_back(uniform_leaf(generator, {c.weight_shape[0]}));
    const int stride = c.stride, padding = c.padding;
    check_gradients(
        std::string("conv2d ") + c.name,
        [=](const Inputs& in) {
          return lethe::conv2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), stride, padding);
        },
        inputs);
  }
}

TEST_CASE("gradcheck: conv2d w.r.t. the input alone and the weight alone") {
  Generator generator(10);
  const Tensor x = uniform_leaf(generator, {2, 2, 5, 4});
  const Tensor weight = uniform_leaf(generator, {3, 2, 3, 3});
  const Tensor frozen_bias = generator.uniform({3}, -1, 1, DType::f64);
  const Tensor frozen_weight = weight.detach();
  const Tensor frozen_x = x.detach();
  check_gradients(
      "conv2d input only",
      [&](const Inputs& in) { return lethe::conv2d(in[0], frozen_weight, frozen_bias, 1, 1); },
      {x});
  check_gradients("conv2d weight only",
                  [&](const Inputs& in) { return lethe::conv2d(frozen_x, in[0], Tensor(), 2, 1); },
                  {weight});
}

TEST_CASE("gradcheck: upsample_nearest2x") {
  Generator generator(11);
  const Tensor x = uniform_leaf(generator, {2, 3, 3, 4});
  check_gradients("upsample_nearest2x",
                  [](const Inputs& in) { return lethe::upsample_nearest2x(in[0]); }, {x});
  const Tensor y = lethe::upsample_nearest2x(x);
  REQUIRE(y.shape() == Shape{2, 3, 6, 8});
  const std::vector<double> in_values = x.to_double_vector(), out_values = y.to_double_vector();
  for (int64_t plane = 0; plane < 6; ++plane) {
    for (int64_t row = 0; row < 6; ++row) {
      for (int64_t col = 0; col < 8; ++col) {
        CHECK(out_values[(plane * 6 + row) * 8 + col] ==
              in_values[(plane * 3 + row / 2) * 4 + col / 2]);
      }
    }
  }
}

TEST_CASE("gradcheck: concat, split and narrow along axes 0, 1 and -1") {
  Generator generator(12);
  struct AxisCase {
    int axis;
    Shape first, second, third;
  };
  const std::vector<AxisCase> cases = {{0, {2, 3, 4}, {1, 3, 4}, {3, 3, 4}},
                                       {1, {2, 3, 4}, {2, 2, 4}, {2, 1, 4}},
                                       {-1, {2, 3, 4}, {2, 3, 2}, {2, 3, 1}}};
  for (const AxisCase& c : cases) {
    const int axis = c.axis;
    const std::string suffix = " axis " + std::to_string(axis);
    const Tensor a = uniform_leaf(generator, c.first);
    const Tensor b = uniform_leaf(generator, c.second);
    const Tensor d = uniform_leaf(generator, c.third);
    check_gradients("concat of 2" + suffix,
                    [=](const Inputs& in) {
                      return lethe::concat({in[0], in[1]}, axis);
                    },
                    {a, b});
    check_gradients("concat of 3" + suffix,
                    [=](const Inputs& in) {
                      return lethe::concat({in[0], in[1], in[2]}, axis);
                    },
                    {a, b, d});

    const Tensor whole = uniform_leaf(generator, {4, 5, 6});
    const int64_t extent = whole.dim(axis);
    const std::vector<int64_t> sizes = {1, extent - 3, 2};
    for (size_t part = 0; part < sizes.size(); ++part) {
      check_gradients("split part " + std::to_string(part) + suffix,
                      [=](const Inputs& in) { return lethe::split(in[0], sizes, axis)[part]; },
                      {whole});
    }
    check_gradients("split then concat reversed" + suffix,
                    [=](const Inputs& in) {
                      const std::vector<Tensor> parts = lethe::split(in[0], sizes, axis);
                      return lethe::concat({parts[2] * 2.0, parts[1], parts[0] * -3.0}, axis);
                    },
                    {whole});
    check_gradients("narrow" + suffix,
                    [=](const Inputs& in) { return lethe::narrow(in[0], axis, 1, 2); }, {whole});
  }
}

TEST_CASE("gradcheck: group_norm") {
  Generator generator(13);
  struct NormCase {
    Shape shape;
    int groups;
  };
  const std::vector<NormCase> cases = {{{2, 4, 3, 3}, 1}, {{2, 4, 3, 3}, 2}, {{2, 4, 3, 3}, 4},
                                       {{2, 6, 5}, 1},    {{2, 6, 5}, 3},    {{2, 6, 5}, 6}};
  for (const NormCase& c : cases) {
    const int groups = c.groups;
    const std::string label =
        "group_norm " + lethe::shape_str(c.shape) + " groups " + std::to_string(groups);
    const Tensor x = uniform_leaf(generator, c.shape, -2, 2);
    const Tensor weight = uniform_leaf(generator, {c.shape[1]}, 0.5, 1.5);
    const Tensor bias = uniform_leaf(generator, {c.shape[1]});
    check_gradients(
        label + " affine",
        [=](const Inputs& in) { return lethe::group_norm(in[0], groups, in[1], in[2], 1e-5); },
        {x, weight, bias});
    check_gradients(label + " without affine",
                    [=](const Inputs& in) {
                      return lethe::group_norm(in[0], groups, Tensor(), Tensor(), 1e-5);
                    },
                    {x});
  }
}

TEST_CASE("gradcheck: group_norm_silu, and its forward equals silu(group_norm)") {
  Generator generator(14);
  for (const Shape& shape : {Shape{2, 4, 3, 3}, Shape{2, 6, 5}, Shape{1, 8, 7}}) {
    const int groups = 2;
    const std::string label = "group_norm_silu " + lethe::shape_str(shape);
    const Tensor x = uniform_leaf(generator, shape, -2, 2);
    const Tensor weight = uniform_leaf(generator, {shape[1]}, 0.5, 1.5);
    const Tensor bias = uniform_leaf(generator, {shape[1]});
    check_gradients(
        label + " affine",
        [=](const Inputs& in) { return lethe::group_norm_silu(in[0], groups, in[1], in[2], 1e-5); },
        {x, weight, bias});
    check_gradients(label + " without affine",
                    [=](const Inputs& in) {
                      return lethe::group_norm_silu(in[0], groups, Tensor(), Tensor(), 1e-5);
                    },
                    {x});
    const Tensor x32 = x.detach().to(lethe::DType::f32);
    const Tensor w32 = weight.detach().to(lethe::DType::f32);
    const Tensor b32 = bias.detach().to(lethe::DType::f32);
    const std::vector<double> fused =
        lethe::group_norm_silu(x32, groups, w32, b32, 1e-5).to_double_vector();
    const std::vector<double> composed =
        lethe::silu(lethe::group_norm(x32, groups, w32, b32, 1e-5)).to_double_vector();
    for (size_t i = 0; i < fused.size(); ++i) CHECK(fused[i] == doctest::Approx(composed[i]));
  }
}

TEST_CASE("gradcheck: softmax and log_softmax") {
  Generator generator(14);
  const Tensor x = uniform_leaf(generator, {3, 4, 5}, -2, 2);
  for (int axis : {0, 1, -1}) {
    check_gradients("softmax axis " + std::to_string(axis),
                    [axis](const Inputs& in) { return lethe::softmax(in[0], axis); }, {x});
    check_gradients("log_softmax axis " + std::to_string(axis),
                    [axis](const Inputs& in) { return lethe::log_softmax(in[0], axis); }, {x});
  }
}

TEST_CASE("gradcheck: attention over positions, and its shape errors") {
  Generator generator(15);
  const Tensor q = uniform_leaf(generator, {2, 3, 5}, -1, 1);
  const Tensor k = uniform_leaf(generator, {2, 3, 5}, -1, 1);
  const Tensor v = uniform_leaf(generator, {2, 3, 5}, -1, 1);
  check_gradients("attention",
                  [](const Inputs& in) { return lethe::attention(in[0], in[1], in[2]); },
                  {q, k, v});
  const Tensor short_key = uniform_leaf(generator, {2, 3, 4}, -1, 1);
  CHECK_THROWS_WITH_AS(lethe::attention(q, short_key, v),
                       doctest::Contains("must share one shape (B, C, N)"), lethe::Error);
}

TEST_CASE("gradcheck: embedding with repeated i64 and i32 indices") {
  Generator generator(15);
  const Tensor weight = uniform_leaf(generator, {5, 3});
  const std::vector<int64_t> index_values = {1, 3, 1, 0, 3, 3};
  for (DType index_dtype : {DType::i64, DType::i32}) {
    const Tensor indices = int_tensor(index_values, {2, 3}, index_dtype);
    const std::string label = std::string("embedding ") + lethe::dtype_name(index_dtype);
    check_gradients(label, [=](const Inputs& in) { return lethe::embedding(in[0], indices); },
                    {weight});
    const Tensor rows = lethe::embedding(weight, indices);
    REQUIRE(rows.shape() == Shape{2, 3, 3});
    const std::vector<double> table = weight.to_double_vector(), out = rows.to_double_vector();
    for (size_t i = 0; i < index_values.size(); ++i) {
      for (size_t col = 0; col < 3; ++col) {
        CHECK(out[i * 3 + col] == table[static_cast<size_t>(index_values[i]) * 3 + col]);
      }
    }
  }
}

TEST_CASE("gradcheck: dropout with a fixed generator seed") {
  Generator generator(16);
  const Tensor x = uniform_leaf(generator, {6, 7}, 0.5, 1.5);
  const double p = 0.3;
  const auto dropped = [p](const Inputs& in) {
    Generator mask_generator(77);
    return lethe::dropout(in[0], p, true, mask_generator);
  };
  check_gradients("dropout", dropped, {x});

  const std::vector<double> first = dropped({x}).to_double_vector();
  const std::vector<double> second = dropped({x}).to_double_vector();
  const std::vector<double> input = x.to_double_vector();
  CHECK(first == second);
  int dropped_count = 0;
  for (size_t i = 0; i < input.size(); ++i) {
    if (first[i] == 0) {
      ++dropped_count;
    } else {
      CHECK(first[i] == doctest::Approx(input[i] / (1 - p)).epsilon(1e-15));
    }
  }
  CHECK(dropped_count > 0);
  CHECK(dropped_count < static_cast<int>(input.size()));

  Generator unused(77);
  const Tensor evaluation = lethe::dropout(x, p, false, unused);
  CHECK(evaluation.to_double_vector() == input);
  CHECK(unused.offset() == 0);
}

TEST_CASE("dropout on the CPU: the values of bernoulli(1 - p) * x / (1 - p) from the same blocks") {
  // 3 * 5 * 67 * 71 values: several parallel chunks and a last partial Philox block. With
  // p = 0.5 - 2^-24 the keep probability is itself a uniform the stream can draw (never kept).
  for (const DType dtype : {DType::f32, DType::f64}) {
    for (const double p : {0.1, 0.5, 0.5 - std::ldexp(1.0, -24), 0.9}) {
      INFO("p ", p);
      Generator data(18);
      const Tensor x = data.normal({3, 5, 67, 71}, 0, 1, dtype);
      Generator fused_generator(5, 1000), reference_generator(5, 1000);
      const Tensor fused = lethe::dropout(x, p, true, fused_generator);
      const Tensor keep = reference_generator.bernoulli(x.shape(), 1 - p, dtype);
      const Tensor reference = lethe::mul(x, lethe::mul(keep, 1 / (1 - p)));
      CHECK(fused.to_double_vector() == reference.to_double_vector());
      CHECK(fused_generator.offset() == reference_generator.offset());
    }
  }
}

TEST_CASE("uniform_threshold: (bits >> 9) below it exactly when philox_uniform(bits) < keep") {
  const double tiny = std::ldexp(1.0, -24);  // half the spacing of the uniforms
  for (const double keep : {0.0, 1.0, 0.9, 0.5, 0.5 + tiny, 0.5 - tiny, 0.5 + tiny / 3, 1e-9,
                            1 - tiny, 0.7 + tiny / 7}) {
    const uint32_t threshold = lethe::cpu::uniform_threshold(keep);
    INFO("keep ", keep, " threshold ", threshold);
    // Every mantissa within 3 of the threshold (and the ends of the range).
    for (int64_t m = std::max<int64_t>(0, int64_t{threshold} - 3);
         m <= std::min<int64_t>((1 << 23) - 1, int64_t{threshold} + 3); ++m) {
      const float uniform = lethe::philox_uniform(static_cast<uint32_t>(m) << 9);
      CHECK((uniform < keep) == (static_cast<uint32_t>(m) < threshold));
    }
  }
}

TEST_CASE("gradcheck: mse_loss, weighted_mse_loss and their shape errors") {
  Generator generator(17);
  const Tensor prediction = uniform_leaf(generator, {3, 4});
  const Tensor target = uniform_leaf(generator, {3, 4});
  check_gradients("mse_loss", [](const Inputs& in) { return lethe::mse_loss(in[0], in[1]); },
                  {prediction, target});
  const Tensor weights = uniform_leaf(generator, {3}, 0.5, 2).detach();
  check_gradients(
      "weighted_mse_loss",
      [weights](const Inputs& in) { return lethe::weighted_mse_loss(in[0], in[1], weights); },
      {prediction, target});
  CHECK_THROWS_WITH_AS(lethe::weighted_mse_loss(prediction, target, weights.reshape({1, 3})),
                       doctest::Contains("must be (B)"), lethe::Error);
  CHECK_THROWS_WITH_AS(lethe::mse_loss(prediction, weights),
                       doctest::Contains("must have the same non-empty shape"), lethe::Error);
}

TEST_CASE("gradcheck: cross_entropy w.r.t. the logits") {
  Generator generator(18);
  const Tensor logits = uniform_leaf(generator, {4, 5}, -2, 2);
  for (DType label_dtype : {DType::i64, DType::i32}) {
    const Tensor labels = int_tensor({0, 3, 4, 3}, {4}, label_dtype);
    check_gradients(std::string("cross_entropy, ") + lethe::dtype_name(label_dtype) + " labels",
                    [=](const Inputs& in) { return lethe::cross_entropy(in[0], labels); },
                    {logits});
  }
}

TEST_CASE("gradcheck: stop_gradient blocks the gradient") {
  Generator generator(19);
  const Tensor x = uniform_leaf(generator, {2, 3});
  const Tensor y = uniform_leaf(generator, {2, 3});
  const Tensor stopped = lethe::stop_gradient(y);
  CHECK_FALSE(stopped.requires_grad());
  CHECK(stopped.grad_fn() == nullptr);

  lethe::sum(x * lethe::stop_gradient(y)).backward();
  CHECK_FALSE(y.grad().defined());
  REQUIRE(x.grad().defined());
  CHECK(x.grad().to_double_vector() == y.to_double_vector());

  const Tensor frozen_y = y.detach();
  check_gradients("x * stop_gradient(y)",
                  [=](const Inputs& in) { return in[0] * lethe::stop_gradient(frozen_y); }, {x});
}

TEST_CASE("gradcheck: Tensor::reshape and Tensor::slice_batch") {
  Generator generator(20);
  const Tensor x = uniform_leaf(generator, {4, 3});
  const Tensor row_weights = generator.uniform({2, 6}, -1, 1, DType::f64);
  check_gradients("reshape",
                  [&](const Inputs& in) {
                    return in[0].reshape({2, -1}) * row_weights;
                  },
                  {x});
  check_gradients("slice_batch", [](const Inputs& in) { return in[0].slice_batch(1, 3); }, {x});
  check_gradients("slice_batch of a reshape",
                  [](const Inputs& in) {
                    return lethe::exp(in[0].reshape({6, 2}).slice_batch(2, 5));
                  },
                  {x});

  Tensor(x).set_grad(Tensor());
  lethe::sum(x.slice_batch(1, 3)).backward();
  const std::vector<double> grad = x.grad().to_double_vector();
  for (size_t i = 0; i < grad.size(); ++i) CHECK(grad[i] == ((i / 3 == 1 || i / 3 == 2) ? 1 : 0));
}

// ---- forward values against naive references -----------------------------------------------

namespace {

struct ConvShape {
  int64_t batch, in_channels, out_channels, size, kernel;
  int stride, padding;
};

// Max over outputs of |conv2d - reference| / (sum of |x * w| over the receptive field + |bias|),
// the reference a plain 7-loop convolution accumulated in double.
double conv2d_error_vs_naive(const ConvShape& s, uint64_t seed) {
  Generator generator(seed);
  const double weight_scale =
      1.0 / std::sqrt(static_cast<double>(s.in_channels * s.kernel * s.kernel));
  const Tensor x = generator.normal({s.batch, s.in_channels, s.size, s.size});
  const Tensor weight = generator.uniform({s.out_channels, s.in_channels, s.kernel, s.kernel},
                                          -weight_scale, weight_scale);
  const Tensor bias = generator.uniform({s.out_channels}, -0.5, 0.5);
  const Tensor y = lethe::conv2d(x, weight, bias, s.stride, s.padding);
  const int64_t out_size = (s.size + 2 * s.padding - s.kernel) / s.stride + 1;
  REQUIRE(y.shape() == Shape{s.batch, s.out_channels, out_size, out_size});
  const std::vector<float> xv = x.to_float_vector(), wv = weight.to_float_vector();
  const std::vector<float> bv = bias.to_float_vector(), yv = y.to_float_vector();
  double max_error = 0;
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t co = 0; co < s.out_channels; ++co) {
      for (int64_t oy = 0; oy < out_size; ++oy) {
        for (int64_t ox = 0; ox < out_size; ++ox) {
          double total = bv[co], magnitude = std::abs(bv[co]);
          for (int64_t ci = 0; ci < s.in_channels; ++ci) {
            for (int64_t ky = 0; ky < s.kernel; ++ky) {
              for (int64_t kx = 0; kx < s.kernel; ++kx) {
                const int64_t iy = oy * s.stride - s.padding + ky;
                const int64_t ix = ox * s.stride - s.padding + kx;
                if (iy < 0 || iy >= s.size || ix < 0 || ix >= s.size) continue;
                const double term =
                    double(xv[((b * s.in_channels + ci) * s.size + iy) * s.size + ix]) *
                    wv[((co * s.in_channels + ci) * s.kernel + ky) * s.kernel + kx];
                total += term;
                magnitude += std::abs(term);
              }
            }
          }
          const double got = yv[((b * s.out_channels + co) * out_size + oy) * out_size + ox];
          max_error = std::max(max_error, std::abs(got - total) / magnitude);
        }
      }
    }
  }
  return max_error;
}

}  // namespace

TEST_CASE("conv2d forward f32 matches a naive double reference on U-Net shapes") {
  // Error relative to sum |x * w| (the condition of the sum): f32 accumulation over K <= 576
  // terms has a worst-case bound of K * 2^-24 ~ 3.4e-5 and a typical one of sqrt(K) * 2^-24
  // ~ 1.4e-6; 1e-5 allows blocked or FMA-reassociated sums and catches any indexing error.
  const std::vector<ConvShape> shapes = {
      {2, 32, 64, 14, 3, 1, 1},  // Cin 32 -> Cout 64 at 14x14, 3x3 pad 1
      {2, 64, 64, 14, 3, 2, 1},  // 64 -> 64, stride 2 downsampling
      {2, 96, 64, 14, 1, 1, 0},  // 1x1 skip projection 96 -> 64
      {2, 3, 8, 9, 5, 1, 2},     // odd size, 5x5 pad 2
      // the direct path (cpu/conv_direct.cpp): several image blocks, partial row panels, q = 2
      {9, 32, 32, 28, 3, 1, 1},
      {2, 16, 17, 48, 5, 1, 2},
      // the implicit path (cpu/conv_implicit.cpp)
      {11, 64, 64, 14, 3, 1, 1},
      {3, 64, 64, 7, 3, 1, 1},
      {2, 16, 17, 28, 5, 1, 2},
      {5, 32, 48, 28, 3, 2, 1},
      {4, 24, 20, 30, 3, 2, 1},
      {2, 16, 16, 60, 3, 3, 1},  // stride 3 (im2col): nine phases
      // conv_in and conv_out; at most 4 input or output channels (cpu/thin_conv.cpp on AVX-512),
      // odd sizes, partial blocks of 4 channels and of 6 vectors
      {3, 1, 32, 28, 3, 1, 1},
      {3, 32, 1, 28, 3, 1, 1},
      {2, 3, 5, 9, 3, 1, 1},
      {2, 6, 2, 11, 3, 1, 1},
      {2, 2, 9, 13, 3, 1, 1},
  };
  uint64_t seed = 100;
  for (const ConvShape& s : shapes) {
    for (const bool baseline : {false, true}) {  // the direct / implicit paths, then im2col
      lethe::cpu::set_im2col_baseline(baseline);
      const double error = conv2d_error_vs_naive(s, seed);
      INFO("Cin ", s.in_channels, " Cout ", s.out_channels, " size ", s.size, " kernel ", s.kernel,
           " stride ", s.stride, " im2col baseline ", baseline);
      CHECK(error <= 1e-5);
    }
    ++seed;
  }
  lethe::cpu::set_im2col_baseline(false);
}

TEST_CASE("conv2d weight and bias gradients in f32 match the f64 kernels on U-Net shapes") {
  // Error per entry relative to the sum of |grad_y * x| over its terms (the f64 kernels run on
  // |grad_y| and |x|): f32 sums of up to B * H * W = 7056 terms stay within 1e-5 of that, typical
  // sqrt(K) * 2^-24 ~ 5e-6; an indexing error is of order 1.
  struct Case {
    int64_t batch, in_channels, out_channels, size, kernel, stride, padding;
    bool implicit;  // the implicit GEMM of cpu/conv_weight_gradient.cpp applies
  };
  const std::vector<Case> cases = {
      // same size, and the phase-shiftable strides on sizes they divide: the implicit GEMM
      {9, 32, 32, 28, 3, 1, 1, true},  // several image blocks and chunks
      {3, 24, 20, 28, 3, 1, 1, true},  // KW * Cin = 72: a partial column panel; Cout % 8 != 0
      {2, 5, 7, 48, 5, 1, 2, true},    // 5x5 pad 2, odd channel counts
      {9, 64, 48, 14, 3, 1, 1, true},
      {13, 24, 16, 7, 3, 1, 1, true},  // runs of 7-pixel rows across images
      {5, 32, 32, 28, 3, 2, 1, true},  // the stride-2 downsample
      {4, 24, 20, 30, 3, 2, 1, true},  // stride 2, partial panels, odd output size
      {3, 16, 8, 12, 3, 3, 1, true},   // stride 3: three row phases
      // >= 16 input channels otherwise: the pixel-major im2col
      {3, 16, 8, 9, 3, 2, 1, false},   // stride 2 on an odd size
      {2, 16, 8, 11, 4, 3, 2, false},  // even kernel, stride 3
      {5, 3, 16, 7, 3, 1, 1, true},    // 3 input channels: KW * Cin = 9 columns
      // fewer channels otherwise: im2col + GEMM
      {5, 3, 16, 9, 3, 2, 1, false},
      // at most 4 input or 4 output channels (cpu/thin_conv.cpp on AVX-512): conv_in, conv_out,
      // odd sizes, channel counts that leave partial blocks of 2 and 3 planes or fill less than
      // one, and more than one block of 16 images
      {6, 1, 32, 28, 3, 1, 1, true},
      {6, 32, 1, 28, 3, 1, 1, true},
      {3, 4, 6, 11, 3, 1, 1, true},
      {19, 2, 7, 11, 3, 1, 1, true},
      {19, 7, 3, 9, 3, 1, 1, true},
      {3, 1, 3, 10, 3, 1, 1, true},
      {3, 1, 1, 9, 3, 1, 1, true},
      {3, 2, 1, 10, 3, 1, 1, true},
  };
  uint64_t seed = 200;
  for (const Case& c : cases) {
    const lethe::ConvGeometry g{c.batch,  c.in_channels, c.size,   c.size,   c.out_channels,
                                c.kernel, c.kernel,      c.stride, c.padding};
    INFO("Cin ", c.in_channels, " Cout ", c.out_channels, " size ", c.size, " kernel ", c.kernel,
         " stride ", c.stride);
    CHECK(lethe::cpu::implicit_weight_gradient_applies(g) == c.implicit);
    Generator generator(seed++);
    const Tensor x = generator.normal({c.batch, c.in_channels, c.size, c.size});
    const Tensor grad_y = generator.normal({c.batch, c.out_channels, g.out_h(), g.out_w()});
    std::vector<float> grad_weight(g.out_channels * g.patch()), grad_bias(g.out_channels);
    lethe::cpu::conv2d_backward_weight<float>(g, grad_y.data<float>(), x.data<float>(),
                                              grad_weight.data(), grad_bias.data());
    // The implicit GEMM also where the thin kernels take the shape over (it serves CPUs without
    // AVX-512 there); its bias is the dispatcher's.
    std::vector<float> implicit_weight;
    if (c.implicit) {
      implicit_weight.resize(grad_weight.size());
      lethe::cpu::implicit_conv2d_weight_gradient(g, grad_y.data<float>(), x.data<float>(),
                                                  implicit_weight.data());
      implicit_weight.insert(implicit_weight.end(), grad_bias.begin(), grad_bias.end());
    }
    const auto backward_f64 = [&](const Tensor& gy, const Tensor& input) {
      const Tensor gy64 = gy.to(DType::f64), input64 = input.to(DType::f64);
      std::vector<double> weight(g.out_channels * g.patch()), bias(g.out_channels);
      lethe::cpu::conv2d_backward_weight<double>(g, gy64.data<double>(), input64.data<double>(),
                                                 weight.data(), bias.data());
      weight.insert(weight.end(), bias.begin(), bias.end());
      return weight;
    };
    const std::vector<double> reference = backward_f64(grad_y, x);
    const std::vector<double> magnitude = backward_f64(lethe::abs(grad_y), lethe::abs(x));
    grad_weight.insert(grad_weight.end(), grad_bias.begin(), grad_bias.end());
    for (const std::vector<float>* result : {&grad_weight, &implicit_weight}) {
      if (result->empty()) continue;
      double max_error = 0;
      for (size_t i = 0; i < reference.size(); ++i) {
        max_error = std::max(max_error, std::abs((*result)[i] - reference[i]) / magnitude[i]);
      }
      const char* path = result == &grad_weight ? "dispatched" : "implicit GEMM";
      INFO(path);
      CHECK(max_error <= 1e-5);
    }
  }
}

TEST_CASE("conv2d input gradient in f32 matches the f64 kernels, direct and im2col paths") {
  // Error per entry relative to the sum of |grad_y * w| over its terms (the f64 kernels run on
  // |grad_y| and |w|): f32 sums of up to 9 * 64 terms stay within 1e-5 of that; an indexing error
  // is of order 1. The direct path (cpu/conv_direct.cpp) must apply where the case says so; the
  // strided ones on sizes their stride divides take the implicit path (cpu/conv_implicit.cpp).
  struct Case {
    int64_t batch, in_channels, out_channels, size, kernel, stride;
    bool direct;
  };
  const std::vector<Case> cases = {
      {9, 32, 32, 28, 3, 1, true},   {5, 32, 48, 28, 3, 2, false}, {4, 24, 20, 30, 3, 2, false},
      {11, 64, 64, 14, 3, 1, false}, {2, 16, 17, 48, 5, 1, true},  {3, 16, 8, 9, 3, 2, false},
      {5, 3, 16, 7, 3, 1, false},    {6, 64, 64, 7, 3, 1, false},  {2, 16, 16, 60, 3, 3, false},
      {7, 64, 64, 14, 3, 2, false},  {3, 16, 8, 11, 3, 2, false},  {4, 1, 32, 28, 3, 1, false},
      {4, 32, 1, 28, 3, 1, false},   {3, 9, 2, 13, 3, 1, false},
  };
  uint64_t seed = 300;
  for (const Case& c : cases) {
    const lethe::ConvGeometry g{c.batch,  c.in_channels,  c.size,
                                c.size,   c.out_channels, c.kernel,
                                c.kernel, c.stride,       (c.kernel - 1) / 2};
    INFO("Cin ", c.in_channels, " Cout ", c.out_channels, " size ", c.size, " kernel ", c.kernel,
         " stride ", c.stride);
    CHECK(lethe::cpu::direct_conv_applies(g) == c.direct);
    Generator generator(seed++);
    const Tensor weight = generator.normal({c.out_channels, c.in_channels, c.kernel, c.kernel});
    const Tensor grad_y = generator.normal({c.batch, c.out_channels, g.out_h(), g.out_w()});
    const auto backward_f64 = [&](const Tensor& gy, const Tensor& w) {
      const Tensor gy64 = gy.to(DType::f64), w64 = w.to(DType::f64);
      std::vector<double> grad_x(c.batch * c.in_channels * c.size * c.size);
      lethe::cpu::conv2d_backward_input<double>(g, gy64.data<double>(), w64.data<double>(),
                                                grad_x.data());
      return grad_x;
    };
    const std::vector<double> reference = backward_f64(grad_y, weight);
    const std::vector<double> magnitude = backward_f64(lethe::abs(grad_y), lethe::abs(weight));
    for (const bool baseline : {false, true}) {
      lethe::cpu::set_im2col_baseline(baseline);
      std::vector<float> grad_x(reference.size());
      lethe::cpu::conv2d_backward_input<float>(g, grad_y.data<float>(), weight.data<float>(),
                                               grad_x.data());
      double max_error = 0;
      for (size_t i = 0; i < reference.size(); ++i) {
        max_error = std::max(max_error, std::abs(grad_x[i] - reference[i]) / magnitude[i]);
      }
      INFO("im2col baseline: ", baseline);
      CHECK(max_error <= 1e-5);
    }
    lethe::cpu::set_im2col_baseline(false);
  }
}

TEST_CASE("group_norm forward: zero mean and unit variance per group without affine") {
  Generator generator(21);
  const int64_t batch = 2, channels = 64, spatial = 14 * 14;
  const int groups = 32;
  const Tensor x = generator.normal({batch, channels, 14, 14}, 1.5, 2.0);
  const double eps = 1e-5;
  const Tensor y = lethe::group_norm(x, groups, Tensor(), Tensor(), eps);
  const std::vector<double> values = y.to_double_vector();
  const int64_t group_size = channels / groups * spatial;
  for (int64_t g = 0; g < batch * groups; ++g) {
    double total = 0, total_squares = 0;
    for (int64_t i = 0; i < group_size; ++i) total += values[g * group_size + i];
    const double group_mean = total / group_size;
    for (int64_t i = 0; i < group_size; ++i) {
      total_squares += std::pow(values[g * group_size + i] - group_mean, 2);
    }
    // Variance of the output is var / (var + eps) ~ 1 - 2.5e-6 for var ~ 4; f32 rounding ~1e-6.
    CHECK(std::abs(group_mean) <= 1e-5);
    CHECK(std::abs(total_squares / group_size - 1) <= 1e-4);
  }

  const Tensor weight = generator.uniform({channels}, 0.5, 1.5);
  const Tensor bias = generator.uniform({channels}, -1, 1);
  const std::vector<double> affine =
      lethe::group_norm(x, groups, weight, bias, eps).to_double_vector();
  const std::vector<double> w = weight.to_double_vector(), b = bias.to_double_vector();
  double max_affine_error = 0;
  for (size_t i = 0; i < affine.size(); ++i) {
    const size_t channel = (i / spatial) % channels;
    max_affine_error =
        std::max(max_affine_error, std::abs(affine[i] - (values[i] * w[channel] + b[channel])));
  }
  CHECK(max_affine_error <= 1e-5);
}

TEST_CASE("softmax forward: rows positive and summing to 1; log_softmax is its log") {
  Generator generator(22);
  const Tensor x = generator.normal({3, 7, 5}, 0, 4);
  for (int axis : {0, 1, -1}) {
    const Tensor probabilities = lethe::softmax(x, axis);
    const Tensor sums = lethe::sum(probabilities, {axis});
    for (double total : sums.to_double_vector()) CHECK(std::abs(total - 1) <= 1e-6);
    const std::vector<double> p = probabilities.to_double_vector();
    const std::vector<double> log_p = lethe::log_softmax(x, axis).to_double_vector();
    for (size_t i = 0; i < p.size(); ++i) {
      CHECK(p[i] > 0);
      CHECK(std::abs(std::exp(log_p[i]) - p[i]) <= 1e-6);
    }
  }
  const Tensor large = Tensor::from_vector(std::vector<float>{1000, 1001, 1002}, {1, 3});
  const std::vector<double> stable = lethe::softmax(large).to_double_vector();
  const double denominator = 1 + std::exp(-1.0) + std::exp(-2.0);
  CHECK(stable[2] == doctest::Approx(1 / denominator).epsilon(1e-6));
  CHECK(stable[0] == doctest::Approx(std::exp(-2.0) / denominator).epsilon(1e-6));
}

TEST_CASE("cross_entropy forward and gradient match hand-computed values") {
  // Row 0: logits (1, 2, 3), label 2: -log(e^3 / (e + e^2 + e^3)) = log(1 + e^-1 + e^-2).
  // Row 1: logits (1, 1, 1), label 0: log 3. Loss: the mean, 0.7531091266...
  const Tensor logits =
      Tensor::from_vector(std::vector<double>{1, 2, 3, 1, 1, 1}, {2, 3}).set_requires_grad(true);
  const Tensor labels = Tensor::from_vector(std::vector<int64_t>{2, 0}, {2});
  const Tensor loss = lethe::cross_entropy(logits, labels);
  const double row0 = std::log(1 + std::exp(-1.0) + std::exp(-2.0));
  const double row1 = std::log(3.0);
  CHECK(loss.shape() == Shape{});
  CHECK(loss.item() == doctest::Approx((row0 + row1) / 2).epsilon(1e-14));
  CHECK(loss.item() == doctest::Approx(0.7531091266).epsilon(1e-9));

  loss.backward();
  // d loss / d logits = (softmax - one_hot) / B.
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  const std::vector<double> expected = {
      std::exp(1.0) / z / 2, std::exp(2.0) / z / 2, (std::exp(3.0) / z - 1) / 2,
      (1.0 / 3 - 1) / 2,     1.0 / 3 / 2,           1.0 / 3 / 2};
  const std::vector<double> grad = logits.grad().to_double_vector();
  for (size_t i = 0; i < expected.size(); ++i) {
    CHECK(grad[i] == doctest::Approx(expected[i]).epsilon(1e-12));
  }
}

TEST_CASE("matmul forward f32 matches a naive double reference") {
  // |error| <= 1e-5 * sum_k |a_ik b_kj|: K = 37 terms, worst case 37 * 2^-24 ~ 2.2e-6.
  Generator generator(23);
  const int64_t batch = 3, m = 5, k = 37, n = 6;
  for (bool trans_a : {false, true}) {
    for (bool trans_b : {false, true}) {
      const Tensor a = generator.uniform(trans_a ? Shape{batch, k, m} : Shape{batch, m, k}, -1, 1);
      const Tensor b = generator.uniform(trans_b ? Shape{batch, n, k} : Shape{batch, k, n}, -1, 1);
      const Tensor c = lethe::matmul(a, b, trans_a, trans_b);
      REQUIRE(c.shape() == Shape{batch, m, n});
      const std::vector<float> av = a.to_float_vector(), bv = b.to_float_vector();
      const std::vector<float> cv = c.to_float_vector();
      double max_error = 0;
      for (int64_t p = 0; p < batch; ++p) {
        for (int64_t i = 0; i < m; ++i) {
          for (int64_t j = 0; j < n; ++j) {
            double total = 0, magnitude = 0;
            for (int64_t q = 0; q < k; ++q) {
              const double a_iq = av[p * m * k + (trans_a ? q * m + i : i * k + q)];
              const double b_qj = bv[p * k * n + (trans_b ? j * k + q : q * n + j)];
              total += a_iq * b_qj;
              magnitude += std::abs(a_iq * b_qj);
            }
            const double got = cv[(p * m + i) * n + j];
            max_error = std::max(max_error, std::abs(got - total) / magnitude);
          }
        }
      }
      INFO("trans_a ", trans_a, " trans_b ", trans_b);
      CHECK(max_error <= 1e-5);
    }
  }
}
