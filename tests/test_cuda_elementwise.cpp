// Elementwise, broadcast and sum-reduction kernels against the CPU backend, emulated and native:
// every unary op forward and backward, binary ops with broadcasting (including the U-Net's
// (B, C, 1, 1) bias and scale shapes), fused bias + SiLU, and sum_to_shape.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "lethe/cpu/elementwise.h"
#include "lethe/cpu/reduce.h"
#include "lethe/cuda/elementwise.h"
#include "lethe/cuda/reduce.h"
#include "test_cuda_support.h"

namespace {

using lethe::BinaryOp;
using lethe::UnaryOp;

using lethe::Shape;
using lethe::shape_numel;
using lethe::cuda::Target;
using lethe::cuda::testing::kParityTolerance;
using lethe::cuda::testing::normalised_mse;
using lethe::cuda::testing::random_values;
using lethe::cuda::testing::TargetBuffer;

struct UnaryCase {
  UnaryOp op;
  float low, high;  // input range inside the op's domain
  float p0, p1;
};

const UnaryCase kUnaryCases[] = {
    {UnaryOp::neg, -3, 3, 0, 0},         {UnaryOp::exp, -3, 3, 0, 0},
    {UnaryOp::log, 0.1f, 3, 0, 0},       {UnaryOp::sqrt, 0.1f, 3, 0, 0},
    {UnaryOp::rsqrt, 0.1f, 3, 0, 0},     {UnaryOp::abs, -3, 3, 0, 0},
    {UnaryOp::square, -3, 3, 0, 0},      {UnaryOp::sigmoid, -6, 6, 0, 0},
    {UnaryOp::silu, -6, 6, 0, 0},        {UnaryOp::tanh, -3, 3, 0, 0},
    {UnaryOp::pow, 0.1f, 3, 1.7f, 0},    {UnaryOp::clamp, -3, 3, -1, 0.5f},
    {UnaryOp::add_scalar, -3, 3, 2, 0},  {UnaryOp::mul_scalar, -3, 3, -1.5f, 0},
    {UnaryOp::rsub_scalar, -3, 3, 2, 0}, {UnaryOp::rdiv_scalar, 0.5f, 3, 2, 0},
};

template <Target target>
void check_unary_ops() {
  std::mt19937 rng(11);
  for (const UnaryCase& c : kUnaryCases) {
    for (int64_t n : {1, 1000, 4099}) {
      CAPTURE(static_cast<int>(c.op));
      CAPTURE(n);
      const auto x = random_values(n, rng, c.low, c.high);
      const auto grad_y = random_values(n, rng);
      std::vector<float> y(n), grad_x(n);
      lethe::cpu::unary_forward<float>(c.op, x.data(), y.data(), n, c.p0, c.p1);
      lethe::cpu::unary_backward<float>(c.op, x.data(), y.data(), grad_y.data(), grad_x.data(), n,
                                        c.p0, c.p1);
      TargetBuffer<target> x_t(x), y_t(n), grad_y_t(grad_y), grad_x_t(n);
      lethe::cuda::unary_forward<target>(c.op, x_t.data(), y_t.data(), n, c.p0, c.p1);
      lethe::cuda::unary_backward<target>(c.op, x_t.data(), y_t.data(), grad_y_t.data(),
                                          grad_x_t.data(), n, c.p0, c.p1);
      CHECK(normalised_mse(y_t.download(), y) <= kParityTolerance);
      CHECK(normalised_mse(grad_x_t.download(), grad_x) <= kParityTolerance);
    }
  }
}

struct BroadcastCase {
  Shape a, b, out;
};

const BroadcastCase kBroadcastCases[] = {
    {{2, 64, 14, 14}, {2, 64, 14, 14}, {2, 64, 14, 14}},
    {{2, 64, 14, 14}, {2, 64, 1, 1}, {2, 64, 14, 14}},  // b along trailing axes: the fast path
    {{2, 64, 1, 1}, {2, 64, 14, 14}, {2, 64, 14, 14}},  // a along trailing axes
    {{3, 4, 1}, {3, 4, 5}, {3, 4, 5}},
    {{1, 32, 1, 1}, {2, 32, 7, 7}, {2, 32, 7, 7}},
    {{3, 1, 5}, {4, 1}, {3, 4, 5}},
    {{7}, {3, 1}, {3, 7}},
    {{2, 1, 3, 1, 5}, {1, 4, 1, 6, 1}, {2, 4, 3, 6, 5}},
};

template <Target target>
void check_binary_broadcast() {
  std::mt19937 rng(12);
  for (const BroadcastCase& c : kBroadcastCases) {
    for (BinaryOp op : {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div}) {
      CAPTURE(lethe::shape_str(c.out));
      CAPTURE(static_cast<int>(op));
      const auto a = random_values(shape_numel(c.a), rng);
      const auto b = random_values(shape_numel(c.b), rng, 0.5f, 2.0f);
      std::vector<float> out(shape_numel(c.out));
      lethe::cpu::binary_broadcast<float>(op, a.data(), c.a, b.data(), c.b, out.data(), c.out);
      TargetBuffer<target> a_t(a), b_t(b), out_t(out.size());
      lethe::cuda::binary_broadcast<target>(op, a_t.data(), c.a, b_t.data(), c.b, out_t.data(),
                                            c.out);
      CHECK(normalised_mse(out_t.download(), out) <= kParityTolerance);
    }
  }
}

// Planes whose size is a multiple of 4 run on float4 quads when both buffers are 16-byte aligned;
// the offset of one float forces the scalar loop on the same shapes.
template <Target target>
void check_bias_silu() {
  std::mt19937 rng(13);
  for (const Shape& shape :
       {Shape{2, 64, 14 * 14}, Shape{2, 3, 8}, Shape{3, 5, 7}, Shape{1, 1, 1}}) {
    for (int64_t offset : {0, 1}) {
      CAPTURE(lethe::shape_str(shape));
      CAPTURE(offset);
      const Shape bias_shape{1, shape[1], 1};
      const auto x = random_values(shape_numel(shape), rng, -4, 4);
      const auto bias = random_values(shape[1], rng);
      std::vector<float> shifted(x.size()), y(x.size());
      lethe::cpu::binary_broadcast<float>(BinaryOp::add, x.data(), shape, bias.data(), bias_shape,
                                          shifted.data(), shape);
      lethe::cpu::unary_forward<float>(UnaryOp::silu, shifted.data(), y.data(), y.size(), 0, 0);
      std::vector<float> x_padded(offset, 0.0f);
      x_padded.insert(x_padded.end(), x.begin(), x.end());
      TargetBuffer<target> x_t(x_padded), bias_t(bias), y_t(x_padded.size());
      lethe::cuda::bias_silu<target>(x_t.data() + offset, bias_t.data(), y_t.data() + offset,
                                     shape[0], shape[1], shape[2]);
      const std::vector<float> result = y_t.download();
      CHECK(normalised_mse({result.begin() + offset, result.end()}, y) <= kParityTolerance);
    }
  }
}

template <Target target>
void check_sum_to_shape() {
  std::mt19937 rng(14);
  const std::pair<Shape, Shape> cases[] = {
      {{2, 64, 14, 14}, {2, 64, 1, 1}},  // trailing axes: contiguous runs
      {{3, 4, 5}, {3, 1, 1}},           {{5, 7}, {5, 1}},    {{2, 64, 14, 14}, {1, 64, 1, 1}},
      {{2, 64, 14, 14}, {64, 1, 1}},    {{3, 4, 5}, {4, 1}}, {{3, 4, 5}, {1}},
      {{3, 4, 5}, {3, 4, 5}},           {{1000, 3}, {3}},    {{2, 3, 1, 5, 7}, {2, 1, 1, 5, 1}},
  };
  for (const auto& [in_shape, out_shape] : cases) {
    CAPTURE(lethe::shape_str(in_shape));
    CAPTURE(lethe::shape_str(out_shape));
    const auto in = random_values(shape_numel(in_shape), rng);
    std::vector<float> out(shape_numel(out_shape));
    lethe::cpu::sum_to_shape<float>(in.data(), in_shape, out.data(), out_shape);
    TargetBuffer<target> in_t(in), out_t(out.size());
    lethe::cuda::sum_to_shape<target>(in_t.data(), in_shape, out_t.data(), out_shape);
    CHECK(normalised_mse(out_t.download(), out) <= kParityTolerance);
  }
}

}  // namespace

LETHE_CUDA_PARITY_TEST("unary ops forward and backward", check_unary_ops)
LETHE_CUDA_PARITY_TEST("binary ops with broadcasting", check_binary_broadcast)
LETHE_CUDA_PARITY_TEST("fused bias + SiLU", check_bias_silu)
LETHE_CUDA_PARITY_TEST("sum_to_shape reduction", check_sum_to_shape)
