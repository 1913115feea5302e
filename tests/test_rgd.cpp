// RGD (docs/math.md#rgd-and-the-baselines): the restricted update against its closed form on a
// quadratic problem, and the U-Net unlearner's bookkeeping (retain sets, log fields, checkpoints
// that resume exactly).
#include <doctest/doctest.h>

#include <unistd.h>
#include <cmath>

#include <filesystem>

#include "digit_fixture.h"
#include "lethe/diffusion/score_trainer.h"
#include "lethe/io/image_dataset.h"
#include "lethe/io/safetensors.h"
#include "lethe/unlearn/gradient_unlearner.h"

using namespace lethe;
namespace fs = std::filesystem;

namespace {

class Point : public Module {
 public:
  explicit Point(const std::vector<float>& start) {
    theta =
        &add_parameter("theta", Tensor::from_vector(start, {static_cast<int64_t>(start.size())}));
  }
  Tensor* theta;
};

// L(theta) = 1/2 sum_i curvature_i (theta_i - centre_i)^2
Tensor quadratic(const Tensor& theta, const std::vector<float>& centre,
                 const std::vector<float>& curvature) {
  const int64_t n = static_cast<int64_t>(centre.size());
  const Tensor c = Tensor::from_vector(centre, {n});
  const Tensor k = Tensor::from_vector(curvature, {n});
  return 0.5 * sum(k * square(theta - c));
}

std::vector<double> doubles(const Tensor& t) {
  return t.to_double_vector();
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

TEST_CASE(
    "restricted gradient on a quadratic problem: the projection formula, monotone SGD, "
    "GradDiff without conflict") {
  const std::vector<float> forget_centre{2, -1, 0.5f}, forget_curvature{1, 3, 0.5f};
  const std::vector<float> retain_centre{-2, 1, 0}, retain_curvature{2, 1, 4};
  Point point({0.1f, 0.2f, -0.3f});  // between the two minima: the gradients conflict
  ParameterArena arena = ParameterArena::pack(point);
  Sgd sgd(arena, 0.01);
  const double lambda = 5;
  auto losses = [&] {
    return std::pair<double, double>{
        quadratic(*point.theta, forget_centre, forget_curvature).item(),
        quadratic(*point.theta, retain_centre, retain_curvature).item()};
  };
  auto gradient = [&](const std::vector<float>& centre, const std::vector<float>& curvature) {
    arena.zero_grad();
    quadratic(*point.theta, centre, curvature).backward();
    return arena.grads.clone();
  };
  Tensor direction;
  int conflicted_steps = 0;
  auto [forget_before, retain_before] = losses();
  for (int step = 0; step < 200; ++step) {
    const Tensor g_f = gradient(forget_centre, forget_curvature);
    const Tensor g_r = gradient(retain_centre, retain_curvature);
    const GradientGeometry geometry = combine_gradients(g_f, g_r, lambda, true, direction);
    const std::vector<double> f = doubles(g_f), r = doubles(g_r), d = doubles(direction);
    const double c = dot(f, r), nf = dot(f, f), nr = dot(r, r);
    CHECK(geometry.dot == doctest::Approx(c).epsilon(1e-9));
    CHECK(geometry.cos_phi == doctest::Approx(c / std::sqrt(nf * nr)).epsilon(1e-9));
    CHECK(geometry.conflict == (c < 0));
    for (size_t i = 0; i < d.size(); ++i) {
      // conflict: g_f' + lambda g_r' with g_f' = g_f - (c / n_r) g_r, g_r' = g_r - (c / n_f) g_f
      const double expected =
          c < 0 ? (f[i] - c / nr * r[i]) + lambda * (r[i] - c / nf * f[i]) : f[i] + lambda * r[i];
      CHECK(d[i] == doctest::Approx(expected).epsilon(1e-5));
    }
    if (c < 0) {
      ++conflicted_steps;
      const double sin2 = 1 - c * c / (nf * nr);
      CHECK(dot(f, d) == doctest::Approx(nf * sin2).epsilon(1e-4));
      CHECK(dot(r, d) == doctest::Approx(lambda * nr * sin2).epsilon(1e-4));
    }
    arena.grads.copy_from(direction);
    sgd.step();
    const auto [forget_after, retain_after] = losses();
    // Both objectives non-increasing (up to f32 rounding of the values, near the Pareto set
    // where g_f and g_r become opposed and the step vanishes).
    CHECK(forget_after <= forget_before * (1 + 1e-6));
    CHECK(retain_after <= retain_before * (1 + 1e-6));
    forget_before = forget_after;
    retain_before = retain_after;
  }
  CHECK(conflicted_steps > 10);  // the run starts (and stays a while) in the conflict regime

  // Without conflict the update is GradDiff's, and without restriction it is GradDiff always.
  const Tensor a = Tensor::from_vector(std::vector<float>{1, 2}, {2});
  const Tensor b = Tensor::from_vector(std::vector<float>{3, -1}, {2});  // <a, b> = 1 > 0
  CHECK_FALSE(combine_gradients(a, b, 2, true, direction).conflict);
  CHECK(direction.to_float_vector() == std::vector<float>{7, 0});
  const Tensor opposed = Tensor::from_vector(std::vector<float>{-3, 1}, {2});  // <a, .> = -1
  CHECK(combine_gradients(a, opposed, 2, false, direction).conflict);
  CHECK(direction.to_float_vector() == std::vector<float>{-5, 4});
  CHECK_THROWS_WITH_AS(combine_gradients(a, Tensor::zeros({3}), 1, true, direction),
                       doctest::Contains("one length"), Error);
}

TEST_CASE("gradient unlearning on a tiny U-Net: retain sets, log fields, exact resume") {
  const fs::path dir =
      fs::temp_directory_path() / ("lethe_test_rgd_unet_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  testing::write_digit_fixture(dir, 60);
  const ImageDataset data = load_idx_dataset(dir.string(), "train");
  ScoreTrainingConfig training;
  training.unet = "mnist-xs";
  training.batch = 4;
  training.classes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  ScoreTrainer trainer(training, data);
  trainer.train_until(1, nullptr);
  const std::string start = (dir / "start.safetensors").string();
  trainer.save_checkpoint(start);

  GradientUnlearningConfig config;
  config.forget = {4};
  config.retain_per_class = 2;
  config.forget_batch = 3;
  config.retain_batch = 5;
  config.optimizer = "sgd";
  config.lr = 1e-3;
  {
    GradientUnlearner rgd(config, start, data);
    CHECK(rgd.retain_set_size() == 18);  // 2 per remaining class
    CHECK(rgd.forget_set_size() == 6);
    std::vector<UnlearningStepReport> reports;
    rgd.run_until(2, [&](const UnlearningStepReport& r) { reports.push_back(r); });
    REQUIRE(reports.size() == 2);
    for (const auto& r : reports) {
      CHECK(std::isfinite(r.cos_phi));
      CHECK(std::isfinite(r.predicted_forget_change));
      CHECK(std::isfinite(r.actual_retain_change));
      // RGD with SGD: both first-order predictions are non-increasing.
      CHECK(r.predicted_forget_change <= 1e-12);
      CHECK(r.predicted_retain_change <= 1e-12);
    }
  }
  GradientUnlearningConfig narrow = config;
  narrow.retain_classes = {9, 7};
  narrow.retain_per_class = 1;
  CHECK(GradientUnlearner(narrow, start, data).retain_set_size() == 9);  // same size, 2 classes
  narrow.retain_per_class = 2;  // 18 images from two classes with 6 each
  CHECK_THROWS_WITH_AS(GradientUnlearner(narrow, start, data), doctest::Contains("class 9"), Error);

  for (UnlearnMethod method : {UnlearnMethod::rg, UnlearnMethod::salun, UnlearnMethod::esd}) {
    CAPTURE(unlearn_method_name(method));
    GradientUnlearningConfig c = config;
    c.method = method;
    c.optimizer = "adam";
    std::vector<double> straight, resumed;
    GradientUnlearner uninterrupted(c, start, data);
    uninterrupted.run_until(4, [&](const auto& r) { straight.push_back(r.method_loss); });
    {
      GradientUnlearner first(c, start, data);
      first.run_until(2, [&](const auto& r) { resumed.push_back(r.method_loss); });
      first.save_checkpoint((dir / "ckpt.safetensors").string());
    }
    GradientUnlearner second(c, start, data);
    second.load_checkpoint((dir / "ckpt.safetensors").string());
    CHECK(second.step() == 2);
    second.run_until(4, [&](const auto& r) { resumed.push_back(r.method_loss); });
    CHECK(resumed == straight);
  }
  {
    // SalUn's retain loss summed over the 784 pixels (its public code) is the pixel mean at a
    // weight 784 times larger: identical steps; the mean at the same weight is a different run.
    auto salun_losses = [&](const std::string& reduction, double weight) {
      GradientUnlearningConfig c = config;
      c.method = UnlearnMethod::salun;
      c.salun_retain_reduction = reduction;
      c.salun_retain_weight = weight;
      std::vector<double> losses;
      GradientUnlearner(c, start, data).run_until(3, [&](const auto& r) {
        losses.push_back(r.method_loss);
      });
      return losses;
    };
    const std::vector<double> summed = salun_losses("sum", 1e-3);
    CHECK(summed == salun_losses("mean", 1e-3 * 784));
    CHECK(summed != salun_losses("mean", 1e-3));
    GradientUnlearningConfig bad_reduction = config;
    bad_reduction.salun_retain_reduction = "max";
    CHECK_THROWS_WITH_AS(GradientUnlearner(bad_reduction, start, data), doctest::Contains("'max'"),
                         Error);
  }
  const auto metadata = load_safetensors((dir / "ckpt.safetensors").string()).metadata;
  CHECK(metadata.at("unlearn.method") == "esd");
  CHECK(metadata.at("unet.name") == "mnist-xs");

  GradientUnlearningConfig bad = config;
  bad.optimizer = "lbfgs";
  CHECK_THROWS_WITH_AS(GradientUnlearner(bad, start, data), doctest::Contains("lbfgs"), Error);
  bad = config;
  bad.forget = {12};
  CHECK_THROWS_WITH_AS(GradientUnlearner(bad, start, data), doctest::Contains("forget"), Error);
  CHECK_THROWS_WITH_AS(parse_unlearn_method("ascent"), doctest::Contains("ascent"), Error);
  fs::remove_all(dir);
}
