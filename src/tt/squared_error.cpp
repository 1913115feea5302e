#include "lethe/tt/squared_error.h"

#include "dispatch.h"
#include "lethe/cuda/squared_error.h"

namespace lethe::tt {
namespace {

cuda::SquaredErrorGeometry squared_error_geometry(const Tensor& prediction) {
  return {prediction.dim(0), prediction.numel() / prediction.dim(0)};
}

}  // namespace

bool has_fused_squared_error(const Tensor& prediction) {
  return kCudaBuild && on_cuda(prediction) && prediction.rank() >= 1;
}

void squared_error_forward(const Tensor& prediction, const Tensor& target,
                           const Tensor& sample_weights, Tensor& loss) {
  LETHE_CHECK(has_fused_squared_error(prediction), "mse_loss: no fused kernel for ",
              describe(prediction));
  if constexpr (kCudaBuild) {
    cuda::squared_error_forward<kNative>(squared_error_geometry(prediction),
                                         prediction.data<float>(), target.data<float>(),
                                         optional_data<float>(sample_weights), loss.data<float>());
  }
}

void squared_error_backward(const Tensor& prediction, const Tensor& target,
                            const Tensor& sample_weights, const Tensor& grad_loss,
                            Tensor& grad_prediction, Tensor& grad_target) {
  LETHE_CHECK(has_fused_squared_error(prediction), "mse_loss backward: no fused kernel for ",
              describe(prediction));
  if constexpr (kCudaBuild) {
    cuda::squared_error_backward<kNative>(
        squared_error_geometry(prediction), prediction.data<float>(), target.data<float>(),
        optional_data<float>(sample_weights), grad_loss.data<float>(),
        optional_data<float>(grad_prediction), optional_data<float>(grad_target));
  }
}

}  // namespace lethe::tt
