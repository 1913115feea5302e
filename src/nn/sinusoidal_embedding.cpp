#include <cmath>

#include "lethe/nn/sinusoidal_embedding.h"

namespace lethe {

Tensor sinusoidal_embedding(const Tensor& labels, int64_t width) {
  LETHE_CHECK(labels.rank() == 1 && width >= 4 && width % 2 == 0, "sinusoidal_embedding: labels ",
              describe(labels), " must be (B) and width ", width, " even and >= 4");
  const int64_t half = width / 2, batch = labels.dim(0);
  const std::vector<double> values = labels.to_double_vector();
  Tensor out = Tensor::empty({batch, width});
  float* data = out.data<float>();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t k = 0; k < half; ++k) {
      const double frequency = std::exp(-std::log(10000.0) * k / (half - 1));
      data[b * width + k] = static_cast<float>(std::sin(values[b] * frequency));
      data[b * width + half + k] = static_cast<float>(std::cos(values[b] * frequency));
    }
  }
  return out.to(labels.device());
}

}  // namespace lethe
