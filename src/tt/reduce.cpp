#include "lethe/tt/reduce.h"

#include "dispatch.h"
#include "lethe/cpu/reduce.h"
#include "lethe/cuda/reduce.h"

namespace lethe::tt {

void sum_to_shape(const Tensor& x, Tensor& out) {
  if (on_cuda(x)) {
    if constexpr (kCudaBuild) {
      cuda::sum_to_shape<kNative>(x.data<float>(), x.shape(), out.data<float>(), out.shape());
    }
    return;
  }
  dispatch_float("sum_to", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::sum_to_shape(x.data<T>(), x.shape(), out.data<T>(), out.shape());
  });
}

}  // namespace lethe::tt
