#include "lethe/tt/softmax.h"

#include "dispatch.h"
#include "lethe/cpu/softmax.h"
#include "lethe/cuda/softmax.h"

namespace lethe::tt {

void softmax_forward(const AxisGeometry& g, const Tensor& x, Tensor& y, bool log_space) {
  if (on_cuda(x)) {
    if constexpr (kCudaBuild) {
      cuda::softmax_forward<kNative>(g, x.data<float>(), y.data<float>(), log_space);
    }
    return;
  }
  dispatch_float("softmax", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::softmax_forward(g, x.data<T>(), y.data<T>(), log_space);
  });
}

void softmax_backward(const AxisGeometry& g, const Tensor& y, const Tensor& grad_y, Tensor& grad_x,
                      bool log_space) {
  if (on_cuda(y)) {
    if constexpr (kCudaBuild) {
      cuda::softmax_backward<kNative>(g, y.data<float>(), grad_y.data<float>(),
                                      grad_x.data<float>(), log_space);
    }
    return;
  }
  dispatch_float("softmax backward", y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::softmax_backward(g, y.data<T>(), grad_y.data<T>(), grad_x.data<T>(), log_space);
  });
}

}  // namespace lethe::tt
