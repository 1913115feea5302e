#include "lethe/eval/likelihood_evaluation.h"

#include <algorithm>
#include <cmath>

#include "lethe/eval/image_selection.h"

namespace lethe {

ImagesBitsPerDim images_bits_per_dim(const ScoreModel& model, const Tensor& images, int64_t label,
                                     const LikelihoodConfig& likelihood, int64_t batch,
                                     uint64_t seed, const std::function<void(int64_t)>& progress) {
  LETHE_CHECK(batch >= 1, "bits per dimension: batch ", batch, " must be positive");
  const int64_t n = images.dim(0);
  LETHE_CHECK(n >= 1, "bits per dimension: no images");
  Generator noise(seed, 0);
  ImagesBitsPerDim out;
  for (int64_t first = 0; first < n; first += batch) {
    const int64_t last = std::min(n, first + batch);
    const ScoreFn score = single_label_score(model, label, last - first);
    const LikelihoodResult result = bits_per_dim(
        score, model.sde(), likelihood, images.slice_batch(first, last).to(model.device()), noise);
    for (double v : result.bits_per_dim.to(Device::cpu).to_double_vector())
      out.per_image.push_back(v);
    out.nfe += result.nfe;
    if (progress) progress(last);
  }
  for (double v : out.per_image) out.mean += v / n;
  double variance = 0;
  for (double v : out.per_image)
    variance += (v - out.mean) * (v - out.mean) / std::max<int64_t>(n - 1, 1);
  out.standard_error = std::sqrt(variance / n);
  return out;
}

}  // namespace lethe
