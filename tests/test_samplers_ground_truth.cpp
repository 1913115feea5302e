// The analytic Gaussian-mixture score that the sampler and likelihood tests trust: its density
// matches the Gaussian formula, its score is the gradient of its log density, its marginals follow
// N(m mu, m^2 Sigma + std^2 I), and the noise-model round trip s = -eps_hat / std holds.
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

GaussianMixtureModel correlated_mixture() {
  return {{0.25, 0.75}, {-1.0, 2.0, 1.5, 0.0}, {0.5, 0.2, 0.2, 0.3, 1.0, -0.4, -0.4, 0.8}};
}

}  // namespace

TEST_CASE("ground truth: a Gaussian's log density matches the closed form") {
  // N(mu, S), S = [[2, 0.6], [0.6, 0.5]]: det 0.64, S^-1 = [[0.5, -0.6], [-0.6, 2]] / 0.64.
  const GaussianMixtureModel gaussian =
      GaussianMixtureModel::gaussian({1.0, -1.0}, {2.0, 0.6, 0.6, 0.5});
  const Tensor x = Tensor::from_vector(std::vector<double>{0.5, 0.0, 3.0, -2.0}, {2, 2});
  const std::vector<double> log_p = gaussian.log_density(x).to_double_vector();
  const double points[2][2] = {{-0.5, 1.0}, {2.0, -1.0}};  // x - mu
  for (int i = 0; i < 2; ++i) {
    const double a = points[i][0], b = points[i][1];
    const double quadratic = (0.5 * a * a - 1.2 * a * b + 2 * b * b) / 0.64;
    const double expected = -0.5 * quadratic - 0.5 * std::log(0.64) - std::log(2 * M_PI);
    CHECK(log_p[i] == doctest::Approx(expected).epsilon(1e-12));
  }
}

TEST_CASE("ground truth: the mixture score is the gradient of the mixture log density") {
  const GaussianMixtureModel mixture = correlated_mixture();
  Generator noise(31, 0);
  Tensor x = noise.normal({64, 2}, 0, 2, DType::f64);
  x.set_requires_grad(true);
  sum(mixture.log_density(x)).backward();
  CHECK(max_abs_difference(mixture.score(x.detach()), x.grad()) < 1e-12);
  // Central differences of the log density in double precision.
  const double h = 1e-5;
  const std::vector<double> base = x.detach().to_double_vector();
  const std::vector<double> score = mixture.score(x.detach()).to_double_vector();
  for (int d = 0; d < 2; ++d) {
    std::vector<double> plus = base, minus = base;
    for (size_t i = d; i < base.size(); i += 2) {
      plus[i] += h;
      minus[i] -= h;
    }
    const std::vector<double> up =
        mixture.log_density(Tensor::from_vector(plus, {64, 2})).to_double_vector();
    const std::vector<double> down =
        mixture.log_density(Tensor::from_vector(minus, {64, 2})).to_double_vector();
    for (int i = 0; i < 64; ++i) {
      CHECK(score[2 * i + d] == doctest::Approx((up[i] - down[i]) / (2 * h)).epsilon(1e-6));
    }
  }
}

TEST_CASE("ground truth: marginals, per-sample times and the noise-model round trip") {
  const GaussianMixtureModel mixture = correlated_mixture();
  for (const std::string sde_name : {"vp", "subvp", "ve"}) {
    CAPTURE(sde_name);
    const Sde sde = Sde::parse(sde_name);
    const double t = 0.3, m = sde.mean_coefficient(t), s = sde.marginal_std(t);
    const GaussianMixtureModel marginal = mixture.marginal(sde, t);
    CHECK(marginal.means[2] == doctest::Approx(1.5 * m));
    CHECK(marginal.covariances[0] == doctest::Approx(0.5 * m * m + s * s));
    CHECK(marginal.covariances[1] == doctest::Approx(0.2 * m * m));
    CHECK(marginal.covariances[7] == doctest::Approx(0.8 * m * m + s * s));

    Generator noise(32, 0);
    const Tensor x = noise.normal({8, 2}, 0, 1, DType::f64);
    const Tensor times = noise.uniform({8}, 0.01, 1, DType::f64);
    const ScoreFn score = mixture_score(mixture, sde);
    const std::vector<double> t_values = times.to_double_vector();
    const Tensor batched = score(x, times);
    for (int64_t i = 0; i < 8; ++i) {  // each row at its own time equals the marginal's score
      const Tensor row = narrow(x, 0, i, 1);
      CHECK(max_abs_difference(narrow(batched, 0, i, 1),
                               mixture.marginal(sde, t_values[i]).score(row)) < 1e-12);
    }
    const ScoreFn round_trip = score_from_noise_model(mixture_noise_model(mixture, sde), sde);
    CHECK(max_abs_difference(round_trip(x, times), batched) < 1e-12);
  }
}

TEST_CASE("ground truth: inconsistent mixtures are clear errors") {
  CHECK_THROWS_WITH_AS(GaussianMixtureModel::gaussian({0, 0}, {1, 2, 2, 1}),
                       doctest::Contains("not symmetric positive definite"), Error);
  CHECK_THROWS_WITH_AS(GaussianMixtureModel::gaussian({0, 0}, {1, 0, 0}),
                       doctest::Contains("covariances (K, D, D)"), Error);
  const GaussianMixtureModel weights{{0.5, 0.6}, {0, 1}, {1, 1}};
  CHECK_THROWS_WITH_AS(weights.check(), doctest::Contains("weights sum to"), Error);
  const GaussianMixtureModel gaussian = GaussianMixtureModel::gaussian({0, 0}, {1, 0, 0, 1});
  CHECK_THROWS_WITH_AS(gaussian.score(Tensor::zeros({4, 3})),
                       doctest::Contains("expected (B, ...) with 2 entries per sample"), Error);
}
