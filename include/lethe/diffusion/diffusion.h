// SDEs (score_sde's VP, sub-VP and VE with their constants), the denoising score-matching loss,
// the samplers, inpainting, PF-ODE reconstruction and likelihood, all written against callbacks so
// a network, an analytic score or a moderated score plug in the same way.
// docs/math.md#sdes-losses-and-samplers holds the math.
#pragma once
#include <functional>
#include <string>

#include "lethe/core/tensor.h"
#include "lethe/ops/random.h"

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
// s = score(x_t, t): x_t (B, ...), t (B) -> (B, ...), the score of the marginal at t.
using ScoreFn = std::function<Tensor(const Tensor& x, const Tensor& t)>;

// s = -eps_hat / std(t), per sample.
ScoreFn score_from_noise_model(const NoiseModel& model, const Sde& sde);
// Classifier-free guidance: eps = (1 + w) eps(x, y) - w eps(x, null), both at the same (x, t).
NoiseModel classifier_free_guidance(const NoiseModel& conditional, const NoiseModel& unconditional,
                                    double scale);

// The forward process on a data batch x0 (B, ...): t ~ U(t_min, t_max) (on the host), z ~ N(0, I),
// x_t = m(t) x0 + std(t) z, drawn from `noise` in that order.
struct PerturbedBatch {
  Tensor t;    // (B) f32 on the host
  Tensor z;    // like x0
  Tensor x_t;  // like x0
};
PerturbedBatch perturb(const Sde& sde, const Tensor& x0, Generator& noise, double t_min = 1e-5,
                       double t_max = 1.0);

// Continuous-time DSM loss with lambda(t) = std^2 (score_sde's reduce_mean default):
// t ~ U(t_min, 1), z ~ N(0, I), x_t = m x0 + std z, loss = mean (eps_hat - z)^2.
// With likelihood weighting (lambda = g^2): loss = mean g(t)^2 (s + z / std)^2
// = mean (g(t) / std(t))^2 (eps_hat - z)^2. x0: (B, ...) f32. Draws t and z from `noise`.
Tensor dsm_loss(const NoiseModel& model, const Sde& sde, const Tensor& x0, Generator& noise,
                bool likelihood_weighting = false, double t_min = 1e-5);

// Per-sample coefficients as (B, 1, ..., 1) tensors broadcastable against x of rank `rank`.
Tensor per_sample(const std::vector<double>& values, int rank, DType dtype = DType::f32,
                  Device device = Device::cpu);

// x_T ~ N(0, prior_std^2 I) -> `shape` in `dtype` on `device` (the same numbers on any device).
Tensor draw_prior(const Sde& sde, const Shape& shape, Generator& noise, DType dtype = DType::f32,
                  Device device = Device::cpu);
// log N(z; 0, prior_std^2 I) per sample: z (B, ...) -> (B).
Tensor prior_log_density(const Sde& sde, const Tensor& z);
// The probability-flow ODE's drift f(x, t) - g(t)^2 s(x, t) / 2 with every sample at time t.
Tensor probability_flow_drift(const ScoreFn& score, const Sde& sde, const Tensor& x, double t);

// ---- samplers -----------------------------------------------------------------------------------
// Names: em (Euler-Maruyama), reverse-diffusion, ancestral (VP, VE), ddim (VP), pc (reverse
// diffusion + Langevin corrector), langevin (corrector only), heun and rk45 (PF-ODE).
// T = 1. The predictor-corrector family runs on t_k = linspace(T, eps, steps) and discretises the
// SDE with N = steps (beta_i, sigma_i, alpha_i as in the spec, index i = round(t (N - 1))). DDIM
// takes `steps` indices of the N = num_scales DDPM schedule. Heun takes `steps` steps on
// linspace(T, eps, steps + 1), rk45 adapts its steps; both end with one noise-free
// reverse-diffusion step at eps (N = num_scales).
struct SamplerConfig {
  std::string name = "pc";
  int steps = 1000;
  int corrector_steps = 1;          // Langevin steps per time level (pc, langevin)
  double snr = 0.16;                // Langevin signal-to-noise ratio
  double ddim_eta = 0;              // 0: deterministic DDIM, 1: DDPM posterior noise
  double rtol = 1e-5, atol = 1e-5;  // rk45
  bool denoise = true;  // return the last step's noise-free mean / take the ODE's denoising step
};

struct SampleResult {
  Tensor samples;   // (B, ...) like x_start
  int64_t nfe = 0;  // score evaluations
};

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

// ---- controllable generation --------------------------------------------------------------------
// Score_sde's PC inpainter with the predictor / corrector of config.name (em, reverse-diffusion,
// ancestral, pc, langevin): observed y (B, ...), mask broadcastable to y (1 = known). Returns the
// noise-free x_bar of the last update: known entries m(eps) y, the rest sampled.
Tensor inpaint(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
               const Tensor& observed, const Tensor& mask, Generator& noise);

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

// ---- likelihood ---------------------------------------------------------------------------------
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
