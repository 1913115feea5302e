// Every sampler against exact ground truth. With the closed-form score of a Gaussian (mixture) the
// samples must reproduce the data's mean and covariance within kStandardErrors standard errors of
// the sample moments plus the sampler's discretisation bias at the step count used; the PF-ODE
// solvers must follow the closed-form PF-ODE map of a Gaussian.
#include <doctest/doctest.h>

#include <cmath>

#include "lethe/diffusion/gaussian_model.h"
#include "lethe/diffusion/multistep_solvers.h"
#include "lethe/diffusion/probability_flow.h"
#include "lethe/ops/ops.h"

using namespace lethe;

namespace {

constexpr int64_t kSamples = 4000;
constexpr double kStandardErrors = 4;

// Relative bias allowances: |mean_j error| <= mean sqrt(S_jj), |cov_jk error| <= covariance
// sqrt(S_jj S_kk), S the target covariance.
struct BiasAllowance {
  double mean, covariance;
};
// The largest bias measured at 500 steps (40000 samples, 3 seeds) over em, reverse-diffusion,
// ancestral, ddim, pc, heun and rk45 on vp, subvp and ve is 1.4% of a standard deviation in the
// means (the ODE samplers on ve: the N(0, 50^2 I) prior ignores the data mean) and 3.5% in the
// covariances (pc: the Langevin corrector's step inflates variances).
constexpr BiasAllowance kBias500Steps{0.02, 0.04};

struct Moments {
  double mean[2], covariance[2][2];
};

// Sample moments of points (N, 2) and their standard errors from the points themselves: sd /
// sqrt(N) for the means, the sd of the centred products / sqrt(N) for the covariances.
struct SampleMoments {
  Moments value, standard_error;
};

SampleMoments sample_moments(const Tensor& points) {
  const std::vector<double> v = points.to_double_vector();
  const int64_t n = points.dim(0);
  SampleMoments result{};
  Moments& m = result.value;
  for (int64_t i = 0; i < n; ++i) {
    for (int j = 0; j < 2; ++j) m.mean[j] += v[2 * i + j] / n;
  }
  for (int j = 0; j < 2; ++j) {
    for (int k = 0; k < 2; ++k) {
      double sum = 0, sum_squares = 0;
      for (int64_t i = 0; i < n; ++i) {
        const double product = (v[2 * i + j] - m.mean[j]) * (v[2 * i + k] - m.mean[k]);
        sum += product;
        sum_squares += product * product;
      }
      m.covariance[j][k] = sum / (n - 1);
      const double variance_of_product = sum_squares / n - (sum / n) * (sum / n);
      result.standard_error.covariance[j][k] = std::sqrt(variance_of_product / n);
    }
    result.standard_error.mean[j] = std::sqrt(m.covariance[j][j] / n);
  }
  return result;
}

// mean = sum_k pi_k mu_k, cov = sum_k pi_k (Sigma_k + mu_k mu_k^T) - mean mean^T.
Moments mixture_moments(const GaussianMixtureModel& mixture) {
  Moments m{};
  for (int c = 0; c < mixture.components(); ++c) {
    for (int j = 0; j < 2; ++j) m.mean[j] += mixture.weights[c] * mixture.means[2 * c + j];
  }
  for (int c = 0; c < mixture.components(); ++c) {
    for (int j = 0; j < 2; ++j) {
      for (int k = 0; k < 2; ++k) {
        const double second = mixture.covariances[4 * c + 2 * j + k] +
                              mixture.means[2 * c + j] * mixture.means[2 * c + k];
        m.covariance[j][k] += mixture.weights[c] * second;
      }
    }
  }
  for (int j = 0; j < 2; ++j) {
    for (int k = 0; k < 2; ++k) m.covariance[j][k] -= m.mean[j] * m.mean[k];
  }
  return m;
}

void check_moments(const Tensor& samples, const GaussianMixtureModel& target, BiasAllowance bias) {
  const SampleMoments sample = sample_moments(samples);
  const Moments truth = mixture_moments(target);
  for (int j = 0; j < 2; ++j) {
    const double sd = std::sqrt(truth.covariance[j][j]);
    CAPTURE(j);
    CHECK(std::abs(sample.value.mean[j] - truth.mean[j]) <=
          kStandardErrors * sample.standard_error.mean[j] + bias.mean * sd);
    for (int k = 0; k <= j; ++k) {
      CAPTURE(k);
      CAPTURE(sample.value.covariance[j][k]);
      CHECK(std::abs(sample.value.covariance[j][k] - truth.covariance[j][k]) <=
            kStandardErrors * sample.standard_error.covariance[j][k] +
                bias.covariance * sd * std::sqrt(truth.covariance[k][k]));
    }
  }
}

// N((1, -0.5), [[1, 0.3], [0.3, 0.25]]): correlated, with standard deviations 1 and 0.5.
GaussianMixtureModel anisotropic_gaussian() {
  return GaussianMixtureModel::gaussian({1.0, -0.5}, {1.0, 0.3, 0.3, 0.25});
}

GaussianMixtureModel two_component_mixture() {
  return {{0.3, 0.7}, {-2.0, 0.5, 1.0, -0.5}, {0.3, 0.1, 0.1, 0.2, 0.5, -0.2, -0.2, 0.4}};
}

SampleResult run_sampler(const GaussianMixtureModel& data, const Sde& sde,
                         const SamplerConfig& config, uint64_t seed) {
  Generator noise(seed, 0);
  const Tensor x_start = draw_prior(sde, {kSamples, data.dimension()}, noise);
  return sample(mixture_score(data, sde), sde, config, x_start, noise);
}

SamplerConfig sampler(const std::string& name, int steps) {
  SamplerConfig config;
  config.name = name;
  config.steps = steps;
  return config;
}

bool sampler_exists(const std::string& name, SdeKind kind) {
  if (name == "ancestral") return kind != SdeKind::subvp;
  if (name == "ddim") return kind == SdeKind::vp;
  return true;
}

}  // namespace

