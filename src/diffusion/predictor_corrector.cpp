#include "lethe/diffusion/predictor_corrector.h"

#include <cmath>

#include "lethe/diffusion/schedule.h"
#include "lethe/ops/ops.h"

namespace lethe {

namespace {

enum class Predictor { none, euler_maruyama, reverse_diffusion, ancestral };

Predictor predictor_of(const std::string& name) {
  if (name == "em") return Predictor::euler_maruyama;
  if (name == "reverse-diffusion" || name == "pc") return Predictor::reverse_diffusion;
  if (name == "ancestral") return Predictor::ancestral;
  return Predictor::none;
}

int corrector_steps_of(const SamplerConfig& config) {
  return config.name == "pc" || config.name == "langevin" ? config.corrector_steps : 0;
}

// One predictor update: x_bar and the std of the Gaussian noise added to it.
struct Transition {
  Tensor mean;
  double noise_std;
};

Transition euler_maruyama(const ScoreFn& score, const Sde& sde, const Tensor& x, double t,
                          int scales) {
  const double dt = -1.0 / scales, g = sde.diffusion(t);
  const Tensor s = score(x, times_like(t, x));
  // x_bar = x + (f - g^2 s) dt
  return {x + (x * sde.drift_coefficient(t) - s * (g * g)) * dt, g * std::sqrt(-dt)};
}

Transition reverse_diffusion(const ScoreFn& score, const Sde& sde, const Tensor& x, double t,
                             int scales) {
  const Tensor s = score(x, times_like(t, x));
  const int i = discrete_index(t, scales);
  switch (sde.kind) {
    case SdeKind::vp: {
      const double beta = discrete_beta(sde, i, scales);
      return {x * (2 - std::sqrt(1 - beta)) + s * beta, std::sqrt(beta)};
    }
    case SdeKind::ve: {
      const double sigma = discrete_sigma(sde, i, scales);
      const double previous = discrete_sigma(sde, i - 1, scales);
      const double g_squared = sigma * sigma - previous * previous;
      return {x + s * g_squared, std::sqrt(g_squared)};
    }
    case SdeKind::subvp: {  // score_sde's generic discretisation: f dt, G = g sqrt(dt), dt = 1/N
      const double g_squared = sde.diffusion(t) * sde.diffusion(t) / scales;
      return {x * (1 - sde.drift_coefficient(t) / scales) + s * g_squared, std::sqrt(g_squared)};
    }
  }
  fail("reverse diffusion: unknown SDE");
}

Transition ancestral(const ScoreFn& score, const Sde& sde, const Tensor& x, double t, int scales) {
  LETHE_CHECK(sde.kind != SdeKind::subvp, "ancestral sampling exists for vp and ve only");
  const Tensor s = score(x, times_like(t, x));
  const int i = discrete_index(t, scales);
  if (sde.kind == SdeKind::vp) {
    const double beta = discrete_beta(sde, i, scales);
    return {(x + s * beta) / std::sqrt(1 - beta), std::sqrt(beta)};
  }
  const double sigma = discrete_sigma(sde, i, scales);
  const double previous = discrete_sigma(sde, i - 1, scales);
  const double g_squared = sigma * sigma - previous * previous;
  return {x + s * g_squared, std::sqrt(previous * previous * g_squared / (sigma * sigma))};
}

PcState predict(Predictor predictor, const ScoreFn& score, const Sde& sde, const Tensor& x,
                double t, int scales, Generator& noise) {
  const Transition step =
      predictor == Predictor::euler_maruyama ? euler_maruyama(score, sde, x, t, scales)
      : predictor == Predictor::ancestral    ? ancestral(score, sde, x, t, scales)
                                             : reverse_diffusion(score, sde, x, t, scales);
  return {step.mean + normal_like(x, noise) * step.noise_std, step.mean};
}

// Langevin: step = 2 alpha (snr mean_b ||z_b|| / mean_b ||s_b||)^2, x_bar = x + step s,
// x = x_bar + sqrt(2 step) z; alpha = alpha_i for VP, 1 for VE and sub-VP.
PcState langevin(const ScoreFn& score, const Sde& sde, const Tensor& x, double t, int scales,
                 double snr, Generator& noise) {
  const Tensor s = score(x, times_like(t, x));
  const Tensor z = normal_like(x, noise);
  const double alpha =
      sde.kind == SdeKind::vp ? 1 - discrete_beta(sde, discrete_index(t, scales), scales) : 1;
  const double ratio = snr * mean(per_sample_norm(z)).item() / mean(per_sample_norm(s)).item();
  const double step = 2 * alpha * ratio * ratio;
  const Tensor x_mean = x + s * step;
  return {x_mean + z * std::sqrt(2 * step), x_mean};
}

}  // namespace

bool is_predictor_corrector(const std::string& name) {
  return name == "em" || name == "reverse-diffusion" || name == "ancestral" || name == "pc" ||
         name == "langevin";
}

int64_t predictor_corrector_nfe(const SamplerConfig& config) {
  const int with_predictor = predictor_of(config.name) == Predictor::none ? 0 : 1;
  return static_cast<int64_t>(config.steps) * (corrector_steps_of(config) + with_predictor);
}

PcState run_predictor_corrector(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
                                const Tensor& x_start, Generator& noise,
                                const Projection& project) {
  const Predictor predictor = predictor_of(config.name);
  const int corrector_steps = corrector_steps_of(config);
  const int scales = config.steps;
  PcState state{x_start, x_start};
  for (int k = 0; k < config.steps; ++k) {
    const double t = grid_time(1, sde.sampling_eps(), config.steps, k);
    for (int c = 0; c < corrector_steps; ++c) {
      state = langevin(score, sde, state.x, t, scales, config.snr, noise);
    }
    if (corrector_steps > 0 && project) project(state, t);
    if (predictor == Predictor::none) continue;
    state = predict(predictor, score, sde, state.x, t, scales, noise);
    if (project) project(state, t);
  }
  return state;
}

Tensor reverse_diffusion_mean(const ScoreFn& score, const Sde& sde, const Tensor& x, double t,
                              int scales) {
  return reverse_diffusion(score, sde, x, t, scales).mean;
}

}  // namespace lethe
