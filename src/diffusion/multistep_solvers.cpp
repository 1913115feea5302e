#include "lethe/diffusion/multistep_solvers.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "lethe/core/autograd.h"
#include "lethe/diffusion/schedule.h"
#include "lethe/ops/ops.h"

namespace lethe {

namespace {

// Runs of fewer updates than this take lower orders on their last updates.
constexpr int kLowerOrderFinalBelow = 15;

struct Marginal {
  double alpha, sigma, lambda;  // x_t = alpha x_0 + sigma z; lambda = log(alpha / sigma)
};

Marginal marginal_at(const Sde& sde, double t) {
  const double alpha = sde.mean_coefficient(t), sigma = sde.marginal_std(t);
  return {alpha, sigma, std::log(alpha) - std::log(sigma)};
}

// The t in [eps, 1] where lambda(t) = target; lambda falls strictly as t grows.
double time_of_lambda(const Sde& sde, double target) {
  double low = sde.sampling_eps(), high = 1;
  for (int i = 0; i < 200 && high - low > 1e-15; ++i) {
    const double middle = 0.5 * (low + high);
    (marginal_at(sde, middle).lambda > target ? low : high) = middle;
  }
  return 0.5 * (low + high);
}

// x for A x = b, A n x n (n <= 3), by elimination with partial pivoting.
std::vector<double> solve_small(std::vector<std::vector<double>> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t col = 0; col < n; ++col) {
    size_t pivot = col;
    for (size_t row = col + 1; row < n; ++row)
      if (std::abs(a[row][col]) > std::abs(a[pivot][col])) pivot = row;
    std::swap(a[col], a[pivot]);
    std::swap(b[col], b[pivot]);
    for (size_t row = col + 1; row < n; ++row) {
      const double factor = a[row][col] / a[col][col];
      for (size_t k = col; k < n; ++k) a[row][k] -= factor * a[col][k];
      b[row] -= factor * b[col];
    }
  }
  std::vector<double> x(n);
  for (size_t row = n; row-- > 0;) {
    double sum = b[row];
    for (size_t k = row + 1; k < n; ++k) sum -= a[row][k] * x[k];
    x[row] = sum / a[row][row];
  }
  return x;
}

// The solver's memory: data predictions and their lambdas, newest last.
struct History {
  std::vector<Tensor> predictions;
  std::vector<double> lambdas;
  const Tensor& prediction(int back) const { return predictions[predictions.size() - 1 - back]; }
  double lambda(int back) const { return lambdas[lambdas.size() - 1 - back]; }
  void push(Tensor prediction, double lambda, int keep) {
    predictions.push_back(std::move(prediction));
    lambdas.push_back(lambda);
    if (static_cast<int>(predictions.size()) > keep) {
      predictions.erase(predictions.begin());
      lambdas.erase(lambdas.begin());
    }
  }
};

// DPM-Solver++ multistep update of `order` from `from` to `to` (order 2: the official
// "dpmsolver" form).
Tensor dpm_solver_pp_update(const Tensor& x, const History& history, const Marginal& from,
                            const Marginal& to, int order) {
  const double h = to.lambda - from.lambda;
  const double phi_1 = std::expm1(-h);
  const Tensor& m0 = history.prediction(0);
  Tensor next = x * (to.sigma / from.sigma) - m0 * (to.alpha * phi_1);
  if (order == 1) return next;  // DDIM
  const double r0 = (history.lambda(0) - history.lambda(1)) / h;
  const Tensor d1_0 = (m0 - history.prediction(1)) / r0;
  if (order == 2) return next - d1_0 * (0.5 * to.alpha * phi_1);
  const double r1 = (history.lambda(1) - history.lambda(2)) / h;
  const Tensor d1_1 = (history.prediction(1) - history.prediction(2)) / r1;
  // d1 ~ h x0', d2 ~ h^2 x0'' (derivatives in lambda). The public DPM-Solver, diffusers and
  // k-diffusion code use half this d2 with the same phi_3, which measures as second order here;
  // with the full second difference the update is third order (tests/test_samplers.cpp).
  const Tensor d1 = d1_0 + (d1_0 - d1_1) * (r0 / (r0 + r1));
  const Tensor d2 = (d1_0 - d1_1) * (2 / (r0 + r1));
  const double phi_2 = phi_1 / h + 1, phi_3 = phi_2 / h - 0.5;
  return next + d1 * (to.alpha * phi_2) - d2 * (to.alpha * phi_3);
}

// UniPC (B(h) = e^h - 1) update of `order` from `from` to `to`: the predictor UniP, then, when
// `predict` is given, the corrector UniC with the data prediction at the predicted point, which
// is returned in *predicted_model for the next update (so the corrector costs no evaluation).
Tensor unipc_update(const Tensor& x, const History& history, const Marginal& from,
                    const Marginal& to, int order,
                    const std::function<Tensor(const Tensor&)>* predict, Tensor* predicted_model) {
  const double h = to.lambda - from.lambda, hh = -h;
  const Tensor& m0 = history.prediction(0);
  std::vector<double> rks;
  std::vector<Tensor> d1s;
  for (int i = 1; i < order; ++i) {
    const double rk = (history.lambda(i) - history.lambda(0)) / h;
    rks.push_back(rk);
    d1s.push_back((history.prediction(i) - m0) / rk);
  }
  rks.push_back(1);
  const double h_phi_1 = std::expm1(hh);
  const double b_h = h_phi_1;  // the bh2 variant: B(h) = e^h - 1
  double h_phi_k = h_phi_1 / hh - 1, factorial = 1;
  std::vector<std::vector<double>> r(order, std::vector<double>(order));
  std::vector<double> b(order);
  for (int i = 1; i <= order; ++i) {
    for (int j = 0; j < order; ++j) r[i - 1][j] = std::pow(rks[j], i - 1);
    b[i - 1] = h_phi_k * factorial / b_h;
    factorial *= i + 1;
    h_phi_k = h_phi_k / hh - 1 / factorial;
  }
  const Tensor base = x * (to.sigma / from.sigma) - m0 * (to.alpha * h_phi_1);
  Tensor next = base;
  if (!d1s.empty()) {
    std::vector<double> rhos{0.5};
    if (order > 2) {
      std::vector<std::vector<double>> r_p(order - 1);
      for (int i = 0; i < order - 1; ++i) r_p[i].assign(r[i].begin(), r[i].end() - 1);
      rhos = solve_small(r_p, std::vector<double>(b.begin(), b.end() - 1));
    }
    Tensor residual = d1s[0] * rhos[0];
    for (size_t k = 1; k < d1s.size(); ++k) residual = residual + d1s[k] * rhos[k];
    next = base - residual * (to.alpha * b_h);
  }
  if (!predict) return next;
  *predicted_model = (*predict)(next);
  const std::vector<double> rhos = order == 1 ? std::vector<double>{0.5} : solve_small(r, b);
  Tensor correction = (*predicted_model - m0) * rhos.back();
  for (size_t k = 0; k < d1s.size(); ++k) correction = correction + d1s[k] * rhos[k];
  return base - correction * (to.alpha * b_h);
}

}  // namespace

