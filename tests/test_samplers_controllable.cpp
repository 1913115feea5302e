// Controllable generation against closed forms: PC inpainting with the exact score of a correlated
// Gaussian recovers the conditional mean of the unknown coordinate, PF-ODE encoding follows the
// Gaussian's closed-form flow map and reconstruction stays close to its inputs; classifier-free
// guidance combines the two noise models as the spec's formula says.
#include <doctest/doctest.h>

#include <cmath>

#include "lethe/diffusion/gaussian_model.h"
#include "lethe/ops/ops.h"

using namespace lethe;

namespace {

double max_abs_difference(const Tensor& a, const Tensor& b) {
  const std::vector<double> u = a.to_double_vector(), v = b.to_double_vector();
  double largest = 0;
  for (size_t i = 0; i < u.size(); ++i) largest = std::max(largest, std::abs(u[i] - v[i]));
  return largest;
}

// The affine PF-ODE map of N(mu, diag(variances)) from t_from to t_to, per coordinate:
// x_to = m_to mu + sqrt((m_to^2 v + std_to^2) / (m_from^2 v + std_from^2)) (x_from - m_from mu).
Tensor diagonal_gaussian_flow_map(const std::vector<double>& mu,
                                  const std::vector<double>& variances, const Sde& sde,
                                  const Tensor& x, double t_from, double t_to) {
  const double m_from = sde.mean_coefficient(t_from), m_to = sde.mean_coefficient(t_to);
  const double s_from = sde.marginal_std(t_from), s_to = sde.marginal_std(t_to);
  std::vector<double> v = x.to_double_vector();
  for (size_t i = 0; i < v.size(); ++i) {
    const size_t d = i % mu.size();
    const double gain = std::sqrt((m_to * m_to * variances[d] + s_to * s_to) /
                                  (m_from * m_from * variances[d] + s_from * s_from));
    v[i] = m_to * mu[d] + gain * (v[i] - m_from * mu[d]);
  }
  return Tensor::from_vector(v, x.shape());
}

}  // namespace

TEST_CASE("pc sampler inpainting with the exact score recovers the Gaussian conditional mean") {
  // Data N((0.5, -0.5), [[1, 0.8], [0.8, 1]]); x0 = 1.5 is known. Closed-form conditioning:
  // E[x1 | x0] = -0.5 + 0.8 (1.5 - 0.5) = 0.3, Var[x1 | x0] = 1 - 0.8^2 = 0.36.
  const GaussianMixtureModel data = GaussianMixtureModel::gaussian({0.5, -0.5}, {1, 0.8, 0.8, 1});
  constexpr int64_t kSamples = 4000;
  const double conditional_mean = 0.3, conditional_variance = 0.36;
  const Tensor observed = Tensor::from_vector(std::vector<double>{1.5, 0.0}, {1, 2}) *
                          Tensor::ones({kSamples, 1}, DType::f64);
  const Tensor mask = Tensor::from_vector(std::vector<double>{1, 0}, {1, 2});
  SamplerConfig config;
  config.name = "pc";
  config.steps = 500;
  for (const std::string sde_name : {"vp", "subvp", "ve"}) {
    CAPTURE(sde_name);
    const Sde sde = Sde::parse(sde_name);
    Generator noise(21, 0);
    const Tensor result = inpaint(mixture_score(data, sde), sde, config, observed, mask, noise);
    const std::vector<double> v = result.to_double_vector();
    double known = 0, mean = 0, variance = 0;
    for (int64_t i = 0; i < kSamples; ++i) {
      known = std::max(known, std::abs(v[2 * i] - 1.5 * sde.mean_coefficient(sde.sampling_eps())));
      mean += v[2 * i + 1] / kSamples;
    }
    for (int64_t i = 0; i < kSamples; ++i) variance += std::pow(v[2 * i + 1] - mean, 2);
    variance /= kSamples - 1;
    CHECK(known < 1e-12);  // the known coordinate is m(eps) y exactly
    // 4 standard errors plus the replacement method's bias (score_sde's inpainter conditions on
    // noisy copies of y; the Langevin corrector pulls the unknown coordinate towards the
    // conditional; measured at 10000 samples: -0.024 vp, -0.004 subvp, 0.000 ve; without a
    // corrector the bias is -0.3).
    const double mean_se = std::sqrt(conditional_variance / kSamples);
    CHECK(std::abs(mean - conditional_mean) <= 4 * mean_se + 0.03);
    // Variance: 4 standard errors (sqrt(2 / N) var) plus 10% (measured +3% to +5%).
    const double variance_se = conditional_variance * std::sqrt(2.0 / kSamples);
    CHECK(std::abs(variance - conditional_variance) <= 4 * variance_se + 0.036);
  }
}

TEST_CASE("inpainting runs the predictor-corrector samplers only") {
  const Sde sde = Sde::parse("vp");
  const GaussianMixtureModel data = GaussianMixtureModel::gaussian({0, 0}, {1, 0, 0, 1});
  SamplerConfig config;
  config.name = "rk45";
  Generator noise(22, 0);
  const Tensor observed = Tensor::zeros({4, 2});
  CHECK_THROWS_WITH_AS(inpaint(mixture_score(data, sde), sde, config, observed, observed, noise),
                       doctest::Contains("inpainting runs the predictor-corrector samplers"),
                       Error);
}