TEST_CASE("every sampler reproduces an anisotropic Gaussian's mean and covariance") {
  const GaussianMixtureModel data = anisotropic_gaussian();
  for (const std::string sde_name : {"vp", "subvp", "ve"}) {
    const Sde sde = Sde::parse(sde_name);
    for (const std::string name : {"em", "reverse-diffusion", "ancestral", "ddim", "pc", "rk45"}) {
      if (!sampler_exists(name, sde.kind)) continue;
      CAPTURE(sde_name);
      CAPTURE(name);
      const SampleResult result = run_sampler(data, sde, sampler(name, 500), 11);
      check_moments(result.samples, data, kBias500Steps);
    }
    SamplerConfig heun = sampler("heun", 250);  // 500 score evaluations
    CAPTURE(sde_name);
    const SampleResult result = run_sampler(data, sde, heun, 12);
    CHECK(result.nfe == 501);
    check_moments(result.samples, data, kBias500Steps);
  }
}

TEST_CASE("ddim with eta = 1 (DDPM posterior noise) reproduces the Gaussian on vp") {
  const GaussianMixtureModel data = anisotropic_gaussian();
  SamplerConfig config = sampler("ddim", 500);
  config.ddim_eta = 1;
  const SampleResult result = run_sampler(data, Sde::parse("vp"), config, 13);
  CHECK(result.nfe == 500);
  check_moments(result.samples, data, kBias500Steps);
}

