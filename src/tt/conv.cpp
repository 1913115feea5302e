#include "lethe/tt/conv.h"

#include "dispatch.h"
#include "lethe/cpu/conv.h"
#include "lethe/cuda/kernel_selection.h"

namespace lethe::tt {

void conv2d_forward(const ConvGeometry& g, const Tensor& x, const Tensor& weight,
                    const Tensor& bias, Tensor& y) {
  if (on_cuda(x)) {
    if constexpr (kCudaBuild) {
      cuda::selected::conv2d_forward(g, x.data<float>(), weight.data<float>(),
                                     optional_data<float>(bias), y.data<float>());
    }
    return;
  }
  dispatch_float("conv2d", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::conv2d_forward(g, x.data<T>(), weight.data<T>(), optional_data<T>(bias), y.data<T>());
  });
}

void conv2d_backward_input(const ConvGeometry& g, const Tensor& grad_y, const Tensor& weight,
                           Tensor& grad_x) {
  if (on_cuda(grad_y)) {
    if constexpr (kCudaBuild) {
      cuda::selected::conv2d_backward_input(g, grad_y.data<float>(), weight.data<float>(),
                                            grad_x.data<float>());
    }
    return;
  }
  dispatch_float("conv2d backward", grad_y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::conv2d_backward_input(g, grad_y.data<T>(), weight.data<T>(), grad_x.data<T>());
  });
}

void conv2d_backward_weight(const ConvGeometry& g, const Tensor& grad_y, const Tensor& x,
                            Tensor& grad_weight, Tensor& grad_bias) {
  if (on_cuda(grad_y)) {
    if constexpr (kCudaBuild) {
      cuda::selected::conv2d_backward_weight(g, grad_y.data<float>(), x.data<float>(),
                                             grad_weight.data<float>(),
                                             optional_data<float>(grad_bias));
    }
    return;
  }
  dispatch_float("conv2d backward", grad_y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::conv2d_backward_weight(g, grad_y.data<T>(), x.data<T>(), grad_weight.data<T>(),
                                optional_data<T>(grad_bias));
  });
}

}  // namespace lethe::tt
