#include "lethe/eval/metrics.h"

#include <algorithm>
#include <cmath>

#include "lethe/ops/random.h"

namespace lethe {
namespace {

// Rows of a (N, D) tensor as doubles.
std::vector<double> as_doubles(const Tensor& points, const char* what) {
  LETHE_CHECK(points.rank() == 2 && points.dim(0) >= 1, what, ": expected (N, D) features, got ",
              describe(points));
  return points.to_double_vector();
}

double squared_distance(const double* a, const double* b, int64_t dim) {
  double total = 0;
  for (int64_t d = 0; d < dim; ++d) total += (a[d] - b[d]) * (a[d] - b[d]);
  return total;
}

// C = A B for n x n row-major matrices.
std::vector<double> multiply(const std::vector<double>& a, const std::vector<double>& b, int n) {
  std::vector<double> c(static_cast<size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < n; ++k) {
      const double aik = a[i * n + k];
      for (int j = 0; j < n; ++j) c[i * n + j] += aik * b[k * n + j];
    }
  }
  return c;
}

// sqrt of a symmetric positive semi-definite matrix (negative round-off eigenvalues clamp to 0).
std::vector<double> symmetric_sqrt(const std::vector<double>& matrix, int n) {
  const SymmetricEigen eigen = symmetric_eigen(matrix, n);
  std::vector<double> out(static_cast<size_t>(n) * n, 0.0);
  for (int k = 0; k < n; ++k) {
    const double root = std::sqrt(std::max(eigen.values[k], 0.0));
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        out[i * n + j] += eigen.vectors[i * n + k] * root * eigen.vectors[j * n + k];
      }
    }
  }
  return out;
}

// Distance from each point of `set` to its k-th nearest neighbour within the set (itself excluded).
std::vector<double> kth_neighbour_radii(const std::vector<double>& set, int64_t count, int64_t dim,
                                        int k) {
  std::vector<double> radii(count);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) {
    std::vector<double> distances;
    distances.reserve(count - 1);
    for (int64_t j = 0; j < count; ++j) {
      if (j != i) distances.push_back(squared_distance(&set[i * dim], &set[j * dim], dim));
    }
    std::nth_element(distances.begin(), distances.begin() + (k - 1), distances.end());
    radii[i] = distances[k - 1];
  }
  return radii;
}

// Share of `queries` inside at least one ball (centre from `centres`, squared radius `radii`).
double coverage(const std::vector<double>& queries, int64_t query_count,
                const std::vector<double>& centres, const std::vector<double>& radii, int64_t dim) {
  int64_t inside = 0;
#pragma omp parallel for reduction(+ : inside) schedule(static)
  for (int64_t q = 0; q < query_count; ++q) {
    for (size_t c = 0; c < radii.size(); ++c) {
      if (squared_distance(&queries[q * dim], &centres[c * dim], dim) <= radii[c]) {
        ++inside;
        break;
      }
    }
  }
  return static_cast<double>(inside) / query_count;
}

}  // namespace

SymmetricEigen symmetric_eigen(const std::vector<double>& matrix, int n) {
  LETHE_CHECK(static_cast<int64_t>(matrix.size()) == static_cast<int64_t>(n) * n,
              "symmetric_eigen: ", matrix.size(), " values do not form a ", n, "x", n, " matrix");
  std::vector<double> a = matrix, v(static_cast<size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) v[i * n + i] = 1;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0, total = 0;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) (i == j ? total : off) += a[i * n + j] * a[i * n + j];
    }
    if (off <= 1e-30 * (total + off) || off == 0) break;
    for (int p = 0; p < n - 1; ++p) {
      for (int q = p + 1; q < n; ++q) {
        const double apq = a[p * n + q];
        if (apq == 0) continue;
        // Rotation angle that zeroes a[p][q] (Golub & Van Loan, symmetric Schur decomposition).
        const double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const double t = (theta >= 0 ? 1 : -1) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; ++k) {  // columns p and q
          const double akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; ++k) {  // rows p and q
          const double apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (int k = 0; k < n; ++k) {
          const double vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](int x, int y) { return a[x * n + x] < a[y * n + y]; });
  SymmetricEigen result{std::vector<double>(n), std::vector<double>(static_cast<size_t>(n) * n)};
  for (int k = 0; k < n; ++k) {
    result.values[k] = a[order[k] * n + order[k]];
    for (int i = 0; i < n; ++i) result.vectors[i * n + k] = v[i * n + order[k]];
  }
  return result;
}

