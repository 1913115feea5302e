#include "lethe/diffusion/probability_flow.h"

#include "lethe/core/autograd.h"
#include "lethe/diffusion/diffusion.h"
#include "lethe/diffusion/ode_solvers.h"
#include "lethe/diffusion/schedule.h"
#include "lethe/ops/ops.h"

namespace lethe {

OdeResult solve_probability_flow(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
                                 const Tensor& x, double t_from, double t_to) {
  LETHE_CHECK(config.name == "heun" || config.name == "rk45", "the probability-flow ODE is ",
              "solved by heun or rk45, not '", config.name, "'");
  NoGrad no_grad;
  const OdeRhs drift = [&](const Tensor& y, double t) {
    return probability_flow_drift(score, sde, y, t);
  };
  if (config.name == "heun") return integrate_heun(drift, x, t_from, t_to, config.steps);
  return integrate_rk45(drift, x, t_from, t_to, config.rtol, config.atol);
}

OdeResult encode(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
                 const Tensor& x) {
  return solve_probability_flow(score, sde, config, x, sde.sampling_eps(), 1);
}

OdeResult decode(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
                 const Tensor& latent) {
  return solve_probability_flow(score, sde, config, latent, 1, sde.sampling_eps());
}

Tensor reconstruct(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
                   const Tensor& x, Generator& noise) {
  constexpr double kPerturbationTime = 0.02;
  const Tensor latent = encode(score, sde, config, x).x;
  const Tensor perturbed = latent * sde.mean_coefficient(kPerturbationTime) +
                           normal_like(latent, noise) * sde.marginal_std(kPerturbationTime);
  return decode(score, sde, config, perturbed).x;
}

}  // namespace lethe