TEST_CASE("the langevin sampler (annealed Langevin) reproduces the Gaussian with 5 steps a level") {
  // 200 levels x 5 corrector steps at snr 0.16. Measured biases (40000 samples): up to 2% of a
  // standard deviation in the means and 8% in the covariances (the last step's noise-free mean
  // shrinks the variance, the Langevin step size inflates it).
  const GaussianMixtureModel data = anisotropic_gaussian();
  for (const std::string sde_name : {"vp", "ve"}) {
    CAPTURE(sde_name);
    SamplerConfig config = sampler("langevin", 200);
    config.corrector_steps = 5;
    const SampleResult result = run_sampler(data, Sde::parse(sde_name), config, 14);
    CHECK(result.nfe == 1000);
    check_moments(result.samples, data, {0.04, 0.1});
  }
}

TEST_CASE("em, pc and rk45 samplers reproduce a two-component mixture's mean and covariance") {
  const GaussianMixtureModel data = two_component_mixture();
  for (const std::string sde_name : {"vp", "subvp", "ve"}) {
    for (const std::string name : {"em", "pc", "rk45"}) {
      CAPTURE(sde_name);
      CAPTURE(name);
      const SampleResult result = run_sampler(data, Sde::parse(sde_name), sampler(name, 500), 15);
      check_moments(result.samples, data, kBias500Steps);
    }
  }
}

namespace {

// The PF-ODE of Gaussian data N(mu, S) is linear: with C_t = m_t^2 S + std_t^2 I (all C_t share
// S's eigenvectors), x_to - m_to mu = C_to^{1/2} C_from^{-1/2} (x_from - m_from mu).
Tensor gaussian_flow_map(const GaussianMixtureModel& gaussian, const Sde& sde, const Tensor& x,
                         double t_from, double t_to) {
  const std::vector<double>& s = gaussian.covariances;
  const double angle = 0.5 * std::atan2(2 * s[1], s[0] - s[3]);
  const double c = std::cos(angle), n = std::sin(angle);
  const double eigenvalues[2] = {s[0] * c * c + 2 * s[1] * c * n + s[3] * n * n,
                                 s[0] * n * n - 2 * s[1] * c * n + s[3] * c * c};
  const double eigenvectors[2][2] = {{c, n}, {-n, c}};  // rows
  const double m_from = sde.mean_coefficient(t_from), m_to = sde.mean_coefficient(t_to);
  const double s_from = sde.marginal_std(t_from), s_to = sde.marginal_std(t_to);
  double map[2][2] = {};
  for (int e = 0; e < 2; ++e) {
    const double gain = std::sqrt((m_to * m_to * eigenvalues[e] + s_to * s_to) /
                                  (m_from * m_from * eigenvalues[e] + s_from * s_from));
    for (int j = 0; j < 2; ++j) {
      for (int k = 0; k < 2; ++k) map[j][k] += gain * eigenvectors[e][j] * eigenvectors[e][k];
    }
  }
  std::vector<double> v = x.to_double_vector();
  const double* mu = gaussian.means.data();
  for (size_t i = 0; i < v.size(); i += 2) {
    const double d0 = v[i] - m_from * mu[0], d1 = v[i + 1] - m_from * mu[1];
    v[i] = m_to * mu[0] + map[0][0] * d0 + map[0][1] * d1;
    v[i + 1] = m_to * mu[1] + map[1][0] * d0 + map[1][1] * d1;
  }
  return Tensor::from_vector(v, x.shape());
}

double max_abs_difference(const Tensor& a, const Tensor& b) {
  const std::vector<double> u = a.to_double_vector(), v = b.to_double_vector();
  double largest = 0;
  for (size_t i = 0; i < u.size(); ++i) largest = std::max(largest, std::abs(u[i] - v[i]));
  return largest;
}

}  // namespace

