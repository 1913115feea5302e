// The samplers of the reverse process, by name.
#pragma once
#include <cstdint>
#include <string>

#include "lethe/core/tensor.h"
#include "lethe/diffusion/score.h"
#include "lethe/diffusion/sde.h"
#include "lethe/ops/random.h"

namespace lethe {

// Names: em (Euler-Maruyama), reverse-diffusion, ancestral (VP, VE), ddim (VP), pc (reverse
// diffusion + Langevin corrector), langevin (corrector only), heun and rk45 (PF-ODE), and the
// fast PF-ODE solvers dpm++2m, dpm++3m, unipc2 and unipc3 (multistep_solvers.h: `steps` is
// their number of score evaluations).
// T = 1. The predictor-corrector family runs on t_k = linspace(T, eps, steps) and discretises the
// SDE with N = steps (beta_i, sigma_i, alpha_i as in docs/math.md, index i = round(t (N - 1))).
// DDIM takes `steps` indices of the N = num_scales DDPM schedule. Heun takes `steps` steps on
// linspace(T, eps, steps + 1), rk45 adapts its steps; both end with one noise-free
// reverse-diffusion step at eps (N = num_scales).
struct SamplerConfig {
  std::string name = "pc";
  int steps = 1000;
  int corrector_steps = 1;           // Langevin steps per time level (pc, langevin)
  double snr = 0.16;                 // Langevin signal-to-noise ratio
  double ddim_eta = 0;               // 0: deterministic DDIM, 1: DDPM posterior noise
  double rtol = 1e-5, atol = 1e-5;   // rk45
  std::string time_grid = "logsnr";  // dpm++ and unipc: logsnr or uniform
  bool denoise = true;  // return the last step's noise-free mean / take the ODE's denoising step
};

struct SampleResult {
  Tensor samples;   // (B, ...) like x_start
  int64_t nfe = 0;  // score evaluations
};

// The default of `lethe sample` and `lethe eval`: dpm++2m with 12 score evaluations. On the
// shipped MNIST model it matches DDIM with 50 (docs/math.md, "Fast ODE solvers").
SamplerConfig fast_sampler();

// Throws lethe::Error for unknown names, bad numbers and combinations that do not exist
// (ancestral on sub-VP, DDIM on sub-VP or VE, langevin without corrector steps).
void check_sampler(const SamplerConfig& config, const Sde& sde);
// Runs the reverse process from x_start (B, ...), a draw from the prior at t = T (draw_prior),
// in x_start's dtype and device. `noise` supplies every Gaussian draw.
SampleResult sample(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
                    Tensor x_start, Generator& noise);

// Euler-Maruyama from a fresh prior draw of `shape`: sample() with name "em".
Tensor sample_euler_maruyama(const NoiseModel& model, const Sde& sde, const Shape& shape, int steps,
                             Generator& noise);

}  // namespace lethe
