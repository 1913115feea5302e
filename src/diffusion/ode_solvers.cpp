#include "lethe/diffusion/ode_solvers.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "lethe/ops/ops.h"

namespace lethe {

OdeResult integrate_heun(const OdeRhs& rhs, const Tensor& y0, double t0, double t1, int steps) {
  LETHE_CHECK(steps >= 1, "heun: steps must be >= 1, got ", steps);
  Tensor y = y0;
  for (int k = 0; k < steps; ++k) {
    const double t = t0 + (t1 - t0) * k / steps, t_next = t0 + (t1 - t0) * (k + 1) / steps;
    const double h = t_next - t;
    const Tensor slope = rhs(y, t);
    const Tensor slope_at_euler = rhs(y + slope * h, t_next);
    y = y + (slope + slope_at_euler) * (0.5 * h);
  }
  return {y, 2 * static_cast<int64_t>(steps)};
}

namespace {

// Dormand-Prince 5(4): nodes, stage coefficients, 5th-order weights and the error weights of the
// seven slopes (the last is the slope at the new point, reused as the next step's first).
constexpr int kStages = 6;
constexpr double kNodes[kStages] = {0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1};
constexpr double kStageWeights[kStages][kStages - 1] = {
    {},
    {1.0 / 5},
    {3.0 / 40, 9.0 / 40},
    {44.0 / 45, -56.0 / 15, 32.0 / 9},
    {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
    {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656}};
constexpr double kSolutionWeights[kStages] = {35.0 / 384,     0,        500.0 / 1113, 125.0 / 192,
                                              -2187.0 / 6784, 11.0 / 84};
constexpr double kErrorWeights[kStages + 1] = {
    -71.0 / 57600, 0, 71.0 / 16695, -71.0 / 1920, 17253.0 / 339200, -22.0 / 525, 1.0 / 40};
constexpr double kSafety = 0.9, kMinFactor = 0.2, kMaxFactor = 10;
constexpr double kErrorExponent = -1.0 / 5;  // -1 / (error estimator order + 1)

// sum_i weights[i] * terms[i] over the first `count` terms, skipping zero weights.
Tensor combine(const std::vector<Tensor>& terms, const double* weights, int count) {
  Tensor total;
  for (int i = 0; i < count; ++i) {
    if (weights[i] == 0) continue;
    total = total.defined() ? total + terms[i] * weights[i] : terms[i] * weights[i];
  }
  return total;
}

double root_mean_square(const Tensor& x) {
  return std::sqrt(sum(square(x)).item() / static_cast<double>(x.numel()));
}

Tensor tolerance_scale(const Tensor& y, const Tensor& y_new, double rtol, double atol) {
  const Tensor a = abs(y), b = abs(y_new);
  return (a + b + abs(a - b)) * (0.5 * rtol) + atol;  // atol + rtol max(|y|, |y_new|)
}

// scipy's select_initial_step for a 4th-order error estimator; one evaluation of rhs.
double initial_step(const OdeRhs& rhs, const Tensor& y0, const Tensor& f0, double t0,
                    double direction, double span, double rtol, double atol) {
  const Tensor scale = abs(y0) * rtol + atol;
  const double d0 = root_mean_square(y0 / scale), d1 = root_mean_square(f0 / scale);
  const double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
  const Tensor f1 = rhs(y0 + f0 * (h0 * direction), t0 + h0 * direction);
  const double d2 = root_mean_square((f1 - f0) / scale) / h0;
  const double h1 = d1 <= 1e-15 && d2 <= 1e-15 ? std::max(1e-6, h0 * 1e-3)
                                               : std::pow(0.01 / std::max(d1, d2), 1.0 / 5);
  return std::min({100 * h0, h1, span});
}

struct Rk45Attempt {
  Tensor y_new, f_new;
  double error_norm;
};

// One Dormand-Prince step of size h (signed) from (t, y) with slope f; six evaluations of rhs.
Rk45Attempt rk45_attempt(const OdeRhs& rhs, double t, const Tensor& y, const Tensor& f, double h,
                         double rtol, double atol) {
  std::vector<Tensor> slopes{f};
  for (int s = 1; s < kStages; ++s) {
    const Tensor y_stage = y + combine(slopes, kStageWeights[s], s) * h;
    slopes.push_back(rhs(y_stage, t + kNodes[s] * h));
  }
  const Tensor y_new = y + combine(slopes, kSolutionWeights, kStages) * h;
  slopes.push_back(rhs(y_new, t + h));
  const Tensor error = combine(slopes, kErrorWeights, kStages + 1) * h;
  const double error_norm = root_mean_square(error / tolerance_scale(y, y_new, rtol, atol));
  LETHE_CHECK(std::isfinite(error_norm), "rk45: the ODE became non-finite near t = ", t);
  return {y_new, slopes.back(), error_norm};
}

}  // namespace

OdeResult integrate_rk45(const OdeRhs& rhs, const Tensor& y0, double t0, double t1, double rtol,
                         double atol) {
  LETHE_CHECK(rtol > 0 && atol > 0, "rk45: rtol and atol must be > 0, got ", rtol, " and ", atol);
  if (t0 == t1) return {y0, 0};
  const double direction = t1 > t0 ? 1 : -1;
  Tensor y = y0, f = rhs(y0, t0);
  double t = t0;
  double h_abs = initial_step(rhs, y, f, t, direction, std::abs(t1 - t0), rtol, atol);
  int64_t nfe = 2;
  while (direction * (t1 - t) > 0) {
    const double min_step =
        10 * std::abs(std::nextafter(t, direction * std::numeric_limits<double>::infinity()) - t);
    h_abs = std::max(h_abs, min_step);
    bool rejected = false;
    while (true) {
      LETHE_CHECK(h_abs >= min_step, "rk45: step size underflow at t = ", t);
      const double t_new =
          direction * (t + direction * h_abs - t1) > 0 ? t1 : t + direction * h_abs;
      const Rk45Attempt attempt = rk45_attempt(rhs, t, y, f, t_new - t, rtol, atol);
      nfe += kStages;
      h_abs = std::abs(t_new - t);
      const double factor =
          attempt.error_norm == 0
              ? kMaxFactor
              : std::min(kMaxFactor, kSafety * std::pow(attempt.error_norm, kErrorExponent));
      if (attempt.error_norm < 1) {
        h_abs *= rejected ? std::min(1.0, factor) : factor;  // no growth right after a rejection
        t = t_new;
        y = attempt.y_new;
        f = attempt.f_new;
        break;
      }
      h_abs *= std::max(kMinFactor, factor);
      rejected = true;
    }
  }
  return {y, nfe};
}

}  // namespace lethe