TEST_CASE("rk45 and heun samplers follow the closed-form PF-ODE map and agree with each other") {
  const GaussianMixtureModel data = anisotropic_gaussian();
  for (const std::string sde_name : {"vp", "subvp", "ve"}) {
    CAPTURE(sde_name);
    const Sde sde = Sde::parse(sde_name);
    Generator noise(16, 0);
    const Tensor x_start = draw_prior(sde, {256, 2}, noise, DType::f64);
    const ScoreFn score = mixture_score(data, sde);
    const double eps = sde.sampling_eps();
    const Tensor exact = gaussian_flow_map(data, sde, x_start, 1, eps);
    const OdeResult rk45 = solve_probability_flow(score, sde, sampler("rk45", 0), x_start, 1, eps);
    const OdeResult heun =
        solve_probability_flow(score, sde, sampler("heun", 250), x_start, 1, eps);
    // Data of unit scale. RK45 at rtol = atol = 1e-5: measured max errors 5e-6 (vp), 8e-5
    // (subvp), 2e-5 (ve). Heun's global error is O(h^2), h = 1/250: measured 1e-4 (vp), 5e-5
    // (subvp), 1.8e-3 (ve, whose sigma(t) varies fastest near eps).
    CHECK(max_abs_difference(rk45.x, exact) < 2.5e-4);
    CHECK(max_abs_difference(heun.x, exact) < 5e-3);
    CHECK(max_abs_difference(rk45.x, heun.x) < 5e-3);
    CHECK(heun.nfe == 500);
    // The samplers end with one noise-free reverse-diffusion step at eps: one more evaluation.
    CHECK(sample(score, sde, sampler("rk45", 0), x_start, noise).nfe == rk45.nfe + 1);
  }
}

TEST_CASE("rk45 sampler reports NFE, which grows as rtol shrinks while the error falls") {
  const GaussianMixtureModel data = anisotropic_gaussian();
  const Sde sde = Sde::parse("vp");
  Generator noise(17, 0);
  const Tensor x_start = draw_prior(sde, {256, 2}, noise, DType::f64);
  const Tensor exact = gaussian_flow_map(data, sde, x_start, 1, sde.sampling_eps());
  int64_t previous_nfe = 0;
  double previous_error = 1e9;
  for (double tolerance : {1e-3, 1e-5, 1e-7}) {
    CAPTURE(tolerance);
    SamplerConfig config = sampler("rk45", 0);
    config.rtol = config.atol = tolerance;
    const OdeResult result = solve_probability_flow(mixture_score(data, sde), sde, config, x_start,
                                                    1, sde.sampling_eps());
    const double error = max_abs_difference(result.x, exact);
    MESSAGE("rk45 rtol = atol = " << tolerance << ": nfe " << result.nfe << ", max error "
                                  << error);
    CHECK(result.nfe > previous_nfe);
    CHECK(error < previous_error);
    previous_nfe = result.nfe;
    previous_error = error;
  }
}

TEST_CASE("sampler misuse gets a clear lethe::Error") {
  const Sde vp = Sde::parse("vp"), subvp = Sde::parse("subvp"), ve = Sde::parse("ve");
  CHECK_THROWS_WITH_AS(check_sampler(sampler("ancestral", 10), subvp),
                       doctest::Contains("ancestral exists for the vp and ve SDEs only"), Error);
  CHECK_THROWS_WITH_AS(check_sampler(sampler("ddim", 10), ve),
                       doctest::Contains("ddim needs the vp SDE"), Error);
  CHECK_THROWS_WITH_AS(check_sampler(sampler("ddim", 10), subvp),
                       doctest::Contains("ddim needs the vp SDE"), Error);
  CHECK_THROWS_WITH_AS(check_sampler(sampler("euler", 10), vp),
                       doctest::Contains("unknown sampler 'euler'"), Error);
  CHECK_THROWS_WITH_AS(check_sampler(sampler("em", 0), vp), doctest::Contains("steps must be >= 1"),
                       Error);
  SamplerConfig langevin = sampler("langevin", 10);
  langevin.corrector_steps = 0;
  CHECK_THROWS_WITH_AS(check_sampler(langevin, vp),
                       doctest::Contains("corrector steps must be >= 1"), Error);
  SamplerConfig ddim = sampler("ddim", 10);
  ddim.ddim_eta = 1.5;
  CHECK_THROWS_WITH_AS(check_sampler(ddim, vp), doctest::Contains("eta must be in [0, 1]"), Error);
  Generator noise(18, 0);
  CHECK_THROWS_AS(sample(mixture_score(anisotropic_gaussian(), subvp), subvp,
                         sampler("ancestral", 10), draw_prior(subvp, {4, 2}, noise), noise),
                  Error);
}

