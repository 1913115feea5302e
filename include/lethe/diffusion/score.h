// Scores: from a noise-prediction network, with classifier-free guidance; the prior at t = T
// and the probability-flow drift.
#pragma once
#include <functional>

#include "lethe/core/tensor.h"
#include "lethe/diffusion/sde.h"
#include "lethe/ops/random.h"

namespace lethe {

// eps_hat = model(x_t, t): the network's noise prediction; t: (B) SDE times in [0, 1].
using NoiseModel = std::function<Tensor(const Tensor& x, const Tensor& t)>;
// s = score(x_t, t): x_t (B, ...), t (B) -> (B, ...), the score of the marginal at t.
using ScoreFn = std::function<Tensor(const Tensor& x, const Tensor& t)>;

// s = -eps_hat / std(t), per sample.
ScoreFn score_from_noise_model(const NoiseModel& model, const Sde& sde);
// Classifier-free guidance: eps = (1 + w) eps(x, y) - w eps(x, null), both at the same (x, t).
NoiseModel classifier_free_guidance(const NoiseModel& conditional, const NoiseModel& unconditional,
                                    double scale);

// x_T ~ N(0, prior_std^2 I) -> `shape` in `dtype` on `device` (the same numbers on any device).
Tensor draw_prior(const Sde& sde, const Shape& shape, Generator& noise, DType dtype = DType::f32,
                  Device device = Device::cpu);
// log N(z; 0, prior_std^2 I) per sample: z (B, ...) -> (B).
Tensor prior_log_density(const Sde& sde, const Tensor& z);
// The probability-flow ODE's drift f(x, t) - g(t)^2 s(x, t) / 2 with every sample at time t.
Tensor probability_flow_drift(const ScoreFn& score, const Sde& sde, const Tensor& x, double t);

}  // namespace lethe
