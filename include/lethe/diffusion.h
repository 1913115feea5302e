// SDEs (score_sde's VP, sub-VP and VE with their constants), the denoising score-matching loss
// and the samplers, all written against callbacks so a network, an analytic score or a moderated
// score plug in the same way.
#pragma once
#include <functional>
#include <string>

#include "lethe/rng.h"
#include "lethe/tensor.h"

namespace lethe {

enum class SdeKind { vp, subvp, ve };

struct Sde {
  SdeKind kind = SdeKind::vp;
  double beta_min = 0.1, beta_max = 20;     // VP, sub-VP
  double sigma_min = 0.01, sigma_max = 50;  // VE
  int num_scales = 1000;                    // N of the discretisation

  static Sde parse(const std::string& name);  // "vp", "subvp", "ve"
  std::string name() const;

  double beta(double t) const;              // VP / sub-VP beta(t)
  double mean_coefficient(double t) const;  // m(t): x_t = m x_0 + std z
  double marginal_std(double t) const;
  double drift_coefficient(double t) const;  // f(x, t) = drift_coefficient(t) * x
  double diffusion(double t) const;          // g(t)
  double prior_std() const;                  // 1 (VP, sub-VP) or sigma_max (VE)
  double sampling_eps() const;               // 1e-3 (VP, sub-VP) or 1e-5 (VE)
};

// eps_hat = model(x_t, t): the network's noise prediction; t: (B) SDE times in [0, 1].
using NoiseModel = std::function<Tensor(const Tensor& x, const Tensor& t)>;

// Continuous-time DSM loss with lambda(t) = std^2 (score_sde's reduce_mean default):
// t ~ U(t_min, 1), z ~ N(0, I), x_t = m x0 + std z, loss = mean (eps_hat - z)^2.
// x0: (B, ...) f32. Draws t and z from `noise`.
Tensor dsm_loss(const NoiseModel& model, const Sde& sde, const Tensor& x0, Generator& noise,
                double t_min = 1e-5);

// Euler-Maruyama on the reverse SDE from the prior: N steps on t_k = linspace(T, eps, N), dt =
// -1/N, returning the noise-free mean of the last step. shape: (B, ...) of the samples.
Tensor sample_euler_maruyama(const NoiseModel& model, const Sde& sde, const Shape& shape, int steps,
                             Generator& noise);

// Per-sample coefficients as (B, 1, ..., 1) tensors broadcastable against x of rank `rank`.
Tensor per_sample(const std::vector<double>& values, int rank);

}  // namespace lethe
