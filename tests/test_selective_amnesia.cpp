// Selective Amnesia (docs/math.md#selective-amnesia): the diagonal Fisher against its definition
// (the square of the summed gradient, not the sum of squares), the EWC gradient against its
// closed form, the batches SA trains on, exact resume, the generated-set file, and the CLI.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "cli_runner.h"
#include "digit_fixture.h"
#include "lethe/core/autograd.h"
#include "lethe/diffusion/score_model.h"
#include "lethe/diffusion/score_trainer.h"
#include "lethe/io/safetensors.h"
#include "lethe/unlearn/selective_amnesia.h"
#include "test_files.h"
#include "unet_fixture.h"

using namespace lethe;
namespace fs = std::filesystem;
using lethe::testing::fresh_dir;
using lethe::testing::jittered_unet;
using lethe::testing::read_text;

namespace {

// The gradient of SA's Fisher loss for one image at the given times (what diagonal_fisher squares),
// replaying its draws from a generator seeded like the one it was given.
std::vector<double> fisher_loss_gradient(UNet& unet, const Sde& sde, const Tensor& x0,
                                         int64_t label, int64_t times, uint64_t seed) {
  ParameterArena arena = ParameterArena::pack(unet);
  Generator noise(seed);
  Generator dropout(0);
  const Tensor t = noise.uniform({times}, 1e-5, 1);
  Shape repeated = x0.shape();
  repeated[0] = times;
  const PerturbedBatch p = perturb_at(sde, Tensor::zeros(repeated) + x0, t, noise);
  const Tensor eps = unet.forward(
      p.x_t, p.t, Tensor::full({times}, static_cast<double>(label), DType::i64), dropout);
  arena.zero_grad();
  (sum(square(eps - p.z)) * (1000.0 / times)).backward();
  return arena.grads.to_double_vector();
}

// The arena range [begin, end) of the class embedding's null row.
std::pair<int64_t, int64_t> null_row(const UNet& unet) {
  int64_t offset = 0;
  for (const auto& [name, parameter] : unet.named_parameters()) {
    if (name == "class_embed.weight") {
      const int64_t width = parameter.dim(1);
      const int64_t begin = offset + unet.config().num_classes * width;
      return {begin, begin + width};
    }
    offset += parameter.numel();
  }
  FAIL("no class_embed.weight");
  return {0, 0};
}

}  // namespace

