// Elementwise ops with numpy broadcasting, and their VJPs.
#include "lethe/ops/elementwise.h"

#include <algorithm>
#include <cmath>

#include "lethe/core/profile.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"
#include "lethe/tt/elementwise.h"

namespace lethe {
namespace {

Tensor binary_kernel(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  check_float(name, a, "left operand");
  check_float(name, b, "right operand");
  check_compatible(name, a, b);
  const Shape out_shape = broadcast_shape(name, a.shape(), b.shape());
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  const profile::Scope scope(name, "forward", out_shape, 0,
                             static_cast<double>(a.nbytes() + b.nbytes() + out.nbytes()),
                             b.shape());
  tt::binary_broadcast(op, a, b, out);
  return out;
}

Tensor unary_kernel(UnaryOp op, const char* name, const Tensor& a, double p0 = 0, double p1 = 0) {
  check_float(name, a, "input");
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  const profile::Scope scope(name, "forward", a.shape(), 0, 2.0 * a.nbytes());
  tt::unary_forward(op, a, out, p0, p1);
  return out;
}

Tensor unary(UnaryOp op, const char* name, const Tensor& a, double p0 = 0, double p1 = 0) {
  Tensor out = unary_kernel(op, name, a, p0, p1);
  if (!any_requires_grad({a})) return out;
  const Tensor output = out.detach();
  return record(out, name, {a}, [op, name, a, output, p0, p1](const Tensor& grad) {
    Tensor grad_input = Tensor::empty(a.shape(), a.dtype(), a.device());
    const profile::Scope scope(name, "backward", a.shape(), 0, 4.0 * a.nbytes());
    tt::unary_backward(op, a, output, grad, grad_input, p0, p1);
    return std::vector<Tensor>{grad_input};
  });
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(BinaryOp::add, "add", a, b);
  return record(out, "add", {a, b}, [a, b](const Tensor& grad) {
    return std::vector<Tensor>{sum_to(grad, a.shape()), sum_to(grad, b.shape())};
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(BinaryOp::sub, "sub", a, b);
  return record(out, "sub", {a, b}, [a, b](const Tensor& grad) {
    return std::vector<Tensor>{sum_to(grad, a.shape()), sum_to(neg(grad), b.shape())};
  });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(BinaryOp::mul, "mul", a, b);
  return record(out, "mul", {a, b}, [a, b](const Tensor& grad) {
    Tensor grad_a, grad_b;
    if (a.requires_grad()) grad_a = sum_to(mul(grad, b.detach()), a.shape());
    if (b.requires_grad()) grad_b = sum_to(mul(grad, a.detach()), b.shape());
    return std::vector<Tensor>{grad_a, grad_b};
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(BinaryOp::div, "div", a, b);
  const Tensor quotient = out.detach();
  return record(out, "div", {a, b}, [a, b, quotient](const Tensor& grad) {
    Tensor grad_a, grad_b;
    const Tensor grad_over_b = div(grad, b.detach());
    if (a.requires_grad()) grad_a = sum_to(grad_over_b, a.shape());
    if (b.requires_grad()) grad_b = sum_to(neg(mul(grad_over_b, quotient)), b.shape());
    return std::vector<Tensor>{grad_a, grad_b};
  });
}

Tensor add(const Tensor& a, double scalar) {
  return unary(UnaryOp::add_scalar, "add", a, scalar);
}
Tensor mul(const Tensor& a, double scalar) {
  return unary(UnaryOp::mul_scalar, "mul", a, scalar);
}
Tensor rsub(double scalar, const Tensor& a) {
  return unary(UnaryOp::rsub_scalar, "rsub", a, scalar);
}
Tensor rdiv(double scalar, const Tensor& a) {
  return unary(UnaryOp::rdiv_scalar, "rdiv", a, scalar);
}
Tensor neg(const Tensor& a) {
  return unary(UnaryOp::neg, "neg", a);
}
Tensor exp(const Tensor& a) {
  return unary(UnaryOp::exp, "exp", a);
}
Tensor log(const Tensor& a) {
  return unary(UnaryOp::log, "log", a);
}
Tensor sqrt(const Tensor& a) {
  return unary(UnaryOp::sqrt, "sqrt", a);
}
Tensor rsqrt(const Tensor& a) {
  return unary(UnaryOp::rsqrt, "rsqrt", a);
}
Tensor abs(const Tensor& a) {
  return unary(UnaryOp::abs, "abs", a);
}
Tensor square(const Tensor& a) {
  return unary(UnaryOp::square, "square", a);
}
Tensor sigmoid(const Tensor& a) {
  return unary(UnaryOp::sigmoid, "sigmoid", a);
}
Tensor silu(const Tensor& a) {
  return unary(UnaryOp::silu, "silu", a);
}
Tensor tanh(const Tensor& a) {
  return unary(UnaryOp::tanh, "tanh", a);
}
Tensor pow(const Tensor& a, double exponent) {
  return unary(UnaryOp::pow, "pow", a, exponent);
}

Tensor clamp(const Tensor& a, double low, double high) {
  LETHE_CHECK(low <= high, "clamp: low ", low, " exceeds high ", high);
  return unary(UnaryOp::clamp, "clamp", a, low, high);
}

Tensor minimum(const Tensor& a, double value) {
  return unary(UnaryOp::clamp, "minimum", a, -HUGE_VAL, value);
}

Tensor maximum(const Tensor& a, double value) {
  return unary(UnaryOp::clamp, "maximum", a, value, HUGE_VAL);
}

}  // namespace lethe
