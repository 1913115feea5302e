#include "lethe/tt/dropout.h"

#include "dispatch.h"
#include "lethe/cpu/random.h"
#include "lethe/cuda/elementwise.h"
#include "lethe/cuda/random.h"

namespace lethe::tt {

void dropout_forward(const Tensor& x, double keep, uint64_t seed, uint64_t first_block, Tensor& y,
                     Tensor& scaled_mask) {
  const double scale = 1 / keep;
  if (on_cuda(x)) {
    if constexpr (kCudaBuild) {
      float* mask = scaled_mask.data<float>();
      cuda::philox_bernoulli<kNative>(mask, x.numel(), seed, first_block, keep);
      cuda::unary_forward<kNative>(UnaryOp::mul_scalar, mask, mask, x.numel(),
                                   static_cast<float>(scale), 0.0f);
      cuda::binary_broadcast<kNative>(BinaryOp::mul, x.data<float>(), x.shape(), mask, x.shape(),
                                      y.data<float>(), x.shape());
    }
    return;
  }
  dispatch_float("dropout", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu::dropout_forward(x.data<T>(), y.data<T>(), scaled_mask.data<T>(), x.numel(), seed,
                         first_block, keep, static_cast<T>(scale));
  });
}

}  // namespace lethe::tt
