// The SDEs of score_sde: VP, sub-VP and VE with their constants, and the per-sample
// coefficient tensors built from them. docs/math.md#sdes-losses-and-samplers holds the math.
#pragma once
#include <string>
#include <vector>

#include "lethe/core/tensor.h"

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

// Per-sample coefficients as (B, 1, ..., 1) tensors broadcastable against x of rank `rank`.
Tensor per_sample(const std::vector<double>& values, int rank, DType dtype = DType::f32,
                  Device device = Device::cpu);

}  // namespace lethe