TEST_CASE("SA's diagonal Fisher squares the summed gradient; the null row only with label drop") {
  auto unet = jittered_unet(3);
  const Sde sde = Sde::parse("vp");
  Generator data(5);
  const Tensor images = data.uniform({2, 1, 28, 28}, -1, 1);
  const Tensor labels = Tensor::from_vector(std::vector<int64_t>{3, 5}, {2});
  const Tensor first = images.slice_batch(0, 1);
  const Tensor first_label = labels.slice_batch(0, 1);

  // One image, one time: F = g^2 (1e-5 relative: the same float operations in the same order).
  Generator one_noise(11);
  const Tensor f1 = diagonal_fisher(*unet, sde, first, first_label, 1, false, one_noise);
  const std::vector<double> g1 = fisher_loss_gradient(*unet, sde, first, 3, 1, 11);
  const std::vector<double> f1_values = f1.to_double_vector();
  REQUIRE(f1_values.size() == g1.size());
  double largest = 0;
  int64_t off = 0;
  for (size_t j = 0; j < g1.size(); ++j) {
    off += f1_values[j] != doctest::Approx(g1[j] * g1[j]).epsilon(1e-5);
    largest = std::max(largest, f1_values[j]);
  }
  CHECK(off == 0);
  CHECK(largest > 0);

  // Three times: (g_1 + g_2 + g_3)^2 (the per-image loss sums the times before squaring), which is
  // not g_1^2 + g_2^2 + g_3^2: the two totals differ by far more than rounding.
  Generator three_noise(12);
  const std::vector<double> f3 =
      diagonal_fisher(*unet, sde, first, first_label, 3, false, three_noise).to_double_vector();
  const std::vector<double> summed = fisher_loss_gradient(*unet, sde, first, 3, 3, 12);
  double total = 0, total_of_squares = 0;
  {
    // The per-time gradients, from the same draws: t (3) then z (3, ...).
    Generator noise(12);
    const Tensor t = noise.uniform({3}, 1e-5, 1);
    const PerturbedBatch p = perturb_at(sde, Tensor::zeros({3, 1, 28, 28}) + first, t, noise);
    ParameterArena arena = ParameterArena::pack(*unet);
    Generator dropout(0);
    std::vector<double> squares(arena.size(), 0);
    for (int64_t m = 0; m < 3; ++m) {
      arena.zero_grad();
      const Tensor eps = unet->forward(p.x_t.slice_batch(m, m + 1), p.t.slice_batch(m, m + 1),
                                       Tensor::full({1}, 3, DType::i64), dropout);
      (sum(square(eps - p.z.slice_batch(m, m + 1))) * (1000.0 / 3)).backward();
      const std::vector<double> g = arena.grads.to_double_vector();
      for (size_t j = 0; j < g.size(); ++j) squares[j] += g[j] * g[j];
    }
    int64_t off3 = 0;
    for (size_t j = 0; j < f3.size(); ++j) {
      off3 += f3[j] != doctest::Approx(summed[j] * summed[j]).epsilon(1e-4).scale(1e-12);
      total += f3[j];
      total_of_squares += squares[j];
    }
    CHECK(off3 == 0);
  }
  CHECK(std::abs(total - total_of_squares) > 0.05 * total_of_squares);

  // Both images: non-negative, finite, bit-exact for the same seed; the null label's embedding
  // row is never used without label drop (F = 0 exactly) and is with SA's code variant.
  auto fisher = [&](bool as_code) {
    Generator noise(13);
    return diagonal_fisher(*unet, sde, images, labels, 50, as_code, noise).to_double_vector();
  };
  const std::vector<double> plain = fisher(false);
  CHECK(plain == fisher(false));
  CHECK(std::all_of(plain.begin(), plain.end(),
                    [](double value) { return std::isfinite(value) && value >= 0; }));
  const auto [null_begin, null_end] = null_row(*unet);
  const std::vector<double> as_code = fisher(true);
  double null_plain = 0, null_as_code = 0;
  for (int64_t j = null_begin; j < null_end; ++j) {
    null_plain += plain[j];
    null_as_code += as_code[j];
  }
  CHECK(null_plain == 0);
  CHECK(null_as_code > 0);
  CHECK(as_code != plain);

  const FisherSummary summary = summarize_fisher(
      Tensor::from_vector(std::vector<float>{0, 1, 3, 0}, {4}), {{"a.b.weight", Tensor::zeros({1})},
                                                                 {"a.b.bias", Tensor::zeros({1})},
                                                                 {"c.weight", Tensor::zeros({2})}});
  CHECK(summary.total == 4);
  CHECK(summary.max == 3);
  CHECK(summary.zero_share == 0.5);
  REQUIRE(summary.share_by_block.size() == 2);
  CHECK(summary.share_by_block[0].first == "c.weight");
  CHECK(summary.share_by_block[0].second == 0.75);
  CHECK(summary.share_by_block[1].first == "a.b");
}

TEST_CASE("EWC: zero at the anchor, 2 lambda F (theta - theta*) elsewhere") {
  const Tensor fisher = Tensor::from_vector(std::vector<float>{0.5f, 2, 0}, {3});
  const Tensor anchor = Tensor::from_vector(std::vector<float>{1, -1, 3}, {3});
  Tensor grads = Tensor::from_vector(std::vector<float>{0.25f, 0, 1}, {3});
  CHECK(add_ewc_gradient(fisher, anchor, anchor, 10, grads) == 0);
  CHECK(grads.to_float_vector() == std::vector<float>{0.25f, 0, 1});
  const Tensor theta = Tensor::from_vector(std::vector<float>{2, -1.5f, 7}, {3});
  // 10 (0.5 * 1 + 2 * 0.25 + 0 * 16) = 10; gradients + 20 F d = (10, -20, 0)
  CHECK(add_ewc_gradient(fisher, anchor, theta, 10, grads) == doctest::Approx(10));
  CHECK(grads.to_float_vector() == std::vector<float>{10.25f, -20, 1});
  CHECK_THROWS_WITH_AS(add_ewc_gradient(fisher, anchor, Tensor::zeros({2}), 1, grads),
                       doctest::Contains("one length"), Error);
}

