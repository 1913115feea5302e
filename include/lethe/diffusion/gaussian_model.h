// Gaussian mixtures with full covariances in D dimensions: exact ground truth for the samplers, the
// ODE solvers and the likelihood. Under an SDE the marginal at t of data ~ sum_k pi_k N(mu_k,
// Sigma_k) is sum_k pi_k N(m(t) mu_k, m(t)^2 Sigma_k + std(t)^2 I), so its score and density are
// closed form. Parameters and matrix factorisations are double; evaluation runs in x's dtype.
#pragma once
#include <vector>

#include "lethe/diffusion/diffusion.h"

namespace lethe {

struct GaussianMixtureModel {
  std::vector<double> weights;      // (K), positive, summing to 1
  std::vector<double> means;        // (K, D) row-major
  std::vector<double> covariances;  // (K, D, D) row-major, symmetric positive definite

  // One component: mean (D), covariance (D, D) row-major.
  static GaussianMixtureModel gaussian(const std::vector<double>& mean,
                                       const std::vector<double>& covariance);
  int components() const { return static_cast<int>(weights.size()); }
  int dimension() const;
  // Throws lethe::Error for inconsistent sizes, bad weights or covariances that are not SPD.
  void check() const;

  // The marginal at time t of data ~ this mixture under `sde`.
  GaussianMixtureModel marginal(const Sde& sde, double t) const;
  // x (B, ...) with D entries per sample. log_density -> (B); score = grad_x log p -> x's shape.
  // Both are built from differentiable ops, so autograd sees through them.
  Tensor log_density(const Tensor& x) const;
  Tensor score(const Tensor& x) const;
  Tensor sample(int64_t count, Generator& noise, DType dtype = DType::f32) const;  // (count, D)
};

// The exact score of the marginal: s(x, t), t (B); samples may carry different times.
ScoreFn mixture_score(const GaussianMixtureModel& data, const Sde& sde);
// The same as a noise-prediction model: eps_hat = -std(t) s(x, t).
NoiseModel mixture_noise_model(const GaussianMixtureModel& data, const Sde& sde);
// log p_t(x) of the marginal: x (B, ...), t (B) -> (B).
Tensor mixture_log_density(const GaussianMixtureModel& data, const Sde& sde, const Tensor& x,
                           const Tensor& t);

}  // namespace lethe
