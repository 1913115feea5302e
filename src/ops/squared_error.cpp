// mse_loss and its per-sample weighted form (the DSM loss): on cuda the fused reduction of
// kernels/squared_error.cu with its own VJP; elsewhere sub, square, mul and mean, whose VJPs
// autograd chains.
#include "lethe/ops/squared_error.h"

#include "lethe/core/profile.h"
#include "lethe/ops/internal.h"
#include "lethe/ops/ops.h"
#include "lethe/tt/squared_error.h"

namespace lethe {
namespace {

Tensor fused_squared_error(const Tensor& prediction, const Tensor& target,
                           const Tensor& sample_weights) {
  Tensor loss = Tensor::empty({}, prediction.dtype(), prediction.device());
  {
    const profile::Scope scope("mse_loss", "forward", prediction.shape(), 3.0 * prediction.numel(),
                               2.0 * prediction.nbytes());
    tt::squared_error_forward(prediction, target, sample_weights, loss);
  }
  const Tensor P = prediction.detach(), T = target.detach();
  const bool grad_prediction = prediction.requires_grad(), grad_target = target.requires_grad();
  return record(loss, "mse_loss", {prediction, target}, [=](const Tensor& grad) {
    Tensor grad_p, grad_t;
    if (grad_prediction) grad_p = Tensor::empty(P.shape(), P.dtype(), P.device());
    if (grad_target) grad_t = Tensor::empty(P.shape(), P.dtype(), P.device());
    const profile::Scope scope("mse_loss", "backward", P.shape(), 3.0 * P.numel(),
                               4.0 * P.nbytes());
    tt::squared_error_backward(P, T, sample_weights, grad, grad_p, grad_t);
    return std::vector<Tensor>{grad_p, grad_t};
  });
}

Tensor squared_error_loss(const char* name, const Tensor& prediction, const Tensor& target,
                          const Tensor& sample_weights) {
  LETHE_CHECK(prediction.defined() && target.defined() && prediction.shape() == target.shape() &&
                  prediction.numel() > 0,
              name, ": prediction ", describe(prediction), " and target ", describe(target),
              " must have the same non-empty shape");
  check_float(name, prediction, "prediction");
  check_compatible(name, prediction, target);
  if (sample_weights.defined()) {
    check_compatible(name, prediction, sample_weights);
    LETHE_CHECK(prediction.rank() >= 1 && sample_weights.rank() == 1 &&
                    sample_weights.dim(0) == prediction.dim(0),
                name, ": sample weights ", describe(sample_weights), " must be (B) for prediction ",
                describe(prediction));
  }
  if (tt::has_fused_squared_error(prediction) &&
      !(sample_weights.defined() && sample_weights.requires_grad())) {
    return fused_squared_error(prediction, target, sample_weights);
  }
  Tensor squared = square(sub(prediction, target));
  if (sample_weights.defined()) {
    Shape per_sample(static_cast<size_t>(prediction.rank()), 1);
    per_sample[0] = prediction.dim(0);
    squared = squared * sample_weights.reshape(per_sample);
  }
  return mean(squared);
}

}  // namespace

Tensor mse_loss(const Tensor& prediction, const Tensor& target) {
  return squared_error_loss("mse_loss", prediction, target, Tensor());
}

Tensor weighted_mse_loss(const Tensor& prediction, const Tensor& target,
                         const Tensor& sample_weights) {
  return squared_error_loss("weighted_mse_loss", prediction, target, sample_weights);
}

}  // namespace lethe
