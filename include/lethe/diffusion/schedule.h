// Time grids, the discrete schedules of docs/math.md#sdes-losses-and-samplers and small tensor
// helpers shared by the samplers, the ODE solvers and the likelihood. Not part of the public API.
#pragma once
#include "lethe/diffusion/diffusion.h"

namespace lethe {

// linspace(start, end, count)[k]; a one-point grid is {start}.
double grid_time(double start, double end, int count, int k);
// The discrete index i = round(t (N - 1)) of time t.
int discrete_index(double t, int scales);
// VP: beta_i = linspace(beta_min / N, beta_max / N, N)[i].
double discrete_beta(const Sde& sde, int i, int scales);
// VE: sigma_i = exp(linspace(ln sigma_min, ln sigma_max, N))[i], sigma_{-1} = 0.
double discrete_sigma(const Sde& sde, int i, int scales);

// (B) filled with t, in x's dtype and device (B = x.dim(0)).
Tensor times_like(double t, const Tensor& x);
// z ~ N(0, I) shaped like x, in x's dtype and device.
Tensor normal_like(const Tensor& x, Generator& noise);
// Per-sample L2 norms over all but the first axis: x (B, ...) -> (B).
Tensor per_sample_norm(const Tensor& x);

}  // namespace lethe