GaussianStats gaussian_stats(const Tensor& features) {
  const std::vector<double> x = as_doubles(features, "gaussian_stats");
  LETHE_CHECK(features.dim(0) >= 2, "gaussian_stats: needs at least 2 samples, got ",
              features.dim(0));
  GaussianStats stats;
  stats.count = features.dim(0);
  stats.dim = static_cast<int>(features.dim(1));
  const int64_t n = stats.count, d = stats.dim;
  stats.mean.assign(d, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < d; ++j) stats.mean[j] += x[i * d + j] / n;
  }
  stats.covariance.assign(d * d, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t r = 0; r < d; ++r) {
      const double cr = x[i * d + r] - stats.mean[r];
      for (int64_t c = 0; c < d; ++c) {
        stats.covariance[r * d + c] += cr * (x[i * d + c] - stats.mean[c]) / (n - 1);
      }
    }
  }
  return stats;
}

double frechet_distance(const GaussianStats& a, const GaussianStats& b) {
  LETHE_CHECK(a.dim == b.dim && a.dim > 0, "frechet_distance: feature dims ", a.dim, " and ", b.dim,
              " differ");
  const int n = a.dim;
  double mean_term = 0, trace = 0;
  for (int i = 0; i < n; ++i) {
    mean_term += (a.mean[i] - b.mean[i]) * (a.mean[i] - b.mean[i]);
    trace += a.covariance[i * n + i] + b.covariance[i * n + i];
  }
  const std::vector<double> root_a = symmetric_sqrt(a.covariance, n);
  std::vector<double> inner = multiply(multiply(root_a, b.covariance, n), root_a, n);
  for (int i = 0; i < n; ++i) {  // symmetrise away round-off before the eigen-solver
    for (int j = i + 1; j < n; ++j)
      inner[i * n + j] = inner[j * n + i] = 0.5 * (inner[i * n + j] + inner[j * n + i]);
  }
  double trace_root = 0;
  for (double value : symmetric_eigen(inner, n).values)
    trace_root += std::sqrt(std::max(value, 0.0));
  return mean_term + trace - 2 * trace_root;
}

KidResult kernel_inception_distance(const Tensor& a, const Tensor& b, int subsets,
                                    int64_t subset_size, uint64_t seed) {
  const std::vector<double> x = as_doubles(a, "KID"), y = as_doubles(b, "KID");
  LETHE_CHECK(a.dim(1) == b.dim(1), "KID: feature dims ", a.dim(1), " and ", b.dim(1), " differ");
  LETHE_CHECK(subsets >= 1, "KID: needs at least one subset");
  const int64_t dim = a.dim(1);
  const int64_t m = std::min({subset_size, a.dim(0), b.dim(0)});
  LETHE_CHECK(m >= 2, "KID: subsets need at least 2 samples from each set");
  auto kernel = [dim](const double* p, const double* q) {
    double dot = 0;
    for (int64_t d = 0; d < dim; ++d) dot += p[d] * q[d];
    return std::pow(dot / dim + 1, 3);
  };
  Generator noise(seed, 0);
  std::vector<double> estimates;
  for (int s = 0; s < subsets; ++s) {
    const Tensor pick_a = noise.randint({m}, 0, a.dim(0)), pick_b = noise.randint({m}, 0, b.dim(0));
    const int64_t* ia = pick_a.data<int64_t>();
    const int64_t* ib = pick_b.data<int64_t>();
    double kxx = 0, kyy = 0, kxy = 0;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < m; ++j) {
        if (i != j) {
          kxx += kernel(&x[ia[i] * dim], &x[ia[j] * dim]);
          kyy += kernel(&y[ib[i] * dim], &y[ib[j] * dim]);
        }
        kxy += kernel(&x[ia[i] * dim], &y[ib[j] * dim]);
      }
    }
    estimates.push_back(kxx / (m * (m - 1)) + kyy / (m * (m - 1)) - 2 * kxy / (m * m));
  }
  double mean = 0, variance = 0;
  for (double e : estimates) mean += e / subsets;
  for (double e : estimates) variance += (e - mean) * (e - mean) / subsets;
  return {mean, std::sqrt(variance)};
}

