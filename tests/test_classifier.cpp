// The evaluation classifier: junk generation, and the shipped weights' held-out accuracy (the
// measuring instrument every unlearning figure depends on). The accuracy test needs the MNIST
// test split (`make test` fetches it with tools/fetch_mnist.sh) and skips with a message without.
#include <doctest/doctest.h>

#include <filesystem>

#include "lethe/eval/classifier.h"

using namespace lethe;

namespace {

const std::string kData = std::string(LETHE_SOURCE_DIR) + "/data/mnist";
const std::string kWeights =
    std::string(LETHE_SOURCE_DIR) + "/weights/mnist-classifier.safetensors";

ImageDataset fixture_digits() {
  Generator noise(2);
  const Tensor pixels = noise.uniform({20, 1, 28, 28}, 0, 255).to(DType::u8);
  std::vector<int64_t> labels;
  for (int i = 0; i < 20; ++i) labels.push_back(i % 10);
  return {pixels, Tensor::from_vector(labels, {20})};
}

}  // namespace

TEST_CASE("junk images: every kind in [-1, 1], of the right shape, and different per draw") {
  const ImageDataset digits = fixture_digits();
  Generator noise(1);
  for (JunkKind kind : kJunkKinds) {
    const Tensor junk = make_junk(kind, digits, 6, noise);
    CHECK(junk.shape() == Shape{6, 1, 28, 28});
    const std::vector<float> values = junk.to_float_vector();
    for (float v : values) CHECK((v >= -1.0f && v <= 1.0f));
    CHECK(std::vector<float>(values.begin(), values.begin() + 784) !=
          std::vector<float>(values.begin() + 784, values.begin() + 1568));
  }
  const Tensor shifted = random_shift(digits.float_images({0, 1}), 2, noise);
  CHECK(shifted.shape() == Shape{2, 1, 28, 28});
}

TEST_CASE("the shipped classifier: >= 98.5% on held-out digits, >= 95% none on held-out junk") {
  if (!std::filesystem::exists(kData + "/t10k-images-idx3-ubyte")) {
    MESSAGE("skipped: " << kData << " is missing (tools/fetch_mnist.sh fetches it)");
    return;
  }
  const auto classifier = load_classifier(kWeights);
  const ClassifierAccuracy accuracy =
      evaluate_classifier(*classifier, load_idx_dataset(kData, "test"), 1234);
  MESSAGE("held-out digits " << accuracy.digits << " (" << accuracy.digit_count
                             << " images), junk classified none " << accuracy.junk << " ("
                             << accuracy.junk_count << " images)");
  CHECK(accuracy.digits >= 0.985);
  CHECK(accuracy.junk >= 0.95);
}
