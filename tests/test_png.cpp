// PNG output: the file's signature and IHDR, the grid layout pixel by pixel (decoded with
// stb_image), the value mapping, and shape errors.
#include "lethe/io/png.h"

#include <unistd.h>

#include <doctest/doctest.h>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#include <stb/stb_image.h>

using lethe::Tensor;

namespace {

// A fresh directory under the system temp dir, removed with its contents at scope exit.
struct TempDir {
  std::filesystem::path path;

  TempDir() {
    static int directories_made = 0;
    path = std::filesystem::temp_directory_path() / ("lethe_test_png_" + std::to_string(getpid()) +
                                                     "_" + std::to_string(directories_made++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string read_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

uint32_t big_endian_u32(const std::string& bytes, size_t offset) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i)
    value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
  return value;
}

struct PngHeader {
  uint32_t width = 0, height = 0;
  int bit_depth = 0, color_type = 0;  // color type 0: gray, 2: RGB
};

// Checks the PNG signature and that IHDR comes first, and returns IHDR's fields.
PngHeader read_png_header(const std::string& bytes) {
  REQUIRE(bytes.size() >= 33);
  CHECK(bytes.substr(0, 8) == "\x89PNG\r\n\x1a\n");
  CHECK(big_endian_u32(bytes, 8) == 13);  // IHDR's data length
  CHECK(bytes.substr(12, 4) == "IHDR");
  return {big_endian_u32(bytes, 16), big_endian_u32(bytes, 20), bytes[24], bytes[25]};
}

// Decoded pixels, (height, width, channels) row-major.
std::vector<uint8_t> decode_png(const std::string& bytes, int channels) {
  int width = 0, height = 0, channels_in_file = 0;
  unsigned char* pixels =
      stbi_load_from_memory(reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()), &width, &height, &channels_in_file, 0);
  REQUIRE(pixels != nullptr);
  CHECK(channels_in_file == channels);
  std::vector<uint8_t> result(pixels, pixels + size_t(width) * height * channels);
  stbi_image_free(pixels);
  return result;
}

// A value in [-1, 1] that maps to exactly `byte`.
float value_of_byte(int byte) {
  return -1.0f + 2.0f * static_cast<float>(byte) / 255.0f;
}

std::string error_message(const std::function<void()>& action) {
  try {
    action();
  } catch (const lethe::Error& error) {
    return error.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("png: a gray grid has the documented size and every pixel in its place") {
  const int count = 5, height = 3, width = 2, columns = 2, padding = 1;
  std::vector<float> values;  // (N, 1, H, W); pixel i of image n maps to byte 1 + 10 * n + i
  for (int n = 0; n < count; ++n) {
    for (int i = 0; i < height * width; ++i) values.push_back(value_of_byte(1 + 10 * n + i));
  }
  TempDir dir;
  const std::string path = dir.file("grid.png");
  lethe::write_image_grid(path, Tensor::from_vector(values, {count, 1, height, width}), columns, -1,
                          1, padding);

  const std::string bytes = read_bytes(path);
  const PngHeader header = read_png_header(bytes);
  const int grid_width = 2 * (width + padding) + padding;    // 7
  const int grid_height = 3 * (height + padding) + padding;  // 13
  CHECK(header.width == grid_width);
  CHECK(header.height == grid_height);
  CHECK(header.bit_depth == 8);
  CHECK(header.color_type == 0);

  const std::vector<uint8_t> pixels = decode_png(bytes, 1);
  std::vector<int> expected(grid_width * grid_height, 0);
  for (int n = 0; n < count; ++n) {
    const int top = (n / columns) * (height + padding) + padding;
    const int left = (n % columns) * (width + padding) + padding;
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        expected[(top + y) * grid_width + left + x] = 1 + 10 * n + y * width + x;
      }
    }
  }
  CHECK(std::vector<int>(pixels.begin(), pixels.end()) == expected);
}

TEST_CASE("png: an RGB grid with more columns than images uses one row") {
  const int count = 2, height = 4, width = 5, padding = 2;
  std::vector<float> values(count * 3 * height * width);
  for (size_t i = 0; i < values.size(); ++i) values[i] = value_of_byte(static_cast<int>(i % 251));
  TempDir dir;
  const std::string path = dir.file("rgb.png");
  lethe::write_image_grid(path, Tensor::from_vector(values, {count, 3, height, width}), 8);

  const std::string bytes = read_bytes(path);
  const PngHeader header = read_png_header(bytes);
  CHECK(header.width == 2 * (width + padding) + padding);  // 16
  CHECK(header.height == height + 2 * padding);            // 8
  CHECK(header.color_type == 2);

  const std::vector<uint8_t> pixels = decode_png(bytes, 3);
  const int grid_width = header.width;
  // Image 1, channel 2 (blue), row 3, column 4, sits at grid (2 + 3, 9 + 4).
  const size_t source = ((1 * 3 + 2) * height + 3) * width + 4;
  CHECK(pixels[((2 + 3) * grid_width + 9 + 4) * 3 + 2] == source % 251);
  CHECK(pixels[(0 * grid_width + 0) * 3 + 0] == 0);  // the padding is black
}

TEST_CASE("png: values map from [low, high] to [0, 255] with clamping and rounding") {
  const std::vector<float> values = {0.0f, 1.0f, 0.5f, -3.0f, 7.0f, NAN, 0.25f, 0.998f};
  TempDir dir;
  const std::string path = dir.file("values.png");
  lethe::write_image_grid(path, Tensor::from_vector(values, {8, 1, 1, 1}), 8, 0, 1, 0);

  const std::string bytes = read_bytes(path);
  CHECK(read_png_header(bytes).width == 8);
  const std::vector<uint8_t> pixels = decode_png(bytes, 1);
  CHECK(std::vector<int>(pixels.begin(), pixels.end()) ==
        std::vector<int>{0, 255, 128, 0, 255, 0, 64, 254});
}

TEST_CASE("png: row labels sit in a left margin, in white, one per row; a wrong count is an error") {
  TempDir dir;
  const std::string path = dir.file("labelled.png");
  // Two rows of two black 10x10 images; labels "7" and "null".
  lethe::write_image_grid(path, Tensor::full({4, 1, 10, 10}, -1.0), 2, {"7", "null"});
  const std::string bytes = read_bytes(path);
  const PngHeader header = read_png_header(bytes);
  const std::vector<uint8_t> pixels = decode_png(bytes, 1);
  const int unlabelled_width = 2 * (10 + 2) + 2;
  const int margin = header.width - unlabelled_width;
  CHECK(margin > 6);  // "null" is wider than one glyph plus the gaps
  CHECK(header.height == 2 * (10 + 2) + 2);
  // White pixels only in the margin, some in each row's band.
  int white_row0 = 0, white_row1 = 0, white_outside = 0;
  for (int y = 0; y < static_cast<int>(header.height); ++y) {
    for (int x = 0; x < static_cast<int>(header.width); ++x) {
      if (pixels[y * header.width + x] != 255) continue;
      if (x >= margin) ++white_outside;
      else if (y < 2 + 10 + 1) ++white_row0;
      else ++white_row1;
    }
  }
  CHECK(white_row0 > 5);
  CHECK(white_row1 > white_row0);  // "null" has more strokes than "7"
  CHECK(white_outside == 0);
  CHECK(error_message([&] {
          lethe::write_image_grid(path, Tensor::full({4, 1, 10, 10}, -1.0), 2, {"only one"});
        }).find("1 row labels for 2 rows") != std::string::npos);
}

TEST_CASE("png: write_png writes the given pixels") {
  const std::vector<uint8_t> pixels = {10, 20, 30, 40, 50, 60};  // 3 x 2 gray
  TempDir dir;
  const std::string path = dir.file("plain.png");
  lethe::write_png(path, pixels.data(), 3, 2, 1);
  const std::string bytes = read_bytes(path);
  const PngHeader header = read_png_header(bytes);
  CHECK(header.width == 3);
  CHECK(header.height == 2);
  CHECK(decode_png(bytes, 1) == pixels);
}

TEST_CASE("png: bad shapes and arguments are errors naming the file") {
  TempDir dir;
  const std::string path = dir.file("bad.png");
  const auto grid_error = [&](const Tensor& images, int columns, float low, float high,
                              int padding) {
    const std::string message =
        error_message([&] { lethe::write_image_grid(path, images, columns, low, high, padding); });
    CHECK(contains(message, path));
    return message;
  };
  const Tensor good = Tensor::zeros({2, 3, 4, 4});
  CHECK(contains(grid_error(Tensor::zeros({3, 4, 4}), 2, -1, 1, 2), "(N, C, H, W)"));
  CHECK(contains(grid_error(Tensor::zeros({2, 2, 4, 4}), 2, -1, 1, 2), "C = 1 or 3"));
  CHECK(contains(grid_error(Tensor::zeros({0, 3, 4, 4}), 2, -1, 1, 2), "non-empty"));
  CHECK(contains(grid_error(Tensor::zeros({2, 3, 4, 4}, lethe::DType::f64), 2, -1, 1, 2),
                 "got f64 (2, 3, 4, 4)"));
  CHECK(contains(grid_error(good, 0, -1, 1, 2), "columns > 0"));
  CHECK(contains(grid_error(good, 2, -1, 1, -1), "padding >= 0"));
  CHECK(contains(grid_error(good, 2, 1, 1, 2), "high > low"));

  const uint8_t pixel = 0;
  CHECK(contains(error_message([&] { lethe::write_png(path, &pixel, 1, 1, 5); }),
                 "5 channels, expected 1 to 4"));
  CHECK(contains(error_message([&] { lethe::write_png(path, &pixel, 0, 1, 1); }), "empty"));
  CHECK(
      contains(error_message([&] { lethe::write_png(path, &pixel, 1 << 30, 4, 3); }), "too large"));
  CHECK(contains(grid_error(Tensor::zeros({1, 1, 1, 1}), 1, -1, 1, 1 << 30), "too large"));
}

TEST_CASE("png: a failed write leaves no file behind") {
  TempDir dir;
  const std::string path = dir.file("missing/grid.png");
  const std::string message = error_message([&] {
    lethe::write_image_grid(path, Tensor::zeros({1, 1, 2, 2}), 1);
  });
  CHECK(contains(message, path));
  CHECK(std::filesystem::is_empty(dir.path));
}
