#include "lethe/diffusion/ddim.h"

#include <cmath>

#include "lethe/diffusion/schedule.h"
#include "lethe/ops/ops.h"

namespace lethe {

std::vector<double> ddpm_alphabar(const Sde& sde) {
  std::vector<double> alphabar(static_cast<size_t>(sde.num_scales));
  double product = 1;
  for (int i = 0; i < sde.num_scales; ++i) {
    product *= 1 - discrete_beta(sde, i, sde.num_scales);
    alphabar[i] = product;
  }
  return alphabar;
}

SampleResult sample_ddim(const ScoreFn& score, const Sde& sde, int steps, double eta,
                         const Tensor& x_start, Generator& noise) {
  const std::vector<double> alphabar = ddpm_alphabar(sde);
  const double eps = sde.sampling_eps();
  const auto alphabar_at = [&](int k) {
    return k < steps ? alphabar[discrete_index(grid_time(1, eps, steps, k), sde.num_scales)] : 1.0;
  };
  Tensor x = x_start;
  for (int k = 0; k < steps; ++k) {
    const double t = grid_time(1, eps, steps, k);
    const double now = alphabar_at(k), next = alphabar_at(k + 1);
    const Tensor eps_hat = score(x, times_like(t, x)) * -sde.marginal_std(t);
    const Tensor x0_hat = (x - eps_hat * std::sqrt(1 - now)) / std::sqrt(now);
    const double sigma = eta * std::sqrt((1 - next) / (1 - now) * (1 - now / next));
    x = x0_hat * std::sqrt(next) + eps_hat * std::sqrt(std::max(0.0, 1 - next - sigma * sigma));
    if (sigma > 0) x = x + normal_like(x, noise) * sigma;
  }
  return {x, steps};
}

}  // namespace lethe
