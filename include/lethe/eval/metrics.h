// Distribution metrics over feature vectors (docs/math.md#evaluation), all in double precision:
// Frechet distance with the mean term, unbiased KID over subsets, k-NN precision/recall
// (Kynkaanniemi et al.), energy distance; and the symmetric eigen-solver they stand on.
#pragma once
#include <cstdint>
#include <vector>

#include "lethe/core/tensor.h"

namespace lethe {

// Eigen-decomposition of a symmetric n x n matrix (row-major) by cyclic Jacobi rotations.
// Returns eigenvalues ascending; eigenvectors (n x n, row-major) hold one eigenvector per COLUMN.
struct SymmetricEigen {
  std::vector<double> values;
  std::vector<double> vectors;
};
SymmetricEigen symmetric_eigen(const std::vector<double>& matrix, int n);

struct GaussianStats {
  int dim = 0;
  int64_t count = 0;
  std::vector<double> mean;        // (D)
  std::vector<double> covariance;  // (D, D), unbiased (divides by N - 1)
};
GaussianStats gaussian_stats(const Tensor& features);  // features: (N, D), N >= 2

// ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 sqrt(S1 S2)), with Tr sqrt(S1 S2) from the eigenvalues of the
// symmetric sqrt(S1) S2 sqrt(S1).
double frechet_distance(const GaussianStats& a, const GaussianStats& b);

struct KidResult {
  double mean;
  double stddev;  // over subsets
};
// Unbiased MMD^2 with the cubic polynomial kernel (x.y / D + 1)^3, averaged over `subsets` random
// subsets of `subset_size` from each set (clamped to the smaller set's size).
KidResult kernel_inception_distance(const Tensor& a, const Tensor& b, int subsets,
                                    int64_t subset_size, uint64_t seed);

struct PrecisionRecall {
  double precision;  // share of generated points inside some real point's k-NN ball
  double recall;     // share of real points inside some generated point's k-NN ball
};
PrecisionRecall precision_recall(const Tensor& real, const Tensor& generated, int k = 3);

// The Wilson score interval of a binomial rate successes / n at the normal quantile z (1.96: 95 %);
// [0, 1] when n == 0.
struct Interval {
  double low, high;
};
Interval wilson_interval(int64_t successes, int64_t n, double z = 1.96);

// Two-sided Fisher exact test of equal rates, `a` successes of `n1` against `b` of `n2`: the
// total probability, under the hypergeometric null with both margins fixed, of the tables at most
// as likely as the observed one (relative tolerance 1e-7, as R's fisher.test).
double fisher_exact_p(int64_t a, int64_t n1, int64_t b, int64_t n2);

// 2 E|X - Y| - E|X - X'| - E|Y - Y'| over all pairs (V-statistics), Euclidean norm.
double energy_distance(const Tensor& a, const Tensor& b);

}  // namespace lethe
