#include <cmath>

#include "lethe/diffusion.h"
#include "lethe/ops.h"

namespace lethe {

Tensor dsm_loss(const NoiseModel& model, const Sde& sde, const Tensor& x0, Generator& noise,
                bool likelihood_weighting, double t_min) {
  const int64_t batch = x0.dim(0);
  const Tensor t = noise.uniform({batch}, t_min, 1.0);  // on the host: the coefficients read it
  const Tensor z = noise.normal(x0.shape(), 0, 1, x0.dtype(), x0.device());
  std::vector<double> mean_coefficient(batch), stddev(batch), weight(batch);
  const float* times = t.data<float>();
  for (int64_t i = 0; i < batch; ++i) {
    mean_coefficient[i] = sde.mean_coefficient(times[i]);
    stddev[i] = sde.marginal_std(times[i]);
    weight[i] = std::pow(sde.diffusion(times[i]) / stddev[i], 2);
  }
  const Tensor x_t = per_sample(mean_coefficient, x0.rank(), x0.dtype(), x0.device()) * x0 +
                     per_sample(stddev, x0.rank(), x0.dtype(), x0.device()) * z;
  const Tensor eps_hat = model(x_t, t.to(x0.device()));
  if (!likelihood_weighting) return mse_loss(eps_hat, z);
  return mean(square(eps_hat - z) * per_sample(weight, x0.rank(), x0.dtype(), x0.device()));
}

}  // namespace lethe
