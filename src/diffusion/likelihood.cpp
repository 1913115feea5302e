#include "lethe/diffusion/likelihood.h"

#include <cmath>

#include "lethe/core/autograd.h"
#include "lethe/diffusion/ode_solvers.h"
#include "lethe/diffusion/schedule.h"
#include "lethe/ops/ops.h"

namespace lethe {

namespace {

struct DriftAndDivergence {
  Tensor drift;       // (B, ...)
  Tensor divergence;  // (B)
};

Tensor leaf_copy(const Tensor& x) {
  Tensor leaf = x.detach().clone();
  leaf.set_requires_grad(true);
  return leaf;
}

// Hutchinson-Skilling: div f ~ probe^T (df/dx) probe = <grad_x <probe, f(x)>, probe>, one VJP.
DriftAndDivergence hutchinson_divergence(const ScoreFn& score, const Sde& sde, const Tensor& x,
                                         double t, const Tensor& probe) {
  const Tensor leaf = leaf_copy(x);
  const Tensor drift = probability_flow_drift(score, sde, leaf, t);
  sum(drift * probe).backward();
  const Tensor per_entry = (leaf.grad() * probe).reshape({x.dim(0), -1});
  return {drift.detach(), sum(per_entry, {1})};
}

// The exact trace of df/dx: one forward and backward pass per data dimension d, summing
// d f_d / d x_d over the batch at once (samples are independent).
DriftAndDivergence exact_divergence(const ScoreFn& score, const Sde& sde, const Tensor& x,
                                    double t) {
  const int64_t batch = x.dim(0), dimension = x.numel() / batch;
  DriftAndDivergence result;
  for (int64_t d = 0; d < dimension; ++d) {
    const Tensor leaf = leaf_copy(x);
    const Tensor drift = probability_flow_drift(score, sde, leaf, t);
    sum(narrow(drift.reshape({batch, dimension}), 1, d, 1)).backward();
    const Tensor diagonal = narrow(leaf.grad().reshape({batch, dimension}), 1, d, 1);
    result.divergence = d == 0 ? diagonal : result.divergence + diagonal;
    if (d == 0) result.drift = drift.detach();
  }
  result.divergence = result.divergence.reshape({batch});
  return result;
}

// score_sde's dequantisation of 8-bit data in [-1, 1]: v = (x + 1) / 2, v' = (255 v + u) / 256.
Tensor dequantize(const Tensor& x, Generator& noise) {
  const Tensor u = noise.uniform(x.shape(), 0, 1, x.dtype(), x.device());
  return ((x + 1.0) * (255.0 / 2) + u) * (2.0 / 256) - 1.0;
}

Tensor rademacher_like(const Tensor& x, Generator& noise) {
  return noise.bernoulli(x.shape(), 0.5, x.dtype(), x.device()) * 2.0 - 1.0;
}

}  // namespace

LikelihoodResult bits_per_dim(const ScoreFn& score, const Sde& sde, const LikelihoodConfig& config,
                              const Tensor& x, Generator& noise) {
  LETHE_CHECK(grad_mode_enabled(), "bits_per_dim differentiates the score: call it outside NoGrad");
  LETHE_CHECK(config.eps > 0 && config.eps < 1, "bits_per_dim: eps must be in (0, 1), got ",
              config.eps);
  const int64_t batch = x.dim(0), dimension = x.numel() / batch;
  const Tensor data = config.eight_bit_data ? dequantize(x, noise) : x;
  const Tensor probe = config.exact_divergence ? Tensor() : rademacher_like(x, noise);
  // State: [x_t flattened (B D), delta log p (B)]; d(delta log p)/dt = div of the PF-ODE drift.
  const OdeRhs rhs = [&](const Tensor& state, double t) {
    const Tensor x_t = narrow(state, 0, 0, batch * dimension).reshape(x.shape());
    const DriftAndDivergence step = config.exact_divergence
                                        ? exact_divergence(score, sde, x_t, t)
                                        : hutchinson_divergence(score, sde, x_t, t, probe);
    return concat({step.drift.reshape({-1}), step.divergence}, 0);
  };
  const Tensor start =
      concat({data.reshape({-1}), Tensor::zeros({batch}, x.dtype(), x.device())}, 0);
  const OdeResult end = integrate_rk45(rhs, start, config.eps, 1, config.rtol, config.atol);
  const Tensor latent = narrow(end.x, 0, 0, batch * dimension).reshape(x.shape());
  const Tensor delta_log_p = narrow(end.x, 0, batch * dimension, batch);
  const Tensor nats = -(prior_log_density(sde, latent) + delta_log_p);
  const Tensor bits = nats / (static_cast<double>(dimension) * std::log(2.0));
  return {config.eight_bit_data ? bits + 7.0 : bits, latent, end.nfe};
}

}  // namespace lethe
