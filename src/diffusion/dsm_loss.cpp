#include "lethe/diffusion/dsm_loss.h"

#include <cmath>
#include <utility>

#include "lethe/core/error.h"
#include "lethe/diffusion/diffusion.h"
#include "lethe/ops/ops.h"

namespace lethe {

PerturbedBatch perturb(const Sde& sde, const Tensor& x0, Generator& noise, double t_min,
                       double t_max) {
  return perturb_at(sde, x0, noise.uniform({x0.dim(0)}, t_min, t_max), noise);
}

PerturbedBatch perturb_at(const Sde& sde, const Tensor& x0, Tensor t, Generator& noise) {
  const int64_t batch = x0.dim(0);
  LETHE_CHECK(t.rank() == 1 && t.dim(0) == batch && t.dtype() == DType::f32,
              "perturb: times must be f32 (", batch, "), got ", describe(t));
  PerturbedBatch out;
  out.t = std::move(t);
  out.z = noise.normal(x0.shape(), 0, 1, x0.dtype(), x0.device());
  std::vector<double> mean_coefficient(batch), stddev(batch);
  const float* times = out.t.data<float>();
  for (int64_t i = 0; i < batch; ++i) {
    mean_coefficient[i] = sde.mean_coefficient(times[i]);
    stddev[i] = sde.marginal_std(times[i]);
  }
  out.x_t = per_sample(mean_coefficient, x0.rank(), x0.dtype(), x0.device()) * x0 +
            per_sample(stddev, x0.rank(), x0.dtype(), x0.device()) * out.z;
  return out;
}

Tensor dsm_loss(const NoiseModel& model, const Sde& sde, const Tensor& x0, Generator& noise,
                bool likelihood_weighting, double t_min) {
  const PerturbedBatch batch = perturb(sde, x0, noise, t_min);
  const Tensor eps_hat = model(batch.x_t, batch.t.to(x0.device()));
  if (!likelihood_weighting) return mse_loss(eps_hat, batch.z);
  std::vector<double> weight(x0.dim(0));
  const float* times = batch.t.data<float>();
  for (size_t i = 0; i < weight.size(); ++i)
    weight[i] = std::pow(sde.diffusion(times[i]) / sde.marginal_std(times[i]), 2);
  return weighted_mse_loss(eps_hat, batch.z, per_sample(weight, 1, x0.dtype(), x0.device()));
}

}  // namespace lethe
