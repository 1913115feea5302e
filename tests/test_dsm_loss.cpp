// The DSM loss against a direct computation from the same random draws, with and without
// likelihood weighting, for every SDE.
#include <doctest/doctest.h>

#include <cmath>

#include "lethe/diffusion/diffusion.h"
#include "lethe/ops/ops.h"

using namespace lethe;

namespace {

// mean over batch and entries of w(t) (eps_hat - z)^2 with eps_hat = 0.5 x_t, recomputed in
// double from the draws dsm_loss makes (t, then z) with the same seed.
double expected_loss(const Sde& sde, const Tensor& x0, uint64_t seed, bool likelihood) {
  Generator noise(seed, 0);
  const std::vector<double> t = noise.uniform({x0.dim(0)}, 1e-5, 1.0).to_double_vector();
  const std::vector<double> z = noise.normal(x0.shape()).to_double_vector();
  const std::vector<double> x = x0.to_double_vector();
  const int64_t per_sample = x0.numel() / x0.dim(0);
  double total = 0;
  for (int64_t b = 0; b < x0.dim(0); ++b) {
    const double m = sde.mean_coefficient(t[b]), s = sde.marginal_std(t[b]);
    const double weight = likelihood ? std::pow(sde.diffusion(t[b]) / s, 2) : 1.0;
    for (int64_t k = 0; k < per_sample; ++k) {
      const int64_t i = b * per_sample + k;
      const double x_t = m * x[i] + s * z[i];
      total += weight * std::pow(0.5 * x_t - z[i], 2);
    }
  }
  return total / x0.numel();
}

}  // namespace

TEST_CASE("DSM loss equals its definition, with and without likelihood weighting") {
  const NoiseModel half = [](const Tensor& x, const Tensor&) { return x * 0.5; };
  Generator data(1);
  const Tensor x0 = data.normal({6, 1, 3, 3});
  for (const char* name : {"vp", "subvp", "ve"}) {
    const Sde sde = Sde::parse(name);
    for (bool likelihood : {false, true}) {
      Generator noise(7, 0);
      const double loss = dsm_loss(half, sde, x0, noise, likelihood).item();
      CHECK_MESSAGE(loss == doctest::Approx(expected_loss(sde, x0, 7, likelihood)).epsilon(1e-5),
                    name << (likelihood ? " with" : " without") << " likelihood weighting");
    }
  }
}
