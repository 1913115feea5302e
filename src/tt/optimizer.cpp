#include "lethe/tt/optimizer.h"

#include "dispatch.h"
#include "lethe/cpu/optimizer.h"
#include "lethe/cuda/optimizer.h"

namespace lethe::tt {

void adam_update(Tensor& params, const Tensor& grads, Tensor& m, Tensor& v, double lr, double beta1,
                 double beta2, double eps, int64_t step_number) {
  if (on_cuda(params)) {
    if constexpr (kCudaBuild) {
      cuda::adam_update<kNative>(params.data<float>(), grads.data<float>(), m.data<float>(),
                                 v.data<float>(), params.numel(), lr, beta1, beta2, eps,
                                 step_number);
    }
    return;
  }
  cpu::adam_update(params.data<float>(), grads.data<float>(), m.data<float>(), v.data<float>(),
                   params.numel(), lr, beta1, beta2, eps, step_number);
}

void sgd_update(Tensor& params, const Tensor& grads, Tensor& velocity, double lr, double momentum) {
  if (on_cuda(params)) {
    if constexpr (kCudaBuild) {
      cuda::sgd_update<kNative>(params.data<float>(), grads.data<float>(), velocity.data<float>(),
                                params.numel(), lr, momentum);
    }
    return;
  }
  cpu::sgd_update(params.data<float>(), grads.data<float>(), velocity.data<float>(), params.numel(),
                  lr, momentum);
}

double squared_norm(const Tensor& values) {
  if (on_cuda(values)) {
    if constexpr (kCudaBuild) {
      return cuda::squared_norm<kNative>(values.data<float>(), values.numel());
    }
  }
  return cpu::squared_norm(values.data<float>(), values.numel());
}

void scale(Tensor& values, float factor) {
  if (on_cuda(values)) {
    if constexpr (kCudaBuild) {
      cuda::scale<kNative>(values.data<float>(), values.numel(), factor);
    }
    return;
  }
  cpu::scale(values.data<float>(), values.numel(), factor);
}

void clamp_values(Tensor& values, float limit) {
  if (on_cuda(values)) {
    if constexpr (kCudaBuild) {
      cuda::clamp_values<kNative>(values.data<float>(), values.numel(), limit);
    }
    return;
  }
  cpu::clamp_values(values.data<float>(), values.numel(), limit);
}

void ema_update(Tensor& shadow, const Tensor& params, double decay) {
  if (on_cuda(shadow)) {
    if constexpr (kCudaBuild) {
      cuda::ema_update<kNative>(shadow.data<float>(), params.data<float>(), shadow.numel(), decay);
    }
    return;
  }
  cpu::ema_update(shadow.data<float>(), params.data<float>(), shadow.numel(), decay);
}

}  // namespace lethe::tt
