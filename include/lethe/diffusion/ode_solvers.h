// Fixed-step Heun and adaptive Dormand-Prince RK45 (scipy's RK45: same tableau, error norm,
// initial step and step-size control) on tensors. Not part of the public API.
#pragma once
#include <functional>

#include "lethe/diffusion/diffusion.h"

namespace lethe {

// dy/dt = rhs(y, t) with y any tensor (the whole batch is one system, as scipy sees it).
using OdeRhs = std::function<Tensor(const Tensor& y, double t)>;

// `steps` Heun steps on linspace(t0, t1, steps + 1): an Euler step, then the trapezoidal
// correction with the slope at the Euler point. nfe = 2 steps.
OdeResult integrate_heun(const OdeRhs& rhs, const Tensor& y0, double t0, double t1, int steps);
// Adaptive RK45 from t0 to t1 (either direction); error norm = RMS over all elements of
// err / (atol + rtol max(|y|, |y_new|)). nfe counts every evaluation of rhs.
OdeResult integrate_rk45(const OdeRhs& rhs, const Tensor& y0, double t0, double t1, double rtol,
                         double atol);

}  // namespace lethe