TEST_CASE("Selective Amnesia on a tiny U-Net: the generated set, the batches, exact resume") {
  const fs::path dir = fresh_dir("selective_amnesia");
  fs::create_directories(dir);
  lethe::testing::write_digit_fixture(dir, 40);
  ScoreTrainingConfig training;
  training.unet = "mnist-xs";
  training.batch = 4;
  training.classes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  ScoreTrainer trainer(training, load_idx_dataset(dir.string(), "train"));
  trainer.train_until(1, nullptr);
  const std::string start = (dir / "start.safetensors").string();
  trainer.save_checkpoint(start);

  SelectiveAmnesiaConfig config;
  config.forget = {4};
  config.samples_per_class = 3;
  config.sampler.steps = 3;
  config.fisher_times = 2;
  config.batch = 6;
  const AmnesiaSet set = make_amnesia_set(config, start);
  CHECK(set.samples.size() == 30);
  CHECK(set.samples.images.dtype() == DType::u8);
  for (int64_t i = 0; i < 30; ++i) CHECK(set.samples.labels.data<int64_t>()[i] == i / 3);
  const AmnesiaSet again = make_amnesia_set(config, start);
  CHECK(again.fisher.to_float_vector() == set.fisher.to_float_vector());
  CHECK(again.samples.images.to_double_vector() == set.samples.images.to_double_vector());

  const std::string set_path = (dir / "set.safetensors").string();
  save_amnesia_set(set_path, set);
  CHECK(load_amnesia_set(set_path, config, start).fisher.to_float_vector() ==
        set.fisher.to_float_vector());
  SelectiveAmnesiaConfig other = config;
  other.samples_per_class = 4;
  CHECK_THROWS_WITH_AS(load_amnesia_set(set_path, other, start),
                       doctest::Contains("sa.samples_per_class"), Error);
  other = config;
  other.lambda = 100;  // training settings do not touch the set
  CHECK(load_amnesia_set(set_path, other, start).samples.size() == 30);

  {
    SelectiveAmnesia sa(config, start, set);
    CHECK(sa.replay_set_size() == 27);
    const AmnesiaBatches b = sa.draw(0);
    double mean = 0, square_mean = 0;
    const std::vector<float> pixels = b.surrogate.to_float_vector();
    for (float v : pixels) {
      mean += v;
      square_mean += v * v;
    }
    mean /= pixels.size();
    square_mean /= pixels.size();
    CHECK(std::abs(mean) < 0.02);  // U(-1, 1): 0, sd 0.58 / sqrt(4704)
    CHECK(square_mean - mean * mean == doctest::Approx(1.0 / 3).epsilon(0.05));
    for (double label : b.surrogate_labels.to_double_vector()) CHECK(label == 4);
    for (double label : b.replay_labels.to_double_vector()) CHECK(label != 4);
    const std::vector<float> t = b.t.to_float_vector();
    REQUIRE(t.size() == 6);
    for (int i = 0; i < 3; ++i) CHECK(t[i] + t[i + 3] == doctest::Approx(1 + 1e-5).epsilon(1e-6));
  }
  {
    SelectiveAmnesiaConfig relabel = config;
    relabel.surrogate = "7";
    SelectiveAmnesia sa(relabel, start, set);
    const AmnesiaBatches b = sa.draw(0);
    CHECK(b.surrogate.dim(0) == 3);  // the 3 generated 7s
    for (double label : b.surrogate_labels.to_double_vector()) CHECK(label == 4);
  }

  // At theta* the EWC term and its gradient vanish: lambda changes nothing on the first step.
  auto losses = [&](const SelectiveAmnesiaConfig& c, int64_t steps) {
    std::vector<double> out;
    SelectiveAmnesia(c, start, set).run_until(steps, [&](const AmnesiaStepReport& r) {
      out.push_back(r.loss);
      CHECK(std::isfinite(r.grad_norm));
    });
    return out;
  };
  SelectiveAmnesiaConfig no_ewc = config;
  no_ewc.lambda = 0;
  const std::vector<double> with_ewc = losses(config, 3), without_ewc = losses(no_ewc, 3);
  CHECK(with_ewc[0] == without_ewc[0]);
  CHECK(with_ewc[2] != without_ewc[2]);
  SelectiveAmnesiaConfig no_replay = no_ewc;
  no_replay.gamma = 0;
  SelectiveAmnesia(no_replay, start, set).run_until(1, [](const AmnesiaStepReport& r) {
    CHECK(std::isnan(r.replay_loss));
    CHECK(r.ewc == 0);
    CHECK(r.loss == r.surrogate_loss);
  });

  // Resume: 2 steps, save, load, 2 more equal 4 straight.
  std::vector<double> resumed;
  const std::string checkpoint = (dir / "sa.safetensors").string();
  {
    SelectiveAmnesia first(config, start, set);
    first.run_until(2, [&](const AmnesiaStepReport& r) { resumed.push_back(r.loss); });
    first.save_checkpoint(checkpoint);
  }
  SelectiveAmnesia second(config, start, set);
  second.load_checkpoint(checkpoint);
  CHECK(second.step() == 2);
  second.run_until(4, [&](const AmnesiaStepReport& r) { resumed.push_back(r.loss); });
  CHECK(resumed == losses(config, 4));
  const auto metadata = load_safetensors(checkpoint).metadata;
  CHECK(metadata.at("unlearn.method") == "sa");
  CHECK(metadata.at("sa.surrogate") == "noise");
  CHECK(ScoreModel::load(checkpoint)->unet().config().num_classes == 10);
  SelectiveAmnesiaConfig changed = config;
  changed.lambda = 1;
  CHECK_THROWS(SelectiveAmnesia(changed, start, set).load_checkpoint(checkpoint));

  SelectiveAmnesiaConfig bad = config;
  bad.surrogate = "4";
  CHECK_THROWS_WITH_AS(make_amnesia_set(bad, start), doctest::Contains("is a forget class"), Error);
  bad = config;
  bad.surrogate = "cat";
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("cat"), Error);
  bad = config;
  bad.forget = {12};
  CHECK_THROWS_WITH_AS(make_amnesia_set(bad, start), doctest::Contains("forget class 12"), Error);
  fs::remove_all(dir);
}

