#include <cmath>

#include "lethe/diffusion/gaussian_model.h"
#include "lethe/ops/ops.h"

namespace lethe {

namespace {

// Lower-triangular L with L L^T = a; a: (n, n) row-major. Throws when a is not SPD.
std::vector<double> cholesky(const std::vector<double>& a, int n, int component) {
  std::vector<double> lower(static_cast<size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j <= i; ++j) {
      double value = a[i * n + j];
      for (int k = 0; k < j; ++k) value -= lower[i * n + k] * lower[j * n + k];
      if (i == j) {
        LETHE_CHECK(value > 0, "Gaussian mixture: covariance of component ", component,
                    " is not symmetric positive definite");
        lower[i * n + i] = std::sqrt(value);
      } else {
        lower[i * n + j] = value / lower[j * n + j];
      }
    }
  }
  return lower;
}

// (L L^T)^{-1} from the Cholesky factor L (n, n), by forward and back substitution per column.
std::vector<double> inverse_from_cholesky(const std::vector<double>& lower, int n) {
  std::vector<double> inverse(static_cast<size_t>(n) * n);
  std::vector<double> column(n);
  for (int c = 0; c < n; ++c) {
    for (int i = 0; i < n; ++i) {  // L y = e_c
      double value = i == c ? 1 : 0;
      for (int k = 0; k < i; ++k) value -= lower[i * n + k] * column[k];
      column[i] = value / lower[i * n + i];
    }
    for (int i = n - 1; i >= 0; --i) {  // L^T x = y
      double value = column[i];
      for (int k = i + 1; k < n; ++k) value -= lower[k * n + i] * column[k];
      column[i] = value / lower[i * n + i];
    }
    for (int i = 0; i < n; ++i) inverse[i * n + c] = column[i];
  }
  return inverse;
}

std::vector<double> block(const std::vector<double>& values, int index, int size) {
  return {values.begin() + static_cast<ptrdiff_t>(index) * size,
          values.begin() + static_cast<ptrdiff_t>(index + 1) * size};
}

Tensor constant_like(const std::vector<double>& values, const Shape& shape, const Tensor& x) {
  return Tensor::from_vector(values, shape).to(x.dtype()).to(x.device());
}

// Per component k: solved_k = (x - mu_k) Sigma_k^{-1} (B, D); logits (B, K) hold
// log pi_k + log N(x; mu_k, Sigma_k).
struct ComponentTerms {
  std::vector<Tensor> solved;
  Tensor logits;
};

ComponentTerms component_terms(const GaussianMixtureModel& mixture, const Tensor& x) {
  const int dim = mixture.dimension();
  ComponentTerms terms;
  std::vector<Tensor> logits;
  for (int k = 0; k < mixture.components(); ++k) {
    const std::vector<double> lower = cholesky(block(mixture.covariances, k, dim * dim), dim, k);
    double log_det = 0;
    for (int i = 0; i < dim; ++i) log_det += 2 * std::log(lower[i * dim + i]);
    const Tensor precision = constant_like(inverse_from_cholesky(lower, dim), {dim, dim}, x);
    const Tensor difference = x - constant_like(block(mixture.means, k, dim), {1, dim}, x);
    const Tensor solved = matmul(difference, precision);
    const double constant =
        std::log(mixture.weights[k]) - 0.5 * log_det - 0.5 * dim * std::log(2 * M_PI);
    logits.push_back(sum(difference * solved, {1}, true) * -0.5 + constant);
    terms.solved.push_back(solved);
  }
  terms.logits = concat(logits, 1);
  return terms;
}

Tensor as_rows(const GaussianMixtureModel& mixture, const Tensor& x) {
  LETHE_CHECK(x.rank() >= 1 && x.numel() == x.dim(0) * mixture.dimension(),
              "Gaussian mixture of dimension ", mixture.dimension(), ": expected (B, ...) with ",
              mixture.dimension(), " entries per sample, got ", describe(x));
  return x.reshape({x.dim(0), mixture.dimension()});
}

// Evaluates at_time(rows, t) on the rows of x grouped by their time: one call when all times
// agree (the samplers), otherwise one call per row.
Tensor by_time(const Tensor& x, const Tensor& t,
               const std::function<Tensor(const Tensor& rows, double t)>& at_time) {
  const std::vector<double> times = t.to_double_vector();
  LETHE_CHECK(static_cast<int64_t>(times.size()) == x.dim(0), "score: t ", describe(t),
              " does not give one time per sample of ", describe(x));
  bool shared = true;
  for (double time : times) shared = shared && time == times[0];
  if (shared) return at_time(x, times[0]);
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < x.dim(0); ++i) rows.push_back(at_time(narrow(x, 0, i, 1), times[i]));
  return concat(rows, 0);
}

}  // namespace

GaussianMixtureModel GaussianMixtureModel::gaussian(const std::vector<double>& mean,
                                                    const std::vector<double>& covariance) {
  GaussianMixtureModel model{{1.0}, mean, covariance};
  model.check();
  return model;
}

