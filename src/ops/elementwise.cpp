// Elementwise ops with numpy broadcasting, and their VJPs.
#include <algorithm>
#include <cmath>

#include "lethe/core/profile.h"
#include "lethe/cpu/elementwise.h"
#include "lethe/cuda/elementwise.h"
#include "lethe/cuda/reduce.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"

namespace lethe {
namespace {

Shape broadcast_shape(const char* op, const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t ea = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t eb = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    LETHE_CHECK(ea == eb || ea == 1 || eb == 1, op, ": shapes ", shape_str(a), " and ",
                shape_str(b), " do not broadcast");
    out[i] = ea == 1 ? eb : ea;
  }
  return out;
}

Tensor binary_kernel(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  check_float(name, a, "left operand");
  check_float(name, b, "right operand");
  check_compatible(name, a, b);
  const Shape out_shape = broadcast_shape(name, a.shape(), b.shape());
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  const profile::Scope scope(name, "forward", out_shape, 0,
                             static_cast<double>(a.nbytes() + b.nbytes() + out.nbytes()),
                             b.shape());
  if (on_cuda(a)) {
    if constexpr (kCudaBuild) {
      cuda::binary_broadcast<kNative>(op, a.data<float>(), a.shape(), b.data<float>(), b.shape(),
                                      out.data<float>(), out_shape);
    }
    return out;
  }
  dispatch_float(name, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::binary_broadcast(op, a.data<T>(), a.shape(), b.data<T>(), b.shape(), out.data<T>(),
                          out_shape);
  });
  return out;
}

Tensor unary_kernel(UnaryOp op, const char* name, const Tensor& a, double p0 = 0, double p1 = 0) {
  check_float(name, a, "input");
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  const profile::Scope scope(name, "forward", a.shape(), 0, 2.0 * a.nbytes());
  if (on_cuda(a)) {
    if constexpr (kCudaBuild) {
      cuda::unary_forward<kNative>(op, a.data<float>(), out.data<float>(), a.numel(),
                                   static_cast<float>(p0), static_cast<float>(p1));
    }
    return out;
  }
  dispatch_float(name, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::unary_forward(op, a.data<T>(), out.data<T>(), a.numel(), p0, p1);
  });
  return out;
}

Tensor unary(UnaryOp op, const char* name, const Tensor& a, double p0 = 0, double p1 = 0) {
  Tensor out = unary_kernel(op, name, a, p0, p1);
  if (!any_requires_grad({a})) return out;
  const Tensor output = out.detach();
  return record(out, name, {a}, [op, name, a, output, p0, p1](const Tensor& grad) {
    Tensor grad_input = Tensor::empty(a.shape(), a.dtype(), a.device());
    const profile::Scope scope(name, "backward", a.shape(), 0, 4.0 * a.nbytes());
    if (on_cuda(a)) {
      if constexpr (kCudaBuild) {
        cuda::unary_backward<kNative>(op, a.data<float>(), output.data<float>(), grad.data<float>(),
                                      grad_input.data<float>(), a.numel(), static_cast<float>(p0),
                                      static_cast<float>(p1));
      }
      return std::vector<Tensor>{grad_input};
    }
    dispatch_float(name, a.dtype(), [&](auto tag) {
      using T = decltype(tag);
      cpu::unary_backward(op, a.data<T>(), output.data<T>(), grad.data<T>(), grad_input.data<T>(),
                          a.numel(), p0, p1);
    });
    return std::vector<Tensor>{grad_input};
  });
}

}  // namespace

Tensor sum_to(const Tensor& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  check_float("sum_to", a, "input");
  broadcast_shape("sum_to", shape, a.shape());
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  const profile::Scope scope("sum_to", "forward", a.shape(), 0,
                             static_cast<double>(a.nbytes() + out.nbytes()), shape);
  if (on_cuda(a)) {
    if constexpr (kCudaBuild) {
      cuda::sum_to_shape<kNative>(a.data<float>(), a.shape(), out.data<float>(), shape);
    }
  } else {
    dispatch_float("sum_to", a.dtype(), [&](auto tag) {
      using T = decltype(tag);
      cpu::sum_to_shape(a.data<T>(), a.shape(), out.data<T>(), shape);
    });
  }
  const Shape input_shape = a.shape();
  return record(out, "sum_to", {a}, [input_shape](const Tensor& grad) {
    const Tensor ones = Tensor::full(input_shape, 1, grad.dtype(), grad.device());
    return std::vector<Tensor>{mul(grad, ones)};
  });
}

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
