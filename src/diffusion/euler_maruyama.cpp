#include <cmath>

#include "lethe/autograd.h"
#include "lethe/diffusion.h"
#include "lethe/ops.h"

namespace lethe {

Tensor sample_euler_maruyama(const NoiseModel& model, const Sde& sde, const Shape& shape, int steps,
                             Generator& noise) {
  LETHE_CHECK(steps >= 1, "Euler-Maruyama: steps must be >= 1, got ", steps);
  NoGrad no_grad;
  const int64_t batch = shape[0];
  const double dt = -1.0 / steps;
  const double eps = sde.sampling_eps();
  Tensor x = noise.normal(shape, 0, sde.prior_std());
  Tensor x_mean = x;
  for (int k = 0; k < steps; ++k) {
    const double t = steps == 1 ? 1.0 : 1.0 + (eps - 1.0) * k / (steps - 1);
    const Tensor times = Tensor::full({batch}, t);
    const double g = sde.diffusion(t);
    const Tensor score = model(x, times) * (-1.0 / sde.marginal_std(t));
    // x_mean = x + (f - g^2 s) dt
    x_mean = x + (x * sde.drift_coefficient(t) - score * (g * g)) * dt;
    x = x_mean + noise.normal(shape) * (g * std::sqrt(-dt));
  }
  return x_mean;
}

}  // namespace lethe
