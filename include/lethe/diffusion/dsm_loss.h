// The forward process on a data batch and the continuous-time denoising score-matching loss.
#pragma once
#include "lethe/core/tensor.h"
#include "lethe/diffusion/score.h"
#include "lethe/diffusion/sde.h"
#include "lethe/ops/random.h"

namespace lethe {

// The forward process on a data batch x0 (B, ...): t ~ U(t_min, t_max) (on the host), z ~ N(0, I),
// x_t = m(t) x0 + std(t) z, drawn from `noise` in that order.
struct PerturbedBatch {
  Tensor t;    // (B) f32 on the host
  Tensor z;    // like x0
  Tensor x_t;  // like x0
};
PerturbedBatch perturb(const Sde& sde, const Tensor& x0, Generator& noise, double t_min = 1e-5,
                       double t_max = 1.0);
// The same at given times t (B) f32 on the host: only z is drawn from `noise`.
PerturbedBatch perturb_at(const Sde& sde, const Tensor& x0, Tensor t, Generator& noise);

// Continuous-time DSM loss with lambda(t) = std^2 (score_sde's reduce_mean default):
// t ~ U(t_min, 1), z ~ N(0, I), x_t = m x0 + std z, loss = mean (eps_hat - z)^2.
// With likelihood weighting (lambda = g^2): loss = mean g(t)^2 (s + z / std)^2
// = mean (g(t) / std(t))^2 (eps_hat - z)^2. x0: (B, ...) f32. Draws t and z from `noise`.
Tensor dsm_loss(const NoiseModel& model, const Sde& sde, const Tensor& x0, Generator& noise,
                bool likelihood_weighting = false, double t_min = 1e-5);

}  // namespace lethe
