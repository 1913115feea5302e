// The engine end to end on 2-D data: a toy score model trains to a stated loss, its samples land on
// the mixture's modes, and a checkpoint/resume run reproduces the uninterrupted run bit for bit.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "lethe/diffusion/toy_trainer.h"

using namespace lethe;

namespace {

std::string temp_path(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "lethe_test_toy";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

ToyTrainingConfig small_config() {
  ToyTrainingConfig config;
  config.batch = 128;
  config.hidden = 64;
  config.depth = 2;
  config.seed = 42;
  return config;
}

}  // namespace

TEST_CASE("a 2-D MLP score model trains to a stated DSM loss and samples the mixture's modes") {
  ToyTrainingConfig config = small_config();
  ToyScoreTrainer trainer(config);
  double first_losses = 0, last_losses = 0;
  trainer.train_until(800, [&](int64_t step, double loss) {
    if (step <= 50) first_losses += loss / 50;
    if (step > 700) last_losses += loss / 100;
  });
  MESSAGE("mean DSM loss: steps 1-50 " << first_losses << ", steps 701-800 " << last_losses);
  // The DSM loss of the zero predictor is 1; a trained model on this mixture sits near 0.33.
  CHECK(first_losses > 0.6);
  CHECK(last_losses < 0.45);

  const Tensor samples = trainer.sample(2000, 200, 7);
  // Each desirable mode holds 40% of the mass (0.4 * P(r <= 3 sigma) = 0.396 within 1.5).
  CHECK(fraction_in_disc(samples, 2, 2, 1.5) == doctest::Approx(0.396).epsilon(0.15));
  CHECK(fraction_in_disc(samples, -2, -2, 1.5) == doctest::Approx(0.396).epsilon(0.15));
  const double centre = fraction_in_disc(samples, 0, 0, 1);
  CHECK(centre > 0.05);
  CHECK(centre < 0.3);
}

TEST_CASE("the toy mixture's disc mass matches the closed form") {
  const GaussianMixture mixture = GaussianMixture::preset("toy-msgm");
  // 0.2 * P(chi2_2 <= 1 / 0.25) = 0.2 (1 - e^-2) for the centred component; the outer ones add
  // about 1e-4 (the spec's 0.173 in total).
  CHECK(mixture.mass_in_disc(0, 0, 1) == doctest::Approx(0.2 * (1 - std::exp(-2.0))).epsilon(2e-3));
  CHECK(mixture.mass_in_disc(0, 0, 1) == doctest::Approx(0.173).epsilon(2e-3));
  CHECK(mixture.mass_in_disc(0, 0, 6) == doctest::Approx(1.0).epsilon(1e-5));
}

TEST_CASE("checkpoint and resume reproduce an uninterrupted run bit for bit") {
  const ToyTrainingConfig config = small_config();
  std::vector<double> straight, resumed;
  ToyScoreTrainer uninterrupted(config);
  uninterrupted.train_until(20, [&](int64_t, double loss) { straight.push_back(loss); });

  const std::string path = temp_path("resume.safetensors");
  {
    ToyScoreTrainer first_half(config);
    first_half.train_until(10, [&](int64_t, double loss) { resumed.push_back(loss); });
    first_half.save_checkpoint(path);
  }
  ToyScoreTrainer second_half(config);
  second_half.load_checkpoint(path);
  CHECK(second_half.step() == 10);
  second_half.train_until(20, [&](int64_t, double loss) { resumed.push_back(loss); });
  REQUIRE(resumed.size() == straight.size());
  for (size_t i = 0; i < straight.size(); ++i) CHECK(resumed[i] == straight[i]);
  const Tensor a = uninterrupted.sample(16, 10, 3), b = second_half.sample(16, 10, 3);
  CHECK(a.to_float_vector() == b.to_float_vector());
}

TEST_CASE("loading a checkpoint of another configuration or a damaged one fails clearly") {
  ToyTrainingConfig config = small_config();
  const std::string path = temp_path("config.safetensors");
  ToyScoreTrainer(config).save_checkpoint(path);

  ToyTrainingConfig other = config;
  other.sde = "ve";
  ToyScoreTrainer mismatched(other);
  CHECK_THROWS_WITH_AS(mismatched.load_checkpoint(path), doctest::Contains("'sde'"), Error);

  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size / 2);
  ToyScoreTrainer reader(config);
  CHECK_THROWS_AS(reader.load_checkpoint(path), Error);
  CHECK_THROWS_WITH_AS(reader.load_checkpoint(temp_path("missing.safetensors")),
                       doctest::Contains("missing.safetensors"), Error);
}
