#include <cmath>

#include "lethe/core/error.h"
#include "lethe/unlearn/gradient_unlearner.h"

namespace lethe {

GradientGeometry combine_gradients(const Tensor& forget_grad, const Tensor& retain_grad,
                                   double lambda, bool restrict, Tensor& direction) {
  LETHE_CHECK(forget_grad.shape() == retain_grad.shape() && forget_grad.rank() == 1 &&
                  forget_grad.dtype() == DType::f32 && retain_grad.dtype() == DType::f32,
              "combine_gradients: g_f ", shape_str(forget_grad.shape()), " and g_r ",
              shape_str(retain_grad.shape()), " must be flat f32 vectors of one length");
  LETHE_CHECK(forget_grad.device() == Device::cpu && retain_grad.device() == Device::cpu,
              "combine_gradients: the gradients must be on the cpu");
  const int64_t n = forget_grad.numel();
  if (!direction.defined() || direction.shape() != forget_grad.shape())
    direction = Tensor::empty(forget_grad.shape());
  const float* f = forget_grad.data<float>();
  const float* r = retain_grad.data<float>();
  GradientGeometry g;
  double dot = 0, nf = 0, nr = 0;
#pragma omp parallel for reduction(+ : dot, nf, nr) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) {
    dot += static_cast<double>(f[i]) * r[i];
    nf += static_cast<double>(f[i]) * f[i];
    nr += static_cast<double>(r[i]) * r[i];
  }
  g.dot = dot;
  g.forget_norm2 = nf;
  g.retain_norm2 = nr;
  g.cos_phi = nf > 0 && nr > 0 ? dot / std::sqrt(nf * nr) : 0.0;
  g.conflict = dot < 0;
  double forget_coefficient = 1, retain_coefficient = lambda;
  if (restrict && g.conflict) {  // dot < 0 implies both norms are positive
    forget_coefficient = 1 - lambda * dot / nf;
    retain_coefficient = lambda - dot / nr;
  }
  float* d = direction.data<float>();
#pragma omp parallel for if (n > 65536)
  for (int64_t i = 0; i < n; ++i)
    d[i] = static_cast<float>(forget_coefficient * f[i] + retain_coefficient * r[i]);
  return g;
}

}  // namespace lethe
