#include "lethe/diffusion.h"
#include "lethe/ops.h"

namespace lethe {

Tensor dsm_loss(const NoiseModel& model, const Sde& sde, const Tensor& x0, Generator& noise,
                double t_min) {
  const int64_t batch = x0.dim(0);
  const Tensor t = noise.uniform({batch}, t_min, 1.0);  // on the host: the coefficients read it
  const Tensor z = noise.normal(x0.shape(), 0, 1, x0.dtype(), x0.device());
  std::vector<double> mean(batch), stddev(batch);
  const float* times = t.data<float>();
  for (int64_t i = 0; i < batch; ++i) {
    mean[i] = sde.mean_coefficient(times[i]);
    stddev[i] = sde.marginal_std(times[i]);
  }
  const Tensor x_t = per_sample(mean, x0.rank(), x0.dtype(), x0.device()) * x0 +
                     per_sample(stddev, x0.rank(), x0.dtype(), x0.device()) * z;
  return mse_loss(model(x_t, t.to(x0.device())), z);
}

}  // namespace lethe
