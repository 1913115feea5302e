// PF-ODE likelihood against the closed form: for Gaussian data N(mu, S) the bits per dimension of
// a point must equal -log N(x; mu, S) / (D ln 2), with the exact divergence and, on average over
// probes, with the Hutchinson-Skilling estimator; the 8-bit path adds dequantisation and +7.
#include <doctest/doctest.h>

#include <cmath>

#include "lethe/core/autograd.h"
#include "lethe/diffusion/gaussian_model.h"
#include "lethe/ops/ops.h"

using namespace lethe;

namespace {

// N((1, -0.5), [[1, 0.3], [0.3, 0.25]]).
GaussianMixtureModel anisotropic_gaussian() {
  return GaussianMixtureModel::gaussian({1.0, -0.5}, {1.0, 0.3, 0.3, 0.25});
}

LikelihoodConfig exact_config() {
  LikelihoodConfig config;
  config.exact_divergence = true;
  config.eight_bit_data = false;
  return config;
}

// -log p(x) / (D ln 2) per row of x (B, D).
std::vector<double> closed_form_bits(const GaussianMixtureModel& data, const Tensor& x) {
  std::vector<double> bits = data.log_density(x).to_double_vector();
  for (double& value : bits) value = -value / (x.dim(1) * std::log(2.0));
  return bits;
}

}  // namespace

TEST_CASE(
    "likelihood: PF-ODE bits/dim of a Gaussian with the exact divergence is the closed form") {
  const GaussianMixtureModel data = anisotropic_gaussian();
  for (const std::string sde_name : {"vp", "subvp", "ve"}) {
    CAPTURE(sde_name);
    const Sde sde = Sde::parse(sde_name);
    Generator noise(41, 0);
    const Tensor x = data.sample(16, noise, DType::f64);
    const LikelihoodResult result =
        bits_per_dim(mixture_score(data, sde), sde, exact_config(), x, noise);
    CHECK(result.nfe > 0);
    const std::vector<double> bits = result.bits_per_dim.to_double_vector();
    const std::vector<double> expected = closed_form_bits(data, x);
    // The ODE is exact up to RK45's error: with the true marginal at T instead of the prior,
    // log p_T(z_T) + delta log p = log p_eps(x). Tolerance 1e-4 nats.
    const double nats_per_bit = 2 * std::log(2.0);
    const std::vector<double> prior = prior_log_density(sde, result.latent).to_double_vector();
    const std::vector<double> marginal_at_t =
        mixture_log_density(data, sde, result.latent, Tensor::full({16}, 1.0, DType::f64))
            .to_double_vector();
    const std::vector<double> marginal_at_eps =
        mixture_log_density(data, sde, x, Tensor::full({16}, 1e-5, DType::f64)).to_double_vector();
    for (int i = 0; i < 16; ++i) {
      const double delta_log_p = -bits[i] * nats_per_bit - prior[i];
      CHECK(std::abs(marginal_at_t[i] + delta_log_p - marginal_at_eps[i]) < 1e-4);
      // Against the data density itself, once the prior's known mismatch with the marginal at T
      // is taken out (vp, subvp: m(T) = 0.0066 leaves the means off by up to 0.01 bits/dim; ve:
      // N(0, 50^2 I) vs N(mu, S + 50^2 I), of order |mu| |z_T| / 50^2, up to 0.03 bits/dim).
      // Left: the smoothing by std(1e-5), 1e-3 (vp) and 0.01 = sigma_min (ve, up to 1e-3
      // bits/dim here), and RK45's error (measured 3e-5 bits/dim).
      const double prior_mismatch = (marginal_at_t[i] - prior[i]) / nats_per_bit;
      const double tolerance = sde.kind == SdeKind::ve ? 2e-3 : 1e-4;
      CHECK(std::abs(bits[i] - (expected[i] + prior_mismatch)) < tolerance);
    }
  }
}

TEST_CASE("likelihood: Hutchinson-Skilling bits/dim average to the exact-divergence value") {
  // One point, 1000 independent Rademacher probes (one per copy): the estimator is unbiased, so
  // the mean must lie within 4 standard errors (sd / sqrt(1000)) of the exact-divergence value.
  const GaussianMixtureModel data = anisotropic_gaussian();
  constexpr int64_t kProbes = 1000;
  const Tensor point = Tensor::from_vector(std::vector<double>{1.4, -0.2}, {1, 2});
  const Tensor copies = point * Tensor::ones({kProbes, 1}, DType::f64);
  LikelihoodConfig hutchinson = exact_config();
  hutchinson.exact_divergence = false;
  for (const std::string sde_name : {"vp", "ve"}) {
    CAPTURE(sde_name);
    const Sde sde = Sde::parse(sde_name);
    const ScoreFn score = mixture_score(data, sde);
    Generator noise(43, 0);
    const double exact = bits_per_dim(score, sde, exact_config(), point, noise).bits_per_dim.item();
    const std::vector<double> estimates =
        bits_per_dim(score, sde, hutchinson, copies, noise).bits_per_dim.to_double_vector();
    double mean = 0, variance = 0;
    for (double value : estimates) mean += value / kProbes;
    for (double value : estimates) variance += (value - mean) * (value - mean) / (kProbes - 1);
    const double standard_error = std::sqrt(variance / kProbes);
    CAPTURE(mean);
    CAPTURE(exact);
    CHECK(standard_error > 1e-4);  // the probes do vary: S is not diagonal
    CHECK(std::abs(mean - exact) < 4 * standard_error);
  }
}

TEST_CASE("likelihood: 8-bit data are dequantised uniformly and offset by 7 bits/dim") {
  // score_sde: on the [0, 1] scale v' = (255 v + u) / 256, u ~ U(0, 1), then bpd + 7. The
  // dequantisation noise is the first draw from the generator.
  const GaussianMixtureModel data = anisotropic_gaussian();
  const Sde sde = Sde::parse("vp");
  const Tensor x = Tensor::from_vector(std::vector<double>{-1.0, 1.0, 0.2, -0.6}, {2, 2});
  LikelihoodConfig eight_bit = exact_config();
  eight_bit.eight_bit_data = true;
  Generator noise(46, 0);
  const Tensor bits = bits_per_dim(mixture_score(data, sde), sde, eight_bit, x, noise).bits_per_dim;
  Generator same_noise(46, 0);
  const Tensor u = same_noise.uniform(x.shape(), 0, 1, DType::f64);
  const Tensor dequantised = ((x + 1.0) * 127.5 + u) / 256.0 * 2.0 - 1.0;
  const Tensor reference =
      bits_per_dim(mixture_score(data, sde), sde, exact_config(), dequantised, same_noise)
          .bits_per_dim;
  for (int i = 0; i < 2; ++i) {
    CHECK(bits.to_double_vector()[i] - reference.to_double_vector()[i] ==
          doctest::Approx(7).epsilon(1e-9));
  }
}

TEST_CASE("likelihood needs autograd and says so") {
  const GaussianMixtureModel data = anisotropic_gaussian();
  const Sde sde = Sde::parse("vp");
  Generator noise(44, 0);
  NoGrad no_grad;
  CHECK_THROWS_WITH_AS(bits_per_dim(mixture_score(data, sde), sde, exact_config(),
                                    Tensor::zeros({2, 2}, DType::f64), noise),
                       doctest::Contains("call it outside NoGrad"), Error);
}
