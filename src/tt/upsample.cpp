#include "lethe/tt/upsample.h"

#include "dispatch.h"
#include "lethe/cpu/upsample.h"
#include "lethe/cuda/upsample.h"

namespace lethe::tt {

void upsample_nearest2x_forward(const Tensor& x, Tensor& y) {
  const int64_t planes = x.dim(0) * x.dim(1), height = x.dim(2), width = x.dim(3);
  if (on_cuda(x)) {
    if constexpr (kCudaBuild) {
      cuda::upsample_nearest2x_forward<kNative>(x.data<float>(), y.data<float>(), planes, height,
                                                width);
    }
    return;
  }
  dispatch_float("upsample_nearest2x", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::upsample_nearest2x_forward(x.data<T>(), y.data<T>(), planes, height, width);
  });
}

void upsample_nearest2x_backward(const Tensor& grad_y, Tensor& grad_x) {
  const int64_t planes = grad_x.dim(0) * grad_x.dim(1), height = grad_x.dim(2),
                width = grad_x.dim(3);
  if (on_cuda(grad_y)) {
    if constexpr (kCudaBuild) {
      cuda::upsample_nearest2x_backward<kNative>(grad_y.data<float>(), grad_x.data<float>(), planes,
                                                 height, width);
    }
    return;
  }
  dispatch_float("upsample_nearest2x backward", grad_y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::upsample_nearest2x_backward(grad_y.data<T>(), grad_x.data<T>(), planes, height, width);
  });
}

}  // namespace lethe::tt
