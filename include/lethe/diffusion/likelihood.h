// Likelihood in bits per dimension by the instantaneous change of variables along the PF-ODE.
#pragma once
#include <cstdint>

#include "lethe/core/tensor.h"
#include "lethe/diffusion/score.h"
#include "lethe/diffusion/sde.h"
#include "lethe/ops/random.h"

namespace lethe {

struct LikelihoodConfig {
  double rtol = 1e-5, atol = 1e-5;  // RK45
  double eps = 1e-5;                // integrate the PF-ODE from eps to T
  // Exact divergence by one backward pass per data dimension (low-dimensional data); otherwise
  // Hutchinson-Skilling with one Rademacher probe per sample for the whole solve.
  bool exact_divergence = false;
  // Data scaled from 8 bits to [-1, 1]: score_sde's uniform dequantisation (on the [0, 1] scale
  // v = (255 v + u) / 256, u ~ U(0, 1)) and the +7 bits offset.
  bool eight_bit_data = true;
};

struct LikelihoodResult {
  Tensor bits_per_dim;  // (B) in x's dtype
  Tensor latent;        // (B, ...) z_T
  int64_t nfe = 0;      // ODE right-hand-side evaluations
};

// bpd = -(log p_T(z_T) + delta log p) / (D ln 2) (+ 7 for 8-bit data), x (B, ...) in [-1, 1].
// Needs autograd (not inside NoGrad); the score must be differentiable in x. Parameters of the
// score that require gradients accumulate gradients: freeze them first.
LikelihoodResult bits_per_dim(const ScoreFn& score, const Sde& sde, const LikelihoodConfig& config,
                              const Tensor& x, Generator& noise);

}  // namespace lethe