bool is_multistep_solver(const std::string& name) {
  return name == "dpm++2m" || name == "dpm++3m" || name == "unipc2" || name == "unipc3";
}

std::vector<double> multistep_times(const Sde& sde, const std::string& grid, int updates) {
  LETHE_CHECK(grid == "logsnr" || grid == "uniform", "unknown time grid '", grid,
              "' (expected logsnr or uniform)");
  const double eps = sde.sampling_eps();
  std::vector<double> times(static_cast<size_t>(updates) + 1);
  const double lambda_start = marginal_at(sde, 1).lambda, lambda_end = marginal_at(sde, eps).lambda;
  for (int k = 0; k <= updates; ++k) {
    if (k == 0 || k == updates) {
      times[k] = k == 0 ? 1 : eps;
    } else if (grid == "uniform") {
      times[k] = grid_time(1, eps, updates + 1, k);
    } else {
      times[k] = time_of_lambda(sde, lambda_start + (lambda_end - lambda_start) * k / updates);
    }
  }
  return times;
}

SampleResult sample_multistep(const ScoreFn& score, const Sde& sde, const SamplerConfig& config,
                              const Tensor& x_start) {
  LETHE_CHECK(is_multistep_solver(config.name), "not a multistep solver: '", config.name, "'");
  NoGrad no_grad;
  const bool unipc = config.name.rfind("unipc", 0) == 0;
  const int order = config.name[5] - '0';  // dpm++2m, unipc3, ...
  const int updates = config.denoise ? config.steps - 1 : config.steps;
  const std::vector<double> times = multistep_times(sde, config.time_grid, updates);
  int64_t nfe = 0;
  const auto data_prediction = [&](const Tensor& x, double t) {
    ++nfe;
    const Marginal m = marginal_at(sde, t);
    return (x + score(x, times_like(t, x)) * (m.sigma * m.sigma)) / m.alpha;
  };

  History history;
  Tensor x = x_start;
  history.push(data_prediction(x, times[0]), marginal_at(sde, times[0]).lambda, order);
  for (int m = 1; m <= updates; ++m) {
    int step_order = std::min(order, m);
    if (updates < kLowerOrderFinalBelow) step_order = std::min(step_order, updates - m + 1);
    const Marginal from = marginal_at(sde, times[m - 1]), to = marginal_at(sde, times[m]);
    const bool last = m == updates;
    if (unipc) {
      const std::function<Tensor(const Tensor&)> predict = [&](const Tensor& point) {
        return data_prediction(point, times[m]);
      };
      Tensor predicted_model;
      x = unipc_update(x, history, from, to, step_order, last ? nullptr : &predict,
                       &predicted_model);
      if (!last) history.push(predicted_model, to.lambda, order);
    } else {
      x = dpm_solver_pp_update(x, history, from, to, step_order);
      if (!last) history.push(data_prediction(x, times[m]), to.lambda, order);
    }
  }
  if (!config.denoise) return {x, nfe};
  if (updates == 0) return {history.prediction(0), nfe};
  return {data_prediction(x, times[updates]), nfe};
}

}  // namespace lethe
