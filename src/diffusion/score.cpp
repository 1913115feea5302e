#include "lethe/diffusion/score.h"

#include <cmath>

#include "lethe/diffusion/diffusion.h"
#include "lethe/diffusion/schedule.h"
#include "lethe/ops/ops.h"

namespace lethe {

ScoreFn score_from_noise_model(const NoiseModel& model, const Sde& sde) {
  return [model, sde](const Tensor& x, const Tensor& t) {
    std::vector<double> inverse_std;
    for (double time : t.to_double_vector()) inverse_std.push_back(-1 / sde.marginal_std(time));
    const Tensor eps_hat = model(x, t);
    return eps_hat * per_sample(inverse_std, x.rank(), eps_hat.dtype(), eps_hat.device());
  };
}

NoiseModel classifier_free_guidance(const NoiseModel& conditional, const NoiseModel& unconditional,
                                    double scale) {
  if (scale == 0) return conditional;
  return [conditional, unconditional, scale](const Tensor& x, const Tensor& t) {
    return conditional(x, t) * (1 + scale) - unconditional(x, t) * scale;
  };
}

Tensor draw_prior(const Sde& sde, const Shape& shape, Generator& noise, DType dtype,
                  Device device) {
  return noise.normal(shape, 0, sde.prior_std(), dtype, device);
}

Tensor prior_log_density(const Sde& sde, const Tensor& z) {
  const double dimension = static_cast<double>(z.numel() / z.dim(0));
  const double variance = sde.prior_std() * sde.prior_std();
  const Tensor squared_norm = sum(square(z.reshape({z.dim(0), -1})), {1});
  return squared_norm * (-0.5 / variance) - 0.5 * dimension * std::log(2 * M_PI * variance);
}

Tensor probability_flow_drift(const ScoreFn& score, const Sde& sde, const Tensor& x, double t) {
  const double g = sde.diffusion(t);
  return x * sde.drift_coefficient(t) - score(x, times_like(t, x)) * (0.5 * g * g);
}

}  // namespace lethe