PrecisionRecall precision_recall(const Tensor& real, const Tensor& generated, int k) {
  const std::vector<double> r = as_doubles(real, "precision_recall");
  const std::vector<double> g = as_doubles(generated, "precision_recall");
  LETHE_CHECK(real.dim(1) == generated.dim(1), "precision_recall: feature dims differ");
  LETHE_CHECK(k >= 1 && real.dim(0) > k && generated.dim(0) > k, "precision_recall: k = ", k,
              " needs more than k points in each set");
  const int64_t dim = real.dim(1);
  const std::vector<double> real_radii = kth_neighbour_radii(r, real.dim(0), dim, k);
  const std::vector<double> generated_radii = kth_neighbour_radii(g, generated.dim(0), dim, k);
  return {coverage(g, generated.dim(0), r, real_radii, dim),
          coverage(r, real.dim(0), g, generated_radii, dim)};
}

double energy_distance(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = as_doubles(a, "energy_distance"),
                            y = as_doubles(b, "energy_distance");
  LETHE_CHECK(a.dim(1) == b.dim(1), "energy_distance: dims differ");
  const int64_t dim = a.dim(1), n = a.dim(0), m = b.dim(0);
  auto mean_distance = [dim](const std::vector<double>& p, int64_t np, const std::vector<double>& q,
                             int64_t nq) {
    double total = 0;
#pragma omp parallel for reduction(+ : total) schedule(static)
    for (int64_t i = 0; i < np; ++i) {
      for (int64_t j = 0; j < nq; ++j)
        total += std::sqrt(squared_distance(&p[i * dim], &q[j * dim], dim));
    }
    return total / (static_cast<double>(np) * nq);
  };
  return 2 * mean_distance(x, n, y, m) - mean_distance(x, n, x, n) - mean_distance(y, m, y, m);
}

Interval wilson_interval(int64_t successes, int64_t n, double z) {
  if (n <= 0) return {0.0, 1.0};
  const double trials = static_cast<double>(n), p = successes / trials, z2 = z * z;
  const double centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const double half =
      z * std::sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials);
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

double fisher_exact_p(int64_t a, int64_t n1, int64_t b, int64_t n2) {
  LETHE_CHECK(n1 >= 0 && n2 >= 0 && a >= 0 && b >= 0 && a <= n1 && b <= n2,
              "fisher_exact_p: need 0 <= a <= n1 and 0 <= b <= n2, got ", a, "/", n1, " and ", b,
              "/", n2);
  const int64_t successes = a + b, total = n1 + n2;
  auto log_choose = [](int64_t n, int64_t k) {
    return std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0);
  };
  // log P(the first group holds x of the successes)
  auto log_probability = [&](int64_t x) {
    return log_choose(n1, x) + log_choose(n2, successes - x) - log_choose(total, successes);
  };
  const double observed = log_probability(a);
  double p = 0;
  for (int64_t x = std::max<int64_t>(0, successes - n2); x <= std::min(successes, n1); ++x) {
    const double log_p = log_probability(x);
    if (log_p <= observed + std::log1p(1e-7)) p += std::exp(log_p);
  }
  return std::min(1.0, p);
}

}  // namespace lethe
