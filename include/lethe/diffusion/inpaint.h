// Controllable generation: score_sde's predictor-corrector inpainter.
#pragma once
#include "lethe/core/tensor.h"
#include "lethe/diffusion/sampler.h"

namespace lethe {

// Score_sde's PC inpainter with the predictor / corrector of config.name (em, reverse-diffusion,
// ancestral, pc, langevin): observed y (B, ...), mask broadcastable to y (1 = known). Returns the
// noise-free x_bar of the last update: known entries m(eps) y, the rest sampled.
Tensor inpaint(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
               const Tensor& observed, const Tensor& mask, Generator& noise);

}  // namespace lethe
