#include "lethe/tt/elementwise.h"

#include "dispatch.h"
#include "lethe/cpu/elementwise.h"
#include "lethe/cuda/elementwise.h"

namespace lethe::tt {

void unary_forward(UnaryOp op, const Tensor& x, Tensor& out, double p0, double p1) {
  if (on_cuda(x)) {
    if constexpr (kCudaBuild) {
      cuda::unary_forward<kNative>(op, x.data<float>(), out.data<float>(), x.numel(),
                                   static_cast<float>(p0), static_cast<float>(p1));
    }
    return;
  }
  dispatch_float("unary op", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::unary_forward(op, x.data<T>(), out.data<T>(), x.numel(), p0, p1);
  });
}

void unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& grad_y,
                    Tensor& grad_x, double p0, double p1) {
  if (on_cuda(x)) {
    if constexpr (kCudaBuild) {
      cuda::unary_backward<kNative>(op, x.data<float>(), y.data<float>(), grad_y.data<float>(),
                                    grad_x.data<float>(), x.numel(), static_cast<float>(p0),
                                    static_cast<float>(p1));
    }
    return;
  }
  dispatch_float("unary op backward", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::unary_backward(op, x.data<T>(), y.data<T>(), grad_y.data<T>(), grad_x.data<T>(), x.numel(),
                        p0, p1);
  });
}

void binary_broadcast(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  if (on_cuda(a)) {
    if constexpr (kCudaBuild) {
      cuda::binary_broadcast<kNative>(op, a.data<float>(), a.shape(), b.data<float>(), b.shape(),
                                      out.data<float>(), out.shape());
    }
    return;
  }
  dispatch_float("binary op", a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::binary_broadcast(op, a.data<T>(), a.shape(), b.data<T>(), b.shape(), out.data<T>(),
                          out.shape());
  });
}

void add_inplace(Tensor& accumulator, const Tensor& increment) {
  if (on_cuda(accumulator)) {
    if constexpr (kCudaBuild) {
      float* sum = accumulator.data<float>();
      cuda::binary_broadcast<kNative>(BinaryOp::add, sum, accumulator.shape(),
                                      increment.data<float>(), increment.shape(), sum,
                                      accumulator.shape());
    }
    return;
  }
  dispatch_float("add_inplace", accumulator.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::add_inplace(accumulator.data<T>(), increment.data<T>(), accumulator.numel());
  });
}

}  // namespace lethe::tt
