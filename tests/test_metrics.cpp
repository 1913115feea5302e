// Metrics against closed forms and constructed point sets.
#include <doctest/doctest.h>

#include <cmath>

#include "lethe/eval/metrics.h"
#include "lethe/ops/ops.h"
#include "lethe/ops/random.h"

using namespace lethe;

namespace {

GaussianStats stats_of(std::vector<double> mean, std::vector<double> covariance) {
  GaussianStats stats;
  stats.dim = static_cast<int>(mean.size());
  stats.count = 1000;
  stats.mean = std::move(mean);
  stats.covariance = std::move(covariance);
  return stats;
}

}  // namespace

TEST_CASE("symmetric eigen-solver: known spectra, orthonormal vectors, reconstruction") {
  const SymmetricEigen two = symmetric_eigen({2, 1, 1, 2}, 2);
  CHECK(two.values[0] == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(two.values[1] == doctest::Approx(3.0).epsilon(1e-12));
  CHECK(std::abs(two.vectors[0 * 2 + 1]) == doctest::Approx(std::sqrt(0.5)).epsilon(1e-12));

  const int n = 12;  // a random symmetric matrix: V diag(values) V^T must give it back
  Generator noise(4);
  const std::vector<double> raw = noise.normal({n, n}, 0, 1, DType::f64).to_double_vector();
  std::vector<double> matrix(n * n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) matrix[i * n + j] = raw[i * n + j] + raw[j * n + i];
  }
  const SymmetricEigen eigen = symmetric_eigen(matrix, n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      double rebuilt = 0, gram = 0;
      for (int k = 0; k < n; ++k) {
        rebuilt += eigen.vectors[i * n + k] * eigen.values[k] * eigen.vectors[j * n + k];
        gram += eigen.vectors[k * n + i] * eigen.vectors[k * n + j];
      }
      CHECK(rebuilt == doctest::Approx(matrix[i * n + j]).epsilon(1e-9).scale(1));
      CHECK(gram == doctest::Approx(i == j ? 1.0 : 0.0).epsilon(1e-9).scale(1));
    }
  }
  for (int k = 1; k < n; ++k) CHECK(eigen.values[k - 1] <= eigen.values[k]);
}

TEST_CASE("Frechet distance equals the closed form for commuting and non-commuting covariances") {
  // Diagonal: |mu1 - mu2|^2 + sum (s1 + s2 - 2 sqrt(s1 s2)).
  const GaussianStats a = stats_of({0, 1, 2}, {1, 0, 0, 0, 4, 0, 0, 0, 9});
  const GaussianStats b = stats_of({1, 1, 0}, {4, 0, 0, 0, 1, 0, 0, 0, 9});
  CHECK(frechet_distance(a, b) ==
        doctest::Approx(5 + (1 + 4 - 4) + (4 + 1 - 4) + 0).epsilon(1e-10));
  CHECK(frechet_distance(a, a) == doctest::Approx(0).scale(1).epsilon(1e-10));
  // 2x2 non-commuting: Tr sqrt(S1 S2) = sqrt(tr(S1 S2) + 2 sqrt(det(S1 S2))).
  const GaussianStats c = stats_of({0, 0}, {2, 0.5, 0.5, 1});
  const GaussianStats d = stats_of({0, 0}, {1, -0.3, -0.3, 3});
  const double tr_product = 2 * 1 + 0.5 * -0.3 + 0.5 * -0.3 + 1 * 3;
  const double det_product = (2 * 1 - 0.25) * (3 - 0.09);
  const double expected = 3 + 4 - 2 * std::sqrt(tr_product + 2 * std::sqrt(det_product));
  CHECK(frechet_distance(c, d) == doctest::Approx(expected).epsilon(1e-10));
}

