// Bits per dimension of held-out images under a score model, with the spread across images:
// `lethe bpd` and the MSGM experiment's likelihood column.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "lethe/diffusion/likelihood.h"
#include "lethe/diffusion/score_model.h"

namespace lethe {

struct ImagesBitsPerDim {
  std::vector<double> per_image;
  double mean = 0;
  double standard_error = 0;  // sample standard deviation / sqrt(N)
  int64_t nfe = 0;            // ODE right-hand-side evaluations over all batches
};

// images (N, ...) in [-1, 1], on any device, all conditioned on `label` (a class or the model's
// null label), in batches of `batch` on the model's device; one noise stream from `seed` across
// the batches. progress(done) after each batch.
ImagesBitsPerDim images_bits_per_dim(const ScoreModel& model, const Tensor& images, int64_t label,
                                     const LikelihoodConfig& likelihood, int64_t batch,
                                     uint64_t seed,
                                     const std::function<void(int64_t)>& progress = nullptr);

}  // namespace lethe
