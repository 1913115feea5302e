// The probability-flow ODE solved between two times: encoding to the latent at T, decoding, and
// reconstruction through a perturbed latent.
#pragma once
#include <cstdint>

#include "lethe/core/tensor.h"
#include "lethe/diffusion/sampler.h"

namespace lethe {

struct OdeResult {
  Tensor x;
  int64_t nfe = 0;
};
// The PF-ODE from t_from to t_to (either direction) with config.name heun (config.steps steps) or
// rk45 (config.rtol, config.atol). No denoising step.
OdeResult solve_probability_flow(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
                                 const Tensor& x, double t_from, double t_to);
// x (B, ...) at t = eps -> its PF-ODE latent at T, and back.
OdeResult encode(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
                 const Tensor& x);
OdeResult decode(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
                 const Tensor& latent);
// encode, perturb z' = m(0.02) z_T + std(0.02) xi, decode.
Tensor reconstruct(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
                   const Tensor& x, Generator& noise);

}  // namespace lethe