TEST_CASE("samplers keep x_start's dtype and count score evaluations") {
  const GaussianMixtureModel data = anisotropic_gaussian();
  const Sde sde = Sde::parse("vp");
  Generator noise(19, 0);
  const Tensor x_start = draw_prior(sde, {8, 2}, noise, DType::f64);
  SamplerConfig pc = sampler("pc", 20);
  pc.corrector_steps = 2;
  const SampleResult result = sample(mixture_score(data, sde), sde, pc, x_start, noise);
  CHECK(result.samples.dtype() == DType::f64);
  CHECK(result.samples.shape() == x_start.shape());
  CHECK(result.nfe == 20 * 3);
}

// ---- The fast PF-ODE solvers (dpm++2m, dpm++3m, unipc2, unipc3) ----

namespace {

const char* const kFastSolvers[] = {"dpm++2m", "dpm++3m", "unipc2", "unipc3"};

// The order the solver's global error should show in the step size: DPM-Solver++ kM is of order
// k; UniPC-k's corrector raises its predictor's order k by one. Measured on the Gaussian below,
// log2 of the error ratio from 80 to 160 evaluations on vp / subvp / ve: dpm++2m 2.00 / 1.99 /
// 2.00, dpm++3m 4.16 / 4.10 / 3.65 (faster than 3 on Gaussian data), unipc2 2.99 / 2.98 / 2.99,
// unipc3 3.76 / 3.58 / 3.80; guided on the mixture (vp): 2.07, 2.97, 2.95, 4.29. Below 40
// evaluations the ratios are not yet asymptotic.
int expected_order(const std::string& name) {
  const int k = name.back() == 'm' ? name[5] - '0' : name.back() - '0';
  return name.rfind("unipc", 0) == 0 ? k + 1 : k;
}

// x at eps after `steps` evaluations without the denoising step.
Tensor solve_without_denoising(const ScoreFn& score, const Sde& sde, const std::string& name,
                               int steps, const Tensor& x_start) {
  SamplerConfig config = sampler(name, steps);
  config.denoise = false;
  Generator unused(0, 0);
  const SampleResult result = sample(score, sde, config, x_start, unused);
  CHECK(result.nfe == steps);
  return result.samples;
}

// log2 of the error ratio between n and 2n evaluations (n >= 15: no lowered final orders).
double observed_order(const ScoreFn& score, const Sde& sde, const std::string& name, int n,
                      const Tensor& x_start, const Tensor& exact) {
  const double coarse =
      max_abs_difference(solve_without_denoising(score, sde, name, n, x_start), exact);
  const double fine =
      max_abs_difference(solve_without_denoising(score, sde, name, 2 * n, x_start), exact);
  MESSAGE(name, " ", sde.name(), ": error ", coarse, " at ", n, " NFE, ", fine, " at ", 2 * n);
  return std::log2(coarse / fine);
}

}  // namespace

TEST_CASE("fast solvers converge to the closed-form PF-ODE map at their order") {
  const GaussianMixtureModel data = anisotropic_gaussian();
  for (const std::string sde_name : {"vp", "subvp", "ve"}) {
    const Sde sde = Sde::parse(sde_name);
    Generator noise(21, 0);
    const Tensor x_start = draw_prior(sde, {64, 2}, noise, DType::f64);
    const Tensor exact = gaussian_flow_map(data, sde, x_start, 1, sde.sampling_eps());
    for (const std::string name : kFastSolvers) {
      CAPTURE(sde_name);
      CAPTURE(name);
      const double order = observed_order(mixture_score(data, sde), sde, name, 80, x_start, exact);
      CHECK(order > expected_order(name) - 0.5);
    }
  }
}

