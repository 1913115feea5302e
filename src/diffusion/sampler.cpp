#include "lethe/diffusion/sampler.h"

#include <cmath>

#include "lethe/core/autograd.h"
#include "lethe/diffusion/ddim.h"
#include "lethe/diffusion/diffusion.h"
#include "lethe/diffusion/multistep_solvers.h"
#include "lethe/diffusion/predictor_corrector.h"

namespace lethe {

namespace {

bool is_ode_sampler(const std::string& name) {
  return name == "heun" || name == "rk45";
}

}  // namespace

SamplerConfig fast_sampler() {
  SamplerConfig config;
  config.name = "dpm++2m";
  config.steps = 12;
  return config;
}

void check_sampler(const SamplerConfig& config, const Sde& sde) {
  const std::string& name = config.name;
  LETHE_CHECK(is_predictor_corrector(name) || is_ode_sampler(name) || is_multistep_solver(name) ||
                  name == "ddim",
              "unknown sampler '", name,
              "': expected em, reverse-diffusion, ancestral, ddim, pc, langevin, heun, rk45, "
              "dpm++2m, dpm++3m, unipc2 or unipc3");
  LETHE_CHECK(config.steps >= 1 || name == "rk45", "sampler ", name, ": steps must be >= 1, got ",
              config.steps);
  LETHE_CHECK(!(name == "ancestral" && sde.kind == SdeKind::subvp),
              "sampler ancestral exists for the vp and ve SDEs only, not subvp: use "
              "reverse-diffusion or em");
  LETHE_CHECK(!(name == "ddim" && sde.kind != SdeKind::vp), "sampler ddim needs the vp SDE, not ",
              sde.name());
  LETHE_CHECK(config.ddim_eta >= 0 && config.ddim_eta <= 1, "sampler ddim: eta must be in [0, 1], ",
              "got ", config.ddim_eta);
  LETHE_CHECK(config.corrector_steps >= (name == "langevin" ? 1 : 0), "sampler ", name,
              ": corrector steps must be >= ", name == "langevin" ? 1 : 0, ", got ",
              config.corrector_steps);
  LETHE_CHECK(config.snr > 0, "sampler ", name, ": snr must be > 0, got ", config.snr);
  LETHE_CHECK(config.time_grid == "logsnr" || config.time_grid == "uniform", "sampler ", name,
              ": unknown time grid '", config.time_grid, "' (expected logsnr or uniform)");
  LETHE_CHECK(config.rtol > 0 && config.atol > 0, "sampler ", name,
              ": rtol and atol must be > 0, got ", config.rtol, " and ", config.atol);
}

SampleResult sample(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
                    Tensor x_start, Generator& noise) {
  check_sampler(config, sde);
  NoGrad no_grad;
  if (config.name == "ddim") {
    return sample_ddim(score, sde, config.steps, config.ddim_eta, x_start, noise);
  }
  if (is_multistep_solver(config.name)) return sample_multistep(score, sde, config, x_start);
  if (is_ode_sampler(config.name)) {
    OdeResult ode = solve_probability_flow(score, sde, config, x_start, 1, sde.sampling_eps());
    if (!config.denoise) return {ode.x, ode.nfe};
    const Tensor x = reverse_diffusion_mean(score, sde, ode.x, sde.sampling_eps(), sde.num_scales);
    return {x, ode.nfe + 1};
  }
  const PcState state = run_predictor_corrector(score, sde, config, x_start, noise, nullptr);
  return {config.denoise ? state.x_mean : state.x, predictor_corrector_nfe(config)};
}

Tensor sample_euler_maruyama(const NoiseModel& model, const Sde& sde, const Shape& shape, int steps,
                             Generator& noise) {
  SamplerConfig config;
  config.name = "em";
  config.steps = steps;
  const Tensor x_start = draw_prior(sde, shape, noise);
  return sample(score_from_noise_model(model, sde), sde, config, x_start, noise).samples;
}

}  // namespace lethe
