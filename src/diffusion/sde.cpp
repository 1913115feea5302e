#include "lethe/diffusion/sde.h"

#include <cmath>

#include "lethe/diffusion/diffusion.h"

namespace lethe {

Sde Sde::parse(const std::string& name) {
  Sde sde;
  if (name == "vp") {
    sde.kind = SdeKind::vp;
  } else if (name == "subvp") {
    sde.kind = SdeKind::subvp;
  } else if (name == "ve") {
    sde.kind = SdeKind::ve;
  } else {
    fail("unknown SDE '", name, "': expected vp, subvp or ve");
  }
  return sde;
}

std::string Sde::name() const {
  return kind == SdeKind::vp ? "vp" : kind == SdeKind::subvp ? "subvp" : "ve";
}

double Sde::beta(double t) const {
  return beta_min + t * (beta_max - beta_min);
}

double Sde::mean_coefficient(double t) const {
  if (kind == SdeKind::ve) return 1;
  return std::exp(-0.25 * t * t * (beta_max - beta_min) - 0.5 * t * beta_min);
}

double Sde::marginal_std(double t) const {
  const double m = mean_coefficient(t);
  switch (kind) {
    case SdeKind::vp:
      return std::sqrt(1 - m * m);
    case SdeKind::subvp:
      return 1 - m * m;
    case SdeKind::ve:
      return sigma_min * std::pow(sigma_max / sigma_min, t);
  }
  return 0;
}

double Sde::drift_coefficient(double t) const {
  return kind == SdeKind::ve ? 0 : -0.5 * beta(t);
}

double Sde::diffusion(double t) const {
  switch (kind) {
    case SdeKind::vp:
      return std::sqrt(beta(t));
    case SdeKind::subvp:
      return std::sqrt(beta(t) * (1 - std::exp(-2 * beta_min * t - (beta_max - beta_min) * t * t)));
    case SdeKind::ve:
      return marginal_std(t) * std::sqrt(2 * std::log(sigma_max / sigma_min));
  }
  return 0;
}

double Sde::prior_std() const {
  return kind == SdeKind::ve ? sigma_max : 1;
}
double Sde::sampling_eps() const {
  return kind == SdeKind::ve ? 1e-5 : 1e-3;
}

Tensor per_sample(const std::vector<double>& values, int rank, DType dtype, Device device) {
  Shape shape(static_cast<size_t>(rank), 1);
  shape[0] = static_cast<int64_t>(values.size());
  return Tensor::from_vector(values, shape).to(dtype).to(device);
}

}  // namespace lethe
