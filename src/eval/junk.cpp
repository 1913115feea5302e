#include "lethe/eval/junk.h"

#include <algorithm>
#include <cmath>

#include "lethe/core/int_list.h"
#include "lethe/io/safetensors.h"
#include "lethe/ops/ops.h"

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

// One random digit of `source`, copied into `image`.
void fill_digit(float* image, const ImageDataset& source, Generator& noise) {
  const Tensor digit = source.float_images({random_index(noise, source.size())});
  std::copy(digit.data<float>(), digit.data<float>() + kPixels, image);
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
  fill_digit(image, source, noise);
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

void fill_blank(float* image, Generator& noise) {
  const double pick = random_uniform(noise, 0, 3);
  const float level = pick < 1 ? -1.0f : pick < 2 ? 1.0f : random_uniform(noise, -1, 1);
  std::fill(image, image + kPixels, level);
  if (random_uniform(noise, 0, 1) < 0.5) {
    const Tensor grain = noise.normal({kPixels}, 0, random_uniform(noise, 0.01, 0.08));
    for (int i = 0; i < kPixels; ++i) {
      image[i] = std::clamp(image[i] + grain.data<float>()[i], -1.0f, 1.0f);
    }
  }
}

// Sets every pixel within `radius` (Chebyshev) of a stroke pixel (> 0) to white.
void dilate(float* image, int radius) {
  const std::vector<float> copy(image, image + kPixels);
  for (int y = 0; y < kSide; ++y) {
    for (int x = 0; x < kSide; ++x) {
      for (int dy = -radius; dy <= radius; ++dy) {
        for (int dx = -radius; dx <= radius; ++dx) {
          const int yy = y + dy, xx = x + dx;
          if (yy >= 0 && yy < kSide && xx >= 0 && xx < kSide && copy[yy * kSide + xx] > 0) {
            image[y * kSide + x] = 1.0f;
          }
        }
      }
    }
  }
}

void fill_saturated(float* image, const ImageDataset& source, Generator& noise) {
  fill_digit(image, source, noise);
  const double pick = random_uniform(noise, 0, 3);
  if (pick < 1) {  // inverted: white background, dark strokes
    for (int i = 0; i < kPixels; ++i) image[i] = -image[i];
  } else if (pick < 2) {  // a white block covering 40-100 % of the image
    const int height = static_cast<int>(std::ceil(random_uniform(noise, 0.63, 1.0) * kSide));
    const int width = std::min(kSide, static_cast<int>(std::ceil(0.4 * kSide * kSide / height)) +
                                          static_cast<int>(random_index(noise, kSide / 2)));
    const int top = static_cast<int>(random_index(noise, kSide - height + 1));
    const int left = static_cast<int>(random_index(noise, kSide - width + 1));
    for (int y = top; y < top + height; ++y) {
      std::fill(image + y * kSide + left, image + y * kSide + left + width, 1.0f);
    }
  } else {  // strokes swollen into a white blob
    dilate(image, 3 + static_cast<int>(random_index(noise, 3)));
  }
}

void fill_speckle(float* image, const ImageDataset& source, Generator& noise) {
  std::fill(image, image + kPixels, -1.0f);
  if (random_uniform(noise, 0, 1) < 0.5) {  // a ghost of a digit under the speckle
    fill_digit(image, source, noise);
    const float contrast = random_uniform(noise, 0.1, 0.4);
    for (int i = 0; i < kPixels; ++i) image[i] = -1 + contrast * (image[i] + 1);
  }
  const double density = random_uniform(noise, 0.03, 0.6);
  const Tensor draws = noise.uniform({2, kPixels}, 0, 1);
  const float* on = draws.data<float>();
  for (int i = 0; i < kPixels; ++i) {
    if (on[i] < density) image[i] = std::max(image[i], -0.3f + 1.3f * on[kPixels + i]);
  }
}

void fill_faint(float* image, const ImageDataset& source, Generator& noise) {
  fill_digit(image, source, noise);
  const float background = random_uniform(noise, 0, 1) < 0.7 ? -1.0f : random_uniform(noise, -1, 0);
  const float contrast = random_uniform(noise, 0.03, 0.2);  // of the full range 2
  for (int i = 0; i < kPixels; ++i) image[i] = background + contrast * (image[i] + 1);
}

// Averages the digit over `length` positions along a random direction (nearest-pixel steps).
void fill_smear(float* image, const ImageDataset& source, Generator& noise) {
  fill_digit(image, source, noise);
  const std::vector<float> copy(image, image + kPixels);
  const int length = 9 + static_cast<int>(random_index(noise, 7));
  const double angle = random_uniform(noise, 0, M_PI);
  const double step_y = std::sin(angle), step_x = std::cos(angle);
  for (int y = 0; y < kSide; ++y) {
    for (int x = 0; x < kSide; ++x) {
      double total = 0;
      for (int k = 0; k < length; ++k) {
        const double offset = k - (length - 1) / 2.0;
        const int yy = static_cast<int>(std::lround(y + offset * step_y));
        const int xx = static_cast<int>(std::lround(x + offset * step_x));
        total += yy >= 0 && yy < kSide && xx >= 0 && xx < kSide ? copy[yy * kSide + xx] : -1.0;
      }
      image[y * kSide + x] = static_cast<float>(total / length);
    }
  }
}

struct JunkName {
  JunkKind kind;
  const char* name;
};
constexpr JunkName kJunkNames[] = {
    {JunkKind::noise, "noise"},     {JunkKind::blend, "blend"}, {JunkKind::blur, "blur"},
    {JunkKind::erase, "erase"},     {JunkKind::blank, "blank"}, {JunkKind::saturated, "saturated"},
    {JunkKind::speckle, "speckle"}, {JunkKind::faint, "faint"}, {JunkKind::smear, "smear"}};

}  // namespace

