#include "lethe/diffusion/schedule.h"

#include <cmath>

#include "lethe/ops/ops.h"

namespace lethe {

double grid_time(double start, double end, int count, int k) {
  return count == 1 ? start : start + (end - start) * k / (count - 1);
}

int discrete_index(double t, int scales) {
  return static_cast<int>(std::lround(t * (scales - 1)));
}

double discrete_beta(const Sde& sde, int i, int scales) {
  const double low = sde.beta_min / scales, high = sde.beta_max / scales;
  return scales == 1 ? low : low + (high - low) * i / (scales - 1);
}

double discrete_sigma(const Sde& sde, int i, int scales) {
  if (i < 0) return 0;
  const double log_min = std::log(sde.sigma_min), log_max = std::log(sde.sigma_max);
  return std::exp(scales == 1 ? log_min : log_min + (log_max - log_min) * i / (scales - 1));
}

Tensor times_like(double t, const Tensor& x) {
  return Tensor::full({x.dim(0)}, t, x.dtype(), x.device());
}

Tensor normal_like(const Tensor& x, Generator& noise) {
  return noise.normal(x.shape(), 0, 1, x.dtype(), x.device());
}

Tensor per_sample_norm(const Tensor& x) {
  return sqrt(sum(square(x.reshape({x.dim(0), -1})), {1}));
}

}  // namespace lethe
