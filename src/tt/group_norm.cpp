#include "lethe/tt/group_norm.h"

#include "dispatch.h"
#include "lethe/cpu/group_norm.h"
#include "lethe/cuda/group_norm.h"

namespace lethe::tt {

void group_norm_forward(const GroupNormGeometry& g, const Tensor& x, const Tensor& weight,
                        const Tensor& bias, double eps, Tensor& y, Tensor& mean, Tensor& rstd,
                        bool then_silu) {
  if (on_cuda(x)) {
    if constexpr (kCudaBuild) {
      cuda::group_norm_forward<kNative>(g, x.data<float>(), optional_data<float>(weight),
                                        optional_data<float>(bias), eps, y.data<float>(),
                                        mean.data<float>(), rstd.data<float>(), then_silu);
    }
    return;
  }
  dispatch_float("group_norm", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::group_norm_forward(g, x.data<T>(), optional_data<T>(weight), optional_data<T>(bias), eps,
                            y.data<T>(), mean.data<T>(), rstd.data<T>(), then_silu);
  });
}

void group_norm_backward(const GroupNormGeometry& g, const Tensor& x, const Tensor& weight,
                         const Tensor& bias, const Tensor& mean, const Tensor& rstd,
                         const Tensor& grad_y, Tensor& grad_x, Tensor& grad_weight,
                         Tensor& grad_bias, bool then_silu) {
  if (on_cuda(x)) {
    if constexpr (kCudaBuild) {
      cuda::group_norm_backward<kNative>(
          g, x.data<float>(), optional_data<float>(weight), mean.data<float>(), rstd.data<float>(),
          grad_y.data<float>(), grad_x.data<float>(), optional_data<float>(grad_weight),
          optional_data<float>(grad_bias), then_silu, optional_data<float>(bias));
    }
    return;
  }
  dispatch_float("group_norm backward", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::group_norm_backward(g, x.data<T>(), optional_data<T>(weight), mean.data<T>(),
                             rstd.data<T>(), grad_y.data<T>(), grad_x.data<T>(),
                             optional_data<T>(grad_weight), optional_data<T>(grad_bias), then_silu,
                             optional_data<T>(bias));
  });
}

}  // namespace lethe::tt