TEST_CASE("lethe unlearn sa: a tiny run writes its set, Fisher summary and log, and resumes") {
  const fs::path dir = fresh_dir("selective_amnesia_cli");
  fs::create_directories(dir);
  lethe::testing::write_digit_fixture(dir, 40);
  const CommandResult train = run_lethe("train --config mnist-xs --steps 1 --batch 4 --out " +
                                        (dir / "start").string() + " --data " + dir.string());
  REQUIRE_MESSAGE(train.exit_code == 0, train.output);
  const std::string flags =
      " --forget 4 --init " + (dir / "start" / "checkpoint.safetensors").string() +
      " --samples-per-class 2 --sampler-steps 2 --batch 4 --out " + (dir / "sa").string();
  const CommandResult first = run_lethe("unlearn sa --steps 2 --fisher-times 2" + flags);
  REQUIRE_MESSAGE(first.exit_code == 0, first.output);
  CHECK(first.contains("wrote the generated set"));
  CHECK(first.contains("Fisher: total"));
  CHECK(first.contains("sa: forget {4}"));
  CHECK(first.contains("replay set 18 generated images"));
  const CommandResult resumed = run_lethe("unlearn sa --steps 3 --fisher-times 2 --resume" + flags);
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(resumed.contains("using the generated set"));
  const std::string log = read_text(dir / "sa" / "log.csv");
  CHECK(log.rfind("step,surrogate_loss,replay_loss,ewc,loss,grad_norm,", 0) == 0);
  CHECK(log.find("\n3,") != std::string::npos);
  CHECK(read_text(dir / "sa" / "fisher.json").find("\"share_by_block\"") != std::string::npos);

  const CommandResult changed = run_lethe("unlearn sa --steps 2 --fisher-times 3" + flags);
  CHECK(changed.exit_code != 0);
  CHECK(changed.contains("lethe: error:"));
  CHECK(changed.contains("sa.fisher_times"));
  const CommandResult same_class = run_lethe("unlearn sa --surrogate 4" + flags);
  CHECK(same_class.exit_code != 0);
  CHECK(same_class.contains("surrogate class 4 is a forget class"));
  const CommandResult times = run_lethe("unlearn sa --fisher-times 2000" + flags);
  CHECK(times.exit_code != 0);
  CHECK(times.contains("--fisher-times"));
  fs::remove_all(dir);
}