int GaussianMixtureModel::dimension() const {
  return weights.empty() ? 0 : static_cast<int>(means.size() / weights.size());
}

void GaussianMixtureModel::check() const {
  const size_t k = weights.size(), d = static_cast<size_t>(dimension());
  LETHE_CHECK(k >= 1 && d >= 1 && means.size() == k * d && covariances.size() == k * d * d,
              "Gaussian mixture: ", k, " weights need means (K, D) and covariances (K, D, D), got ",
              means.size(), " mean and ", covariances.size(), " covariance entries");
  double total = 0;
  for (double weight : weights) {
    LETHE_CHECK(weight > 0, "Gaussian mixture: weights must be > 0, got ", weight);
    total += weight;
  }
  LETHE_CHECK(std::abs(total - 1) < 1e-9, "Gaussian mixture: weights sum to ", total, ", not 1");
  for (size_t c = 0; c < k; ++c) {
    const std::vector<double> sigma = block(covariances, static_cast<int>(c), d * d);
    for (size_t i = 0; i < d; ++i) {
      for (size_t j = 0; j < i; ++j) {
        LETHE_CHECK(std::abs(sigma[i * d + j] - sigma[j * d + i]) < 1e-12,
                    "Gaussian mixture: ", "covariance of component ", c, " is not symmetric");
      }
    }
    cholesky(sigma, static_cast<int>(d), static_cast<int>(c));
  }
}

GaussianMixtureModel GaussianMixtureModel::marginal(const Sde& sde, double t) const {
  const double m = sde.mean_coefficient(t), s = sde.marginal_std(t);
  const int dim = dimension();
  GaussianMixtureModel result = *this;
  for (double& mean : result.means) mean *= m;
  for (size_t i = 0; i < result.covariances.size(); ++i) {
    const bool diagonal = (i % (dim * dim)) % (dim + 1) == 0;
    result.covariances[i] = m * m * covariances[i] + (diagonal ? s * s : 0);
  }
  return result;
}

Tensor GaussianMixtureModel::log_density(const Tensor& x) const {
  const ComponentTerms terms = component_terms(*this, as_rows(*this, x));
  // logsumexp_k logits = sum_k r_k (logits_k - log r_k): exact, and stable in low precision.
  const Tensor per_component = terms.logits - log_softmax(terms.logits, 1);
  return sum(softmax(terms.logits, 1) * per_component, {1});
}

Tensor GaussianMixtureModel::score(const Tensor& x) const {
  const ComponentTerms terms = component_terms(*this, as_rows(*this, x));
  const Tensor responsibilities = softmax(terms.logits, 1);
  Tensor total;
  for (int k = 0; k < components(); ++k) {
    const Tensor term = narrow(responsibilities, 1, k, 1) * terms.solved[k];
    total = k == 0 ? term : total + term;
  }
  return (-total).reshape(x.shape());
}

Tensor GaussianMixtureModel::sample(int64_t count, Generator& noise, DType dtype) const {
  check();
  const int dim = dimension();
  const std::vector<double> choice = noise.uniform({count}).to_double_vector();
  const std::vector<double> z = noise.normal({count, dim}).to_double_vector();
  std::vector<std::vector<double>> lowers;
  for (int k = 0; k < components(); ++k) {
    lowers.push_back(cholesky(block(covariances, k, dim * dim), dim, k));
  }
  std::vector<double> out(static_cast<size_t>(count) * dim);
  for (int64_t n = 0; n < count; ++n) {
    int k = 0;
    for (double cumulative = weights[0]; choice[n] > cumulative && k + 1 < components();) {
      cumulative += weights[++k];
    }
    for (int i = 0; i < dim; ++i) {  // x = mu_k + L_k z
      double value = means[k * dim + i];
      for (int j = 0; j <= i; ++j) value += lowers[k][i * dim + j] * z[n * dim + j];
      out[n * dim + i] = value;
    }
  }
  return Tensor::from_vector(out, {count, dim}).to(dtype);
}

ScoreFn mixture_score(const GaussianMixtureModel& data, const Sde& sde) {
  data.check();
  return [data, sde](const Tensor& x, const Tensor& t) {
    return by_time(x, t, [&](const Tensor& rows, double time) {
      return data.marginal(sde, time).score(rows);
    });
  };
}

NoiseModel mixture_noise_model(const GaussianMixtureModel& data, const Sde& sde) {
  const ScoreFn score = mixture_score(data, sde);
  return [score, sde](const Tensor& x, const Tensor& t) {
    std::vector<double> minus_std;
    for (double time : t.to_double_vector()) minus_std.push_back(-sde.marginal_std(time));
    return score(x, t) * per_sample(minus_std, x.rank(), x.dtype(), x.device());
  };
}

Tensor mixture_log_density(const GaussianMixtureModel& data, const Sde& sde, const Tensor& x,
                           const Tensor& t) {
  data.check();
  return by_time(x, t, [&](const Tensor& rows, double time) {
    return data.marginal(sde, time).log_density(rows);
  });
}

}  // namespace lethe
