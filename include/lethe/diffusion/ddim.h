// DDIM on the VP SDE's DDPM discretisation. Not part of the public API.
#pragma once
#include "lethe/diffusion/diffusion.h"

namespace lethe {

// alphabar_i = prod_{k <= i} (1 - beta_k) of the N = num_scales schedule, i = 0 .. N - 1.
std::vector<double> ddpm_alphabar(const Sde& sde);

// `steps` DDIM updates from x_start (B, ...): at t_k = linspace(T, eps, steps)[k] with index
// i = round(t_k (N - 1)) and eps_hat = -std(t_k) s(x, t_k),
//   x0_hat = (x - sqrt(1 - ab_i) eps_hat) / sqrt(ab_i),
//   sigma = eta sqrt((1 - ab_prev) / (1 - ab_i)) sqrt(1 - ab_i / ab_prev),
//   x = sqrt(ab_prev) x0_hat + sqrt(1 - ab_prev - sigma^2) eps_hat + sigma z,
// where ab_prev belongs to t_{k+1}, and is 1 after the last step (which returns x0_hat).
SampleResult sample_ddim(const ScoreFn& score, const Sde& sde, int steps, double eta,
                         const Tensor& x_start, Generator& noise);

}  // namespace lethe
