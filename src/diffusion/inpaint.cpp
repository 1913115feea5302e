#include "lethe/diffusion/inpaint.h"

#include "lethe/core/autograd.h"
#include "lethe/diffusion/predictor_corrector.h"
#include "lethe/diffusion/schedule.h"
#include "lethe/ops/ops.h"

namespace lethe {

Tensor inpaint(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
               const Tensor& observed, const Tensor& mask, Generator& noise) {
  check_sampler(config, sde);
  LETHE_CHECK(is_predictor_corrector(config.name), "inpainting runs the predictor-corrector ",
              "samplers (em, reverse-diffusion, ancestral, pc, langevin), not '", config.name, "'");
  NoGrad no_grad;
  const Tensor known = mask.to(observed.dtype()).to(observed.device());
  const Tensor unknown = 1.0 - known;
  // After each update: y_t = m(t) y + std(t) z on the known entries; x_bar keeps m(t) y there.
  const Projection project = [&](PcState& state, double t) {
    const Tensor observed_mean = observed * sde.mean_coefficient(t);
    const Tensor observed_t = observed_mean + normal_like(observed, noise) * sde.marginal_std(t);
    state.x = state.x * unknown + observed_t * known;
    state.x_mean = state.x * unknown + observed_mean * known;
  };
  const Tensor prior =
      draw_prior(sde, observed.shape(), noise, observed.dtype(), observed.device());
  const Tensor x_start = observed * known + prior * unknown;
  const PcState state = run_predictor_corrector(score, sde, config, x_start, noise, project);
  return config.denoise ? state.x_mean : state.x;
}

}  // namespace lethe
