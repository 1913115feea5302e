// Index gathers and scatters against the CPU kernels, emulated and native: embedding rows and
// their gradient (repeated indices included), and cross-entropy's column pick and its gradient.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "lethe/cpu/indexing.h"
#include "lethe/cuda/indexing.h"
#include "test_cuda_support.h"

namespace {

using lethe::cuda::Target;
using lethe::cuda::testing::kParityTolerance;
using lethe::cuda::testing::normalised_mse;
using lethe::cuda::testing::random_values;
using lethe::cuda::testing::TargetBuffer;

std::vector<int64_t> random_indices(int64_t count, int64_t limit, std::mt19937& rng) {
  std::uniform_int_distribution<int64_t> pick(0, limit - 1);
  std::vector<int64_t> indices(count);
  for (int64_t& index : indices) index = pick(rng);
  return indices;
}

struct TableShape {
  int64_t rows, width, count;
};
const TableShape kTables[] = {{1, 1, 1}, {11, 32, 7}, {11, 128, 130}, {3, 5, 300}};

template <Target target>
void check_embedding_rows() {
  std::mt19937 rng(61);
  for (const TableShape& s : kTables) {
    CAPTURE(s.rows);
    CAPTURE(s.count);
    const auto weight = random_values(s.rows * s.width, rng);
    const auto grad_out = random_values(s.count * s.width, rng);
    const auto indices = random_indices(s.count, s.rows, rng);
    std::vector<float> out(s.count * s.width), grad_weight(s.rows * s.width);
    lethe::cpu::gather_rows(weight.data(), s.width, indices.data(), s.count, out.data());
    lethe::cpu::scatter_add_rows(grad_out.data(), s.width, indices.data(), s.count,
                                 grad_weight.data(), s.rows);
    TargetBuffer<target> weight_t(weight), grad_out_t(grad_out), out_t(out.size());
    TargetBuffer<target> grad_weight_t(grad_weight.size());
    TargetBuffer<target, int64_t> indices_t(indices);
    lethe::cuda::gather_rows<target>(weight_t.data(), s.width, indices_t.data(), s.count,
                                     out_t.data());
    lethe::cuda::scatter_add_rows<target>(grad_out_t.data(), s.width, indices_t.data(), s.count,
                                          grad_weight_t.data(), s.rows);
    CHECK(normalised_mse(out_t.download(), out) <= kParityTolerance);
    CHECK(normalised_mse(grad_weight_t.download(), grad_weight) <= kParityTolerance);
  }
}

template <Target target>
void check_cross_entropy_columns() {
  std::mt19937 rng(62);
  for (const TableShape& s : kTables) {
    CAPTURE(s.count);
    const auto values = random_values(s.count * s.width, rng);
    const auto grad_picked = random_values(s.count, rng);
    const auto indices = random_indices(s.count, s.width, rng);
    std::vector<float> picked(s.count), grad_values(s.count * s.width, 0.0f);
    lethe::cpu::gather_columns(values.data(), s.width, indices.data(), s.count, picked.data());
    for (int64_t i = 0; i < s.count; ++i) grad_values[i * s.width + indices[i]] = grad_picked[i];
    TargetBuffer<target> values_t(values), grad_picked_t(grad_picked), picked_t(s.count);
    TargetBuffer<target> grad_values_t(grad_values.size());
    TargetBuffer<target, int64_t> indices_t(indices);
    lethe::cuda::gather_columns<target>(values_t.data(), s.width, indices_t.data(), s.count,
                                        picked_t.data());
    lethe::cuda::scatter_columns<target>(grad_picked_t.data(), s.width, indices_t.data(), s.count,
                                         grad_values_t.data());
    CHECK(normalised_mse(picked_t.download(), picked) <= kParityTolerance);
    CHECK(normalised_mse(grad_values_t.download(), grad_values) <= kParityTolerance);
  }
}

}  // namespace

LETHE_CUDA_PARITY_TEST("embedding gather and scatter-add", check_embedding_rows)
LETHE_CUDA_PARITY_TEST("cross-entropy column gather and scatter", check_cross_entropy_columns)
