#include "lethe/diffusion/one_step_generator.h"

#include "lethe/core/error.h"

namespace lethe {

double ddpm_step_time(int step) {
  return step / 999.0;
}

Tensor x0_from_eps(const Sde& sde, const Tensor& x_t, const Tensor& eps_hat,
                   const std::vector<int64_t>& steps) {
  LETHE_CHECK(static_cast<int64_t>(steps.size()) == x_t.dim(0), "x0_from_eps: ", steps.size(),
              " steps for a batch of ", describe(x_t));
  std::vector<double> inverse_mean(steps.size()), ratio(steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    const double t = ddpm_step_time(static_cast<int>(steps[i]));
    inverse_mean[i] = 1 / sde.mean_coefficient(t);
    ratio[i] = sde.marginal_std(t) / sde.mean_coefficient(t);
  }
  return per_sample(inverse_mean, x_t.rank(), x_t.dtype(), x_t.device()) * x_t -
         per_sample(ratio, x_t.rank(), x_t.dtype(), x_t.device()) * eps_hat;
}

Tensor one_step_generate(const UNet& generator, const Sde& sde, int t_init_step, const Tensor& z,
                         const Tensor& labels, Generator& dropout_noise) {
  const int64_t batch = z.dim(0);
  const double t = ddpm_step_time(t_init_step);
  const Tensor x_in = z * sde.marginal_std(t);
  const Tensor times = Tensor::full({batch}, t).to(z.device());
  const Tensor eps_hat = generator.forward(x_in, times, labels, dropout_noise);
  return x0_from_eps(sde, x_in, eps_hat, std::vector<int64_t>(batch, t_init_step));
}

}  // namespace lethe