TEST_CASE("fast solvers converge with classifier-free guidance on a mixture") {
  // The guided score (1 + w) s(x | component 0) - w s(x) is not the score of any Gaussian, so the
  // reference is rk45 at rtol = atol = 1e-10.
  const GaussianMixtureModel mixture = two_component_mixture();
  const GaussianMixtureModel component = GaussianMixtureModel::gaussian(
      {mixture.means[0], mixture.means[1]},
      {mixture.covariances.begin(), mixture.covariances.begin() + 4});
  const Sde sde = Sde::parse("vp");
  const ScoreFn conditional = mixture_score(component, sde),
                unconditional = mixture_score(mixture, sde);
  const double w = 2;
  const ScoreFn guided = [&](const Tensor& x, const Tensor& t) {
    return conditional(x, t) * (1 + w) - unconditional(x, t) * w;
  };
  Generator noise(22, 0);
  const Tensor x_start = draw_prior(sde, {64, 2}, noise, DType::f64);
  SamplerConfig reference = sampler("rk45", 0);
  reference.rtol = reference.atol = 1e-10;
  const Tensor exact =
      solve_probability_flow(guided, sde, reference, x_start, 1, sde.sampling_eps()).x;
  for (const std::string name : kFastSolvers) {
    CAPTURE(name);
    const double order = observed_order(guided, sde, name, 80, x_start, exact);
    CHECK(order > expected_order(name) - 0.5);
  }
}

TEST_CASE("fast solvers sample the Gaussian in 20 evaluations, denoising included") {
  const GaussianMixtureModel data = anisotropic_gaussian();
  for (const std::string sde_name : {"vp", "subvp", "ve"}) {
    for (const std::string name : kFastSolvers) {
      CAPTURE(sde_name);
      CAPTURE(name);
      const SampleResult result = run_sampler(data, Sde::parse(sde_name), sampler(name, 20), 23);
      CHECK(result.nfe == 20);
      CHECK(result.samples.dtype() == DType::f32);
      check_moments(result.samples, data, kBias500Steps);
    }
  }
}

TEST_CASE("fast solvers: time grids, one-evaluation runs and misuse") {
  const Sde vp = Sde::parse("vp");
  const std::vector<double> logsnr = multistep_times(vp, "logsnr", 4);
  const std::vector<double> uniform = multistep_times(vp, "uniform", 4);
  REQUIRE(logsnr.size() == 5);
  CHECK(logsnr.front() == 1);
  CHECK(logsnr.back() == vp.sampling_eps());
  // Equal lambda steps: log(m / std) grows by the same amount each update.
  const auto lambda = [&](double t) {
    return std::log(vp.mean_coefficient(t) / vp.marginal_std(t));
  };
  for (int k = 1; k < 4; ++k)
    CHECK(lambda(logsnr[k + 1]) - lambda(logsnr[k]) ==
          doctest::Approx(lambda(logsnr[1]) - lambda(logsnr[0])).epsilon(1e-9));
  CHECK(uniform[2] == doctest::Approx(0.5 * (1 + vp.sampling_eps())));
  // One evaluation: the data prediction at T.
  Generator noise(24, 0);
  const Tensor x_start = draw_prior(vp, {8, 2}, noise, DType::f64);
  const SampleResult one =
      sample(mixture_score(anisotropic_gaussian(), vp), vp, sampler("dpm++2m", 1), x_start, noise);
  CHECK(one.nfe == 1);
  SamplerConfig bad_grid = sampler("unipc2", 10);
  bad_grid.time_grid = "karras";
  CHECK_THROWS_WITH_AS(check_sampler(bad_grid, vp), doctest::Contains("unknown time grid 'karras'"),
                       Error);
}