const char* junk_kind_name(JunkKind kind) {
  for (const JunkName& entry : kJunkNames) {
    if (entry.kind == kind) return entry.name;
  }
  return "?";
}

std::vector<JunkKind> parse_junk_kinds(const std::string& text) {
  std::vector<JunkKind> kinds;
  for (const std::string& name : split_list(text)) {
    const JunkName* found = std::find_if(std::begin(kJunkNames), std::end(kJunkNames),
                                         [&](const JunkName& entry) { return name == entry.name; });
    if (found == std::end(kJunkNames)) {
      std::string known;
      for (const JunkName& entry : kJunkNames)
        known += std::string(known.empty() ? "" : ", ") + entry.name;
      fail("unknown junk family '", name, "' (known: ", known, ")");
    }
    kinds.push_back(found->kind);
  }
  LETHE_CHECK(!kinds.empty(), "expected at least one junk family, got '", text, "'");
  return kinds;
}

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
      case JunkKind::blank:
        fill_blank(image, noise);
        break;
      case JunkKind::saturated:
        fill_saturated(image, source, noise);
        break;
      case JunkKind::speckle:
        fill_speckle(image, source, noise);
        break;
      case JunkKind::faint:
        fill_faint(image, source, noise);
        break;
      case JunkKind::smear:
        fill_smear(image, source, noise);
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

FailedSamples load_failed_samples(const std::string& path) {
  const SafetensorsFile file = load_safetensors(path);
  auto images = [&](const char* name) {
    LETHE_CHECK(file.contains(name), "failed-samples file '", path, "' has no tensor '", name, "'");
    const Tensor pixels = file.at(name);
    LETHE_CHECK(pixels.dtype() == DType::u8 && pixels.rank() == 4 && pixels.dim(1) == 1 &&
                    pixels.dim(2) == kSide && pixels.dim(3) == kSide,
                "failed-samples file '", path, "': '", name, "' must be u8 (N, 1, 28, 28), got ",
                describe(pixels));
    return pixels.to(DType::f32) * (2.0 / 255.0) - 1.0;
  };
  return {images("train"), images("test")};
}

}  // namespace lethe
