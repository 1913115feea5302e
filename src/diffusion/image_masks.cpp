#include "lethe/diffusion/image_masks.h"

#include <cmath>
#include <limits>

namespace lethe {

Tensor inpainting_mask(const std::string& name, int64_t height, int64_t width) {
  Tensor mask = Tensor::ones({1, 1, height, width});
  float* data = mask.data<float>();
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t x = 0; x < width; ++x) {
      bool missing;
      if (name == "top") {
        missing = y >= height / 2;
      } else if (name == "right") {
        missing = x >= width / 2;
      } else if (name == "centre") {
        missing =
            y >= height / 4 && y < height - height / 4 && x >= width / 4 && x < width - width / 4;
      } else {
        fail("unknown inpainting mask '", name, "': expected top, right or centre");
      }
      if (missing) data[y * width + x] = 0;
    }
  }
  return mask;
}

std::vector<double> psnr(const Tensor& a, const Tensor& b, double range) {
  LETHE_CHECK(a.shape() == b.shape() && a.rank() >= 1, "psnr: shapes ", shape_str(a.shape()),
              " and ", shape_str(b.shape()), " must match");
  const std::vector<double> x = a.to_double_vector(), y = b.to_double_vector();
  const int64_t per_image = a.numel() / std::max<int64_t>(a.dim(0), 1);
  std::vector<double> values;
  for (int64_t i = 0; i < a.dim(0); ++i) {
    double squared = 0;
    for (int64_t k = 0; k < per_image; ++k) {
      const double d = x[i * per_image + k] - y[i * per_image + k];
      squared += d * d;
    }
    const double mse = squared / per_image;
    values.push_back(mse == 0 ? std::numeric_limits<double>::infinity()
                              : 10 * std::log10(range * range / mse));  // NaN stays NaN
  }
  return values;
}

}  // namespace lethe
