// The predictor-corrector family (em, reverse-diffusion, ancestral, pc, langevin) as one loop with
// an optional projection after every update (inpainting). Not part of the public API.
#pragma once
#include <functional>

#include "lethe/diffusion/diffusion.h"

namespace lethe {

// The sample after an update and its noise-free mean x_bar.
struct PcState {
  Tensor x, x_mean;
};
using Projection = std::function<void(PcState& state, double t)>;

bool is_predictor_corrector(const std::string& name);
// N (n_corrector + 1) with a predictor, N n_corrector without (langevin).
int64_t predictor_corrector_nfe(const SamplerConfig& config);
// Runs config's predictor / corrector on t_k = linspace(T, eps, steps) from x_start; calls
// project(state, t_k) after each corrector and each predictor update when `project` is set.
PcState run_predictor_corrector(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
                                const Tensor& x_start, Generator& noise, const Projection& project);
// The reverse-diffusion predictor's noise-free mean x_bar at t under the N = `scales`
// discretisation (the ODE samplers' final denoising step).
Tensor reverse_diffusion_mean(const ScoreFn& score, const Sde& sde, const Tensor& x, double t,
                              int scales);

}  // namespace lethe
