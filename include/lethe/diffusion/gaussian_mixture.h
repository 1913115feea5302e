// 2-D toy data: isotropic Gaussian mixtures given by presets or explicitly, with exact masses.
#pragma once
#include <string>
#include <vector>

#include "lethe/diffusion/gaussian_model.h"
#include "lethe/ops/random.h"

namespace lethe {

struct GaussianComponent {
  double weight;
  std::vector<double> mean;
  double stddev;  // isotropic
};

struct GaussianMixture {
  std::vector<GaussianComponent> components;

  // "toy-msgm": N((-2,-2), 0.5^2 I) and N((2,2), 0.5^2 I) with weight 0.4 each, the undesirable
  // N((0,0), 0.5^2 I) with weight 0.2. "rings": 8 components of std 0.3 evenly on the circle of
  // radius 2.5. "grid": 9 components of std 0.3 at {-2, 0, 2}^2. Equal weights unless stated.
  static GaussianMixture preset(const std::string& name);
  // A preset name or an explicit spec "w@x,y@s;w@x,y@s;...": weight, mean and isotropic std per
  // component (weights are normalised).
  static GaussianMixture parse(const std::string& preset_or_spec);
  std::string spec() const;  // the explicit form, which parse() reads back
  // The mixture restricted to the listed components, weights renormalised.
  GaussianMixture with_components(const std::vector<int>& indices) const;
  int dimension() const { return static_cast<int>(components.at(0).mean.size()); }
  Tensor sample(int64_t count, Generator& noise) const;  // (count, D) f32
  // Probability mass of a 2-D mixture inside the disc |x - center| <= radius (polar quadrature,
  // absolute error below 1e-6 for the presets).
  double mass_in_disc(double center_x, double center_y, double radius) const;
};

// The same mixture in the full-covariance form whose marginal scores are closed form (gaussian.h).
GaussianMixtureModel to_mixture_model(const GaussianMixture& mixture);

// Fraction of the rows of points (N, 2) inside the disc |x - center| <= radius.
double fraction_in_disc(const Tensor& points, double center_x, double center_y, double radius);

}  // namespace lethe