TEST_CASE("PF-ODE encode follows the closed-form map; decode inverts it; reconstruct stays close") {
  // Data N(mu, diag(v)) in 3 dimensions, 128 points in f64, rk45 at rtol = atol = 1e-5.
  const std::vector<double> mu{1.0, -0.5, 0.0}, variances{1.0, 0.25, 0.5};
  const GaussianMixtureModel data =
      GaussianMixtureModel::gaussian(mu, {1.0, 0, 0, 0, 0.25, 0, 0, 0, 0.5});
  SamplerConfig config;
  config.name = "rk45";
  for (const std::string sde_name : {"vp", "subvp", "ve"}) {
    CAPTURE(sde_name);
    const Sde sde = Sde::parse(sde_name);
    const ScoreFn score = mixture_score(data, sde);
    const double eps = sde.sampling_eps(), scale = sde.prior_std();
    Generator noise(23, 0);
    const Tensor x = data.sample(128, noise, DType::f64);
    const OdeResult latent = encode(score, sde, config, x);
    const Tensor exact_latent = diagonal_gaussian_flow_map(mu, variances, sde, x, eps, 1);
    CHECK(max_abs_difference(latent.x, exact_latent) < 1e-3 * scale);
    CHECK(max_abs_difference(decode(score, sde, config, latent.x).x, x) < 1e-3);

    // reconstruct draws xi first from its generator: z' = m(0.02) z_T + std(0.02) xi.
    Generator perturbation(24, 0);
    const Tensor reconstruction = reconstruct(score, sde, config, x, perturbation);
    Generator same_perturbation(24, 0);
    const Tensor xi = same_perturbation.normal(x.shape(), 0, 1, DType::f64);
    const Tensor perturbed =
        exact_latent * sde.mean_coefficient(0.02) + xi * sde.marginal_std(0.02);
    const Tensor exact = diagonal_gaussian_flow_map(mu, variances, sde, perturbed, 1, eps);
    CHECK(max_abs_difference(reconstruction, exact) < 1e-3);
    // Close to the inputs: the map T -> eps scales coordinate d by about
    // sqrt(v_d / (m_T^2 v_d + std_T^2)), so E |x' - x|^2 <= std(0.02)^2 sum_d v_d / std_T^2 (plus
    // (1 - m(0.02))^2 |x|^2-sized terms, < 1e-4 here). Bound: twice that, plus 1e-4.
    const double m_t = sde.mean_coefficient(1), s_t = sde.marginal_std(1);
    const double s_perturb = sde.marginal_std(0.02);
    const double bound = 2 * s_perturb * s_perturb * (1.75 / (s_t * s_t + m_t * m_t * 0.25)) + 1e-4;
    const double mean_squared = mean(square(reconstruction - x)).item() * 3;
    CHECK(mean_squared <= bound);
  }
}

TEST_CASE("classifier-free guidance: w = 0 is the conditional model, otherwise (1 + w) c - w u") {
  int unconditional_calls = 0;
  const NoiseModel conditional = [](const Tensor& x, const Tensor&) { return x + 1.0; };
  const NoiseModel unconditional = [&](const Tensor& x, const Tensor&) {
    ++unconditional_calls;
    return x * 2.0;
  };
  const Tensor x = Tensor::from_vector(std::vector<double>{-1.0, 0.5, 2.0}, {3, 1});
  const Tensor t = Tensor::full({3}, 0.5, DType::f64);
  const Tensor unguided = classifier_free_guidance(conditional, unconditional, 0)(x, t);
  CHECK(max_abs_difference(unguided, conditional(x, t)) == 0);
  CHECK(unconditional_calls == 0);
  // w = 2: 3 (x + 1) - 2 (2 x) = 3 - x.
  const Tensor guided = classifier_free_guidance(conditional, unconditional, 2)(x, t);
  CHECK(max_abs_difference(guided, 3.0 - x) < 1e-15);

  // On scores: s = -eps / std is linear in eps, so the guided score is (1 + w) s_c - w s_u.
  const Sde sde = Sde::parse("vp");
  const GaussianMixtureModel a = GaussianMixtureModel::gaussian({1, 0}, {1, 0.2, 0.2, 0.5});
  const GaussianMixtureModel b = GaussianMixtureModel::gaussian({-1, 1}, {0.3, 0, 0, 2});
  const NoiseModel guided_model =
      classifier_free_guidance(mixture_noise_model(a, sde), mixture_noise_model(b, sde), 1.5);
  Generator noise(25, 0);
  const Tensor points = noise.normal({16, 2}, 0, 1, DType::f64);
  const Tensor times = noise.uniform({16}, 0.01, 1, DType::f64);
  const Tensor expected =
      mixture_score(a, sde)(points, times) * 2.5 - mixture_score(b, sde)(points, times) * 1.5;
  const Tensor guided_score = score_from_noise_model(guided_model, sde)(points, times);
  CHECK(max_abs_difference(guided_score, expected) < 1e-9);
}
