// Fast ODE samplers: DPM-Solver++ (Lu et al. 2022; multistep, orders 2 and 3) and UniPC (Zhao
// et al. 2023; B(h) = e^h - 1, predictor and corrector, orders 2 and 3). Both integrate the
// probability-flow ODE as exponential integrators in the data prediction
// x0_hat(x, t) = (x + sigma_t^2 s(x, t)) / alpha_t, for every SDE whose marginal is
// x_t = alpha_t x_0 + sigma_t z (vp, subvp and ve: their PF-ODEs are all of that form).
// docs/math.md ("Fast ODE solvers") holds the updates.
#pragma once
#include <string>
#include <vector>

#include "lethe/diffusion/sampler.h"

namespace lethe {

// dpm++2m, dpm++3m, unipc2, unipc3.
bool is_multistep_solver(const std::string& name);

// The times t_0 = T = 1 > t_1 > ... > t_updates = eps of a multistep run: uniform in
// lambda = log(alpha / sigma) ("logsnr", the solvers' choice for small images) or in t
// ("uniform").
std::vector<double> multistep_times(const Sde& sde, const std::string& grid, int updates);

// config.steps score evaluations from x_start (B, ...) at T. The first updates use the orders
// the history allows (1, 2, ...); runs of fewer than 15 updates also lower the order of the last
// ones (as DPM-Solver and diffusers do). With config.denoise the run makes steps - 1 updates and
// returns the data prediction at eps (the steps-th evaluation); without, it makes `steps` updates
// and returns x at eps.
SampleResult sample_multistep(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
                              const Tensor& x_start);

}  // namespace lethe
