#include "lethe/io/png.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <vector>

#include "lethe/io/atomic_file.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
#include <stb_image_write.h>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

namespace lethe {
namespace {

// stb_image_write callback: appends the encoded bytes to a std::vector<unsigned char>.
void append_encoded(void* context, void* bytes, int count) {
  auto* encoded = static_cast<std::vector<unsigned char>*>(context);
  const auto* begin = static_cast<const unsigned char*>(bytes);
  encoded->insert(encoded->end(), begin, begin + count);
}

uint8_t to_byte(float value, float low, float high) {
  const float scaled = (value - low) * (255.0f / (high - low));
  if (!(scaled > 0)) return 0;  // also NaN
  if (scaled >= 255) return 255;
  return static_cast<uint8_t>(scaled + 0.5f);
}

// stb_image_write holds the filtered image, (width * channels + 1) * height bytes, in an int.
bool fits_png(int64_t width, int64_t height, int64_t channels) {
  return width <= INT_MAX && width * channels + 1 <= INT_MAX &&
         height <= INT_MAX / (width * channels + 1);
}

// Row labels: stb_easy_font's ASCII bitmap glyphs (quads at 1 px per font unit; capitals and
// digits 7 px tall), drawn white.
constexpr int64_t kLabelGap = 3;     // pixels left and right of a label
constexpr int64_t kLabelHeight = 7;  // of a capital or digit

int64_t label_width(const std::string& label) {
  std::vector<char> text(label.begin(), label.end());
  text.push_back('\0');
  return stb_easy_font_width(text.data());
}

// Draws `label` with its top-left corner at (x, y) into `pixels` (H, W, C).
void draw_label(const std::string& label, int64_t x, int64_t y, std::vector<uint8_t>& pixels,
                int64_t width, int64_t height, int64_t channels) {
  std::vector<char> text(label.begin(), label.end());
  text.push_back('\0');
  std::vector<char> quads(300 * (label.size() + 1));  // stb: about 270 bytes per character
  const int count = stb_easy_font_print(static_cast<float>(x), static_cast<float>(y), text.data(),
                                        nullptr, quads.data(), static_cast<int>(quads.size()));
  constexpr int kVertexBytes = 16;  // x, y, z floats and 4 colour bytes
  for (int quad = 0; quad < count; ++quad) {
    float corner[4][2];
    for (int v = 0; v < 4; ++v) {
      std::memcpy(corner[v], quads.data() + (quad * 4 + v) * kVertexBytes, 2 * sizeof(float));
    }
    const auto x0 = static_cast<int64_t>(std::lround(std::min(corner[0][0], corner[2][0])));
    const auto x1 = static_cast<int64_t>(std::lround(std::max(corner[0][0], corner[2][0])));
    const auto y0 = static_cast<int64_t>(std::lround(std::min(corner[0][1], corner[2][1])));
    const auto y1 = static_cast<int64_t>(std::lround(std::max(corner[0][1], corner[2][1])));
    for (int64_t py = std::max<int64_t>(0, y0); py < std::min(height, y1); ++py) {
      for (int64_t px = std::max<int64_t>(0, x0); px < std::min(width, x1); ++px) {
        for (int64_t c = 0; c < channels; ++c) pixels[(py * width + px) * channels + c] = 255;
      }
    }
  }
}

}  // namespace

void write_png(const std::string& path, const uint8_t* pixels, int width, int height,
               int channels) {
  LETHE_CHECK(pixels != nullptr, "write_png '", path, "': no pixels");
  LETHE_CHECK(channels >= 1 && channels <= 4, "write_png '", path, "': ", channels,
              " channels, expected 1 to 4");
  LETHE_CHECK(width > 0 && height > 0, "write_png '", path, "': image size ", width, "x", height,
              " is empty");
  LETHE_CHECK(fits_png(width, height, channels), "write_png '", path, "': image size ", width, "x",
              height, "x", channels, " is too large for PNG output");
  std::vector<unsigned char> encoded;
  if (!stbi_write_png_to_func(append_encoded, &encoded, width, height, channels, pixels,
                              width * channels)) {
    fail("write_png '", path, "': PNG encoding failed");
  }
  AtomicFileWriter writer(path);
  writer.write(encoded.data(), encoded.size());
  writer.commit();
}

void write_image_grid(const std::string& path, const Tensor& images, int columns,
                      const std::vector<std::string>& row_labels) {
  write_image_grid(path, images, columns, -1, 1, 2, row_labels);
}

void write_image_grid(const std::string& path, const Tensor& images, int columns, float low,
                      float high, int padding, const std::vector<std::string>& row_labels) {
  LETHE_CHECK(images.defined() && images.dtype() == DType::f32 && images.rank() == 4 &&
                  (images.dim(1) == 1 || images.dim(1) == 3) && images.dim(0) > 0,
              "write_image_grid '", path, "': images must be a non-empty f32 (N, C, H, W) with ",
              "C = 1 or 3, got ", describe(images));
  LETHE_CHECK(columns > 0 && padding >= 0 && high > low, "write_image_grid '", path,
              "': needs columns > 0, padding >= 0 and high > low, got columns ", columns,
              ", padding ", padding, ", range [", low, ", ", high, "]");
  const Tensor host = images.to(Device::cpu);
  const float* values = host.data<float>();  // (N, C, H, W)
  const int64_t count = host.dim(0), channels = host.dim(1);
  const int64_t height = host.dim(2), width = host.dim(3);
  const int64_t grid_columns = std::min<int64_t>(columns, count);
  const int64_t grid_rows = (count + grid_columns - 1) / grid_columns;
  LETHE_CHECK(row_labels.empty() || static_cast<int64_t>(row_labels.size()) == grid_rows,
              "write_image_grid '", path, "': ", row_labels.size(), " row labels for ", grid_rows,
              " rows");
  int64_t margin = 0;  // the label column, left of the images
  for (const std::string& label : row_labels) {
    margin = std::max<int64_t>(margin, label_width(label) + 2 * kLabelGap);
  }
  const int64_t grid_width = margin + grid_columns * (width + padding) + padding;
  const int64_t grid_height = grid_rows * (height + padding) + padding;
  LETHE_CHECK(fits_png(grid_width, grid_height, channels), "write_image_grid '", path,
              "': grid of ", grid_width, "x", grid_height, " pixels is too large for PNG output");

  std::vector<uint8_t> pixels(grid_width * grid_height * channels, 0);  // (H, W, C), black
  for (int64_t image = 0; image < count; ++image) {
    const int64_t top = (image / grid_columns) * (height + padding) + padding;
    const int64_t left = margin + (image % grid_columns) * (width + padding) + padding;
    for (int64_t channel = 0; channel < channels; ++channel) {
      const float* plane = values + (image * channels + channel) * height * width;
      for (int64_t y = 0; y < height; ++y) {
        for (int64_t x = 0; x < width; ++x) {
          pixels[((top + y) * grid_width + left + x) * channels + channel] =
              to_byte(plane[y * width + x], low, high);
        }
      }
    }
  }
  for (size_t row = 0; row < row_labels.size(); ++row) {
    const int64_t top = static_cast<int64_t>(row) * (height + padding) + padding;
    draw_label(row_labels[row], kLabelGap, top + (height - kLabelHeight) / 2, pixels, grid_width,
               grid_height, channels);
  }
  write_png(path, pixels.data(), int(grid_width), int(grid_height), int(channels));
}

}  // namespace lethe