TEST_CASE("gaussian_stats, KID and energy distance of identical and of shifted sets") {
  Generator noise(5);
  const Tensor x = noise.normal({400, 4});
  const GaussianStats stats = gaussian_stats(x);
  CHECK(stats.mean[0] == doctest::Approx(0).scale(1).epsilon(0.2));  // 4 standard errors
  CHECK(stats.covariance[0] == doctest::Approx(1).epsilon(0.3));
  CHECK(frechet_distance(stats, stats) == doctest::Approx(0).scale(1).epsilon(1e-9));

  const KidResult same = kernel_inception_distance(x, x, 10, 100, 1);
  CHECK(std::abs(same.mean) < 0.05);  // unbiased: about 0 (can be slightly negative)
  const KidResult shifted = kernel_inception_distance(x, x + 2.0, 10, 100, 1);
  CHECK(shifted.mean > 1.0);
  CHECK(shifted.stddev > 0);

  CHECK(energy_distance(x, x) == doctest::Approx(0).scale(1).epsilon(1e-12));
  // Two point masses at distance 3 in 1-D: 2 * 3 - 0 - 0.
  const Tensor zeros = Tensor::zeros({5, 1}), threes = Tensor::full({7, 1}, 3.0);
  CHECK(energy_distance(zeros, threes) == doctest::Approx(6.0));
}

TEST_CASE("precision and recall on constructed point sets") {
  std::vector<float> grid;  // 10 x 10 unit grid
  for (int i = 0; i < 10; ++i) {
    for (int j = 0; j < 10; ++j) grid.insert(grid.end(), {float(i), float(j)});
  }
  const Tensor real = Tensor::from_vector(grid, {100, 2});
  const PrecisionRecall same = precision_recall(real, real, 3);
  CHECK(same.precision == 1.0);
  CHECK(same.recall == 1.0);
  const PrecisionRecall far = precision_recall(real, real + 100.0, 3);
  CHECK(far.precision == 0.0);
  CHECK(far.recall == 0.0);
  // Generated = the left half of the grid: every generated point is real-like (precision 1),
  // but only the left half of the real points (and the next column, inside the generated
  // points' 3-NN radius of 1) is covered.
  const Tensor left = real.slice_batch(0, 50);
  const PrecisionRecall half = precision_recall(real, left, 3);
  CHECK(half.precision == 1.0);
  CHECK(half.recall == doctest::Approx(0.6));
}

TEST_CASE("Wilson interval: closed-form values at z = 1.96, and the empty case") {
  // p = 0.5, n = 10: centre (p + z^2/2n) / (1 + z^2/n) = 0.5, half-width
  // z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n) = 0.263412.
  const Interval half = wilson_interval(5, 10);
  CHECK(half.low == doctest::Approx(0.236588).epsilon(1e-5));
  CHECK(half.high == doctest::Approx(0.763412).epsilon(1e-5));
  // 0 of 10: [0, z^2/n / (1 + z^2/n)] = [0, 0.277549].
  const Interval none = wilson_interval(0, 10);
  CHECK(none.low == doctest::Approx(0.0).epsilon(1e-12));
  CHECK(none.high == doctest::Approx(0.277549).epsilon(1e-5));
  const Interval all = wilson_interval(10, 10);
  CHECK(all.low == doctest::Approx(1 - 0.277549).epsilon(1e-5));
  const Interval empty = wilson_interval(0, 0);
  CHECK((empty.low == 0.0 && empty.high == 1.0));
}

TEST_CASE("Fisher exact test: two-sided p-values of known tables") {
  // R: fisher.test(matrix(c(1, 11, 9, 3), 2))$p.value = 0.002759.
  CHECK(fisher_exact_p(1, 10, 11, 14) == doctest::Approx(0.00275946).epsilon(1e-5));
  // MSGM's 12 of 1,000 against retraining's 20 of 1,000 (exact sum over tables: 0.211626).
  CHECK(fisher_exact_p(12, 1000, 20, 1000) == doctest::Approx(0.211626).epsilon(1e-5));
  CHECK(fisher_exact_p(3, 10, 3, 10) == doctest::Approx(1.0));
  CHECK(fisher_exact_p(0, 50, 50, 50) < 1e-25);
  CHECK_THROWS_AS(fisher_exact_p(5, 4, 0, 4), Error);
}
