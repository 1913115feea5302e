// Generated "none" images for the classifier: noise, blends of two digits of different classes,
// heavy blur and large erasures, all in the data's [-1, 1] scale.
#include <algorithm>
#include <cmath>

#include "lethe/eval/classifier.h"

namespace lethe {
namespace {

constexpr int kSide = 28;
constexpr int kPixels = kSide * kSide;

int64_t random_index(Generator& noise, int64_t limit) {
  return noise.randint({1}, 0, limit).data<int64_t>()[0];
}

double random_uniform(Generator& noise, double low, double high) {
  return noise.uniform({1}, low, high).data<float>()[0];
}

// Three passes of a (2r+1)^2 box filter: close to a Gaussian of sigma ~ r.
void box_blur(float* image, int radius) {
  std::vector<float> copy(kPixels);
  for (int pass = 0; pass < 3; ++pass) {
    std::copy(image, image + kPixels, copy.begin());
    for (int y = 0; y < kSide; ++y) {
      for (int x = 0; x < kSide; ++x) {
        double total = 0;
        int count = 0;
        for (int dy = -radius; dy <= radius; ++dy) {
          for (int dx = -radius; dx <= radius; ++dx) {
            const int yy = y + dy, xx = x + dx;
            if (yy < 0 || yy >= kSide || xx < 0 || xx >= kSide) continue;
            total += copy[yy * kSide + xx];
            ++count;
          }
        }
        image[y * kSide + x] = static_cast<float>(total / count);
      }
    }
  }
}

void fill_noise(float* image, Generator& noise) {
  const Tensor values =
      noise.normal({kPixels}, random_uniform(noise, -0.9, 0.2), random_uniform(noise, 0.2, 0.9));
  std::copy(values.data<float>(), values.data<float>() + kPixels, image);
  if (random_uniform(noise, 0, 1) < 0.5) box_blur(image, 1);  // smooth noise too
  for (int i = 0; i < kPixels; ++i) image[i] = std::clamp(image[i], -1.0f, 1.0f);
}

void fill_blend(float* image, const ImageDataset& source, Generator& noise) {
  const int64_t a = random_index(noise, source.size());
  int64_t b = random_index(noise, source.size());
  while (source.labels.data<int64_t>()[b] == source.labels.data<int64_t>()[a]) {
    b = random_index(noise, source.size());
  }
  const Tensor pair = source.float_images({a, b});
  const float weight = static_cast<float>(random_uniform(noise, 0.4, 0.6));
  for (int i = 0; i < kPixels; ++i) {
    image[i] = weight * pair.data<float>()[i] + (1 - weight) * pair.data<float>()[kPixels + i];
  }
}

void fill_blur(float* image, const ImageDataset& source, Generator& noise) {
  const Tensor digit = source.float_images({random_index(noise, source.size())});
  std::copy(digit.data<float>(), digit.data<float>() + kPixels, image);
  box_blur(image, 3 + static_cast<int>(random_index(noise, 2)));
}

// Keeps a random rectangle of a quarter to a third of the image; the rest becomes background.
void fill_erase(float* image, const ImageDataset& source, Generator& noise) {
  const Tensor digit = source.float_images({random_index(noise, source.size())});
  const int height = 10 + static_cast<int>(random_index(noise, 6));
  const int width = 10 + static_cast<int>(random_index(noise, 6));
  const int top = static_cast<int>(random_index(noise, kSide - height + 1));
  const int left = static_cast<int>(random_index(noise, kSide - width + 1));
  for (int y = 0; y < kSide; ++y) {
    for (int x = 0; x < kSide; ++x) {
      const bool kept = y >= top && y < top + height && x >= left && x < left + width;
      image[y * kSide + x] = kept ? digit.data<float>()[y * kSide + x] : -1.0f;
    }
  }
}

}  // namespace

Tensor make_junk(JunkKind kind, const ImageDataset& source, int64_t count, Generator& noise) {
  LETHE_CHECK(source.size() > 0 && source.images.dim(2) == kSide && source.images.dim(3) == kSide,
              "make_junk needs 28x28 source digits, got ", describe(source.images));
  Tensor junk = Tensor::empty({count, 1, kSide, kSide});
  for (int64_t i = 0; i < count; ++i) {
    float* image = junk.data<float>() + i * kPixels;
    switch (kind) {
      case JunkKind::noise:
        fill_noise(image, noise);
        break;
      case JunkKind::blend:
        fill_blend(image, source, noise);
        break;
      case JunkKind::blur:
        fill_blur(image, source, noise);
        break;
      case JunkKind::erase:
        fill_erase(image, source, noise);
        break;
    }
  }
  return junk;
}

Tensor random_shift(const Tensor& images, int max_shift, Generator& noise) {
  LETHE_CHECK(images.rank() == 4 && images.dim(1) == 1, "random_shift: expected (B, 1, H, W), got ",
              describe(images));
  const int64_t count = images.dim(0), side_h = images.dim(2), side_w = images.dim(3);
  const Tensor shifts = noise.randint({count, 2}, -max_shift, max_shift + 1);
  Tensor out = Tensor::full(images.shape(), -1.0);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t dy = shifts.data<int64_t>()[2 * i], dx = shifts.data<int64_t>()[2 * i + 1];
    const float* in = images.data<float>() + i * side_h * side_w;
    float* target = out.data<float>() + i * side_h * side_w;
    for (int64_t y = 0; y < side_h; ++y) {
      for (int64_t x = 0; x < side_w; ++x) {
        const int64_t sy = y - dy, sx = x - dx;
        if (sy >= 0 && sy < side_h && sx >= 0 && sx < side_w) {
          target[y * side_w + x] = in[sy * side_w + sx];
        }
      }
    }
  }
  return out;
}

}  // namespace lethe
