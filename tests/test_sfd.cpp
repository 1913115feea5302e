// SFD / SiD (docs/math.md#sfd): the generator loss against finite differences and its closed-form
// gradients, gradients that reach the generator only through the frozen networks' inputs, the
// one-step generator as a model for sampling, and the CLI (resume bit for bit, bad input).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_runner.h"
#include "digit_fixture.h"
#include "gradcheck.h"
#include "lethe/diffusion/score_model.h"
#include "lethe/io/safetensors.h"
#include "lethe/unlearn/score_forgetting_distillation.h"
#include "test_files.h"
#include "unet_fixture.h"

using namespace lethe;
namespace fs = std::filesystem;
using lethe::testing::fresh_dir;
using lethe::testing::jittered_unet;
using lethe::testing::read_text;

namespace {

// The theta-step loss of docs/math.md#sfd on three small U-Nets (generator, frozen teacher, frozen
// fake score) for fixed latents, labels, steps and noise, with the SiD weight w held at its first
// value (it is a stop-gradient, so finite differences must hold it too).
struct SidProblem {
  Sde sde;
  std::unique_ptr<UNet> generator, teacher, fake;
  ParameterArena arena;  // the generator's
  Tensor z, labels, e, weight;
  std::vector<int64_t> steps{100, 600};
  Generator dropout{0};

  explicit SidProblem(uint64_t fake_seed)
      : generator(jittered_unet(1)), teacher(jittered_unet(2)), fake(jittered_unet(fake_seed)) {
    teacher->set_requires_grad(false);
    fake->set_requires_grad(false);
    arena = ParameterArena::pack(*generator);
    Generator noise(7);
    z = noise.normal({2, 1, 28, 28});
    e = noise.normal({2, 1, 28, 28});
    labels = Tensor::from_vector(std::vector<int64_t>{3, 8}, {2});
  }
  Tensor x_t(const Tensor& generated) const {
    std::vector<double> a, b;
    for (int64_t s : steps) {
      a.push_back(sde.mean_coefficient(ddpm_step_time(static_cast<int>(s))));
      b.push_back(sde.marginal_std(ddpm_step_time(static_cast<int>(s))));
    }
    return per_sample(a, 4) * generated + per_sample(b, 4) * e;
  }
  Tensor times() const {
    return Tensor::from_vector(std::vector<float>{static_cast<float>(ddpm_step_time(100)),
                                                  static_cast<float>(ddpm_step_time(600))},
                               {2});
  }
  Tensor loss() {
    const Tensor generated = one_step_generate(*generator, sde, 440, z, labels, dropout);
    const Tensor noised = x_t(generated);
    const Tensor p =
        x0_from_eps(sde, noised, teacher->forward(noised, times(), labels, dropout), steps);
    const Tensor q =
        x0_from_eps(sde, noised, fake->forward(noised, times(), labels, dropout), steps);
    if (!weight.defined()) weight = sid_weight(p, generated);
    return sid_loss(p, q, generated, weight, 1.2);
  }
  // Back-propagates the loss into the generator's arena; returns the loss.
  double backward() {
    arena.zero_grad();
    const Tensor value = loss();
    value.backward();
    return value.item();
  }
};

}  // namespace

TEST_CASE("SiD loss: gradients match finite differences and the closed forms of docs/math.md#sfd") {
  Generator noise(11);
  const Tensor p = noise.normal({3, 1, 4, 4}, 0, 1, DType::f64).set_requires_grad(true);
  const Tensor q = noise.normal({3, 1, 4, 4}, 0, 1, DType::f64).set_requires_grad(true);
  const Tensor x = noise.normal({3, 1, 4, 4}, 0, 1, DType::f64).set_requires_grad(true);
  const double alpha = 1.2;
  const Tensor w = sid_weight(p, x);
  CHECK_FALSE(w.requires_grad());
  CHECK(w.shape() == Shape{3, 1, 1, 1});
  const auto result = testing::gradcheck(
      [&](const std::vector<Tensor>& in) {
        return sid_loss(in[0], in[1], in[2], w, alpha).reshape({1});
      },
      {p, q, x});
  CHECK_MESSAGE(result.max_error <= 1e-6, result.summary());

  // dL/dp = (r + d - 2 alpha d) / (w B), dL/dq = (2 alpha d - r) / (w B), dL/dx_g = -d / (w B).
  for (Tensor t : {p, q, x}) t.set_grad(Tensor());
  sid_loss(p, q, x, w, alpha).backward();
  const std::vector<double> pv = p.to_double_vector(), qv = q.to_double_vector(),
                            xv = x.to_double_vector(), wv = w.to_double_vector();
  const std::vector<double> gp = p.grad().to_double_vector(), gq = q.grad().to_double_vector(),
                            gx = x.grad().to_double_vector();
  double worst = 0;
  for (size_t i = 0; i < pv.size(); ++i) {
    const double scale = wv[i / 16] * 3;
    const double d = pv[i] - qv[i], r = pv[i] - xv[i];
    worst = std::max(worst, std::abs(gp[i] - (r + d - 2 * alpha * d) / scale));
    worst = std::max(worst, std::abs(gq[i] - (2 * alpha * d - r) / scale));
    worst = std::max(worst, std::abs(gx[i] + d / scale));
  }
  CHECK(worst < 1e-12);
}

TEST_CASE("x0_from_eps inverts the forward process; the one-step generator is x0_hat at t_init") {
  const Sde sde;
  Generator noise(3);
  const Tensor x0 = noise.normal({2, 1, 28, 28});
  const Tensor e = noise.normal({2, 1, 28, 28});
  const std::vector<int64_t> steps{38, 711};
  std::vector<double> a, b;
  for (int64_t s : steps) {
    a.push_back(sde.mean_coefficient(ddpm_step_time(static_cast<int>(s))));
    b.push_back(sde.marginal_std(ddpm_step_time(static_cast<int>(s))));
  }
  const Tensor x_t = per_sample(a, 4) * x0 + per_sample(b, 4) * e;
  const std::vector<double> back = x0_from_eps(sde, x_t, e, steps).to_double_vector();
  const std::vector<double> want = x0.to_double_vector();
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(back[i] - want[i]));
  CHECK(worst < 1e-4);
  // sigma = b / a at the generator's step 440 is the spec's 2.5023 (continuous VP marginals).
  const double t = ddpm_step_time(440);
  CHECK(sde.marginal_std(t) / sde.mean_coefficient(t) == doctest::Approx(2.5023).epsilon(0.01));
  CHECK_THROWS_WITH_AS(x0_from_eps(sde, x_t, e, {38}), doctest::Contains("1 steps for a batch"),
                       Error);
}

TEST_CASE(
    "SiD generator gradient: through the frozen networks' inputs, equal to finite differences") {
  SidProblem problem(3);
  problem.backward();
  ParameterArena& arena = problem.arena;
  const Tensor gradient = arena.grads.clone();
  for (const auto& [name, parameter] : problem.teacher->named_parameters())
    REQUIRE_FALSE(parameter.grad().defined());
  for (const auto& [name, parameter] : problem.fake->named_parameters())
    REQUIRE_FALSE(parameter.grad().defined());

  // Directional derivatives along the gradient itself and along a random unit direction.
  const std::vector<double> g = gradient.to_double_vector();
  double norm = 0;
  for (double v : g) norm += v * v;
  norm = std::sqrt(norm);
  REQUIRE(norm > 0);
  Generator direction_noise(5);
  std::vector<double> random = direction_noise.normal({arena.size()}).to_double_vector();
  double random_norm = 0;
  for (double v : random) random_norm += v * v;
  for (double& v : random) v /= std::sqrt(random_norm);
  std::vector<double> along_gradient(g.size());
  for (size_t i = 0; i < g.size(); ++i) along_gradient[i] = g[i] / norm;

  NoGrad no_grad;
  const Tensor start = arena.values.clone();
  for (const std::vector<double>* direction : {&along_gradient, &random}) {
    double analytic = 0;
    for (size_t i = 0; i < g.size(); ++i) analytic += g[i] * (*direction)[i];
    const double h = 1e-2;
    double values[2];
    for (int sign = 0; sign < 2; ++sign) {
      std::vector<float> moved(g.size());
      const std::vector<double> base = start.to_double_vector();
      for (size_t i = 0; i < g.size(); ++i)
        moved[i] = static_cast<float>(base[i] + (sign == 0 ? h : -h) * (*direction)[i]);
      arena.values.copy_from(Tensor::from_vector(moved, {arena.size()}));
      values[sign] = problem.loss().item();
    }
    arena.values.copy_from(start);
    const double numeric = (values[0] - values[1]) / (2 * h);
    // f32 network, h = 1e-2 in a unit direction: a few per cent of the gradient norm.
    CHECK_MESSAGE(std::abs(numeric - analytic) <= 0.03 * norm,
                  "numeric " << numeric << " analytic " << analytic << " norm " << norm);
  }
}

TEST_CASE("SiD generator gradient vanishes while the fake score equals the teacher") {
  // p = q makes the loss 0 and the two paths' gradients cancel (up to f32 summation order).
  auto largest_gradient = [](uint64_t fake_seed, double* loss_value) {
    SidProblem problem(fake_seed);
    *loss_value = problem.backward();
    double largest = 0;
    for (double v : problem.arena.grads.to_double_vector())
      largest = std::max(largest, std::abs(v));
    return largest;
  };
  double same_loss = 1, other_loss = 0;
  const double same = largest_gradient(2, &same_loss);
  const double other = largest_gradient(3, &other_loss);
  CHECK(same_loss == 0);
  CHECK(other_loss != 0);
  CHECK_MESSAGE(same <= 1e-4 * other, "largest gradient " << same << " vs " << other);
}

TEST_CASE("lethe distill sid / unlearn sfd: resume bit for bit, sample the generator, bad input") {
  const fs::path dir = fresh_dir("sfd_cli");
  testing::write_digit_fixture(dir, 20);
  const std::string data = " --data " + dir.string();
  const CommandResult train = run_lethe("train --config mnist-xs --steps 1 --batch 4 --out " +
                                        (dir / "teacher").string() + data);
  REQUIRE_MESSAGE(train.exit_code == 0, train.output);
  const std::string teacher = (dir / "teacher" / "checkpoint.safetensors").string();
  const std::string flags = " --teacher " + teacher +
                            " --batch 2 --lr 1e-4 --lr-fake 1e-4 "
                            "--checkpoint-every 2 --snapshots 0,1";

  // Three steps straight, and two then one resumed: the same log lines.
  REQUIRE(run_lethe("unlearn sfd --forget 0 --override 1 --steps 3" + flags + " --out " +
                    (dir / "straight").string())
              .exit_code == 0);
  const CommandResult first = run_lethe("unlearn sfd --forget 0 --override 1 --steps 2" + flags +
                                        " --out " + (dir / "resumed").string());
  REQUIRE_MESSAGE(first.exit_code == 0, first.output);
  CHECK(first.contains("sfd: forget {0} -> 1"));
  {  // a row written after the checkpoint by a killed run: the resume drops it
    std::ofstream stale(dir / "resumed" / "log.csv", std::ios::app);
    stale << "3,9,9,9,9,9\n";
  }
  const CommandResult second = run_lethe("unlearn sfd --forget 0 --override 1 --steps 3 --resume" +
                                         flags + " --out " + (dir / "resumed").string());
  REQUIRE_MESSAGE(second.exit_code == 0, second.output);
  CHECK(second.contains("resumed"));
  auto losses = [](const std::string& log) {  // every column but the elapsed time
    std::string out;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);)
      out += line.substr(0, line.rfind(',')) + "\n";
    return out;
  };
  const std::string straight_log = read_text(dir / "straight" / "log.csv");
  CHECK(straight_log.rfind("step,fake_loss,generator_loss,forget_loss,generated_abs_mean,", 0) ==
        0);
  CHECK(losses(straight_log) == losses(read_text(dir / "resumed" / "log.csv")));
  CHECK(fs::exists(dir / "straight" / "snapshots" / "step-000000.safetensors"));
  CHECK(fs::exists(dir / "straight" / "snapshots" / "step-000001.safetensors"));

  // The checkpoint is a one-step generator for sample / eval.
  const std::string generator = (dir / "straight" / "checkpoint.safetensors").string();
  const auto model = ScoreModel::load(generator);
  CHECK(model->is_one_step_generator());
  CHECK(model->generator_t_init() == 440);
  const CommandResult sample = run_lethe("sample " + generator + " --labels 1,2 --n 3 --out " +
                                         (dir / "g.safetensors").string());
  REQUIRE_MESSAGE(sample.exit_code == 0, sample.output);
  CHECK(sample.contains("one-step sampler, 1 NFE per image"));
  const SafetensorsFile samples = load_safetensors((dir / "g.safetensors").string());
  CHECK(samples.at("samples").shape() == Shape{6, 1, 28, 28});
  const CommandResult guided =
      run_lethe("sample " + generator + " --cfg 1 --out " + (dir / "g.png").string());
  CHECK(guided.exit_code != 0);
  CHECK(guided.contains("a one-step generator takes no classifier-free guidance"));

  const CommandResult random = run_lethe("unlearn sfd --forget 0,9 --override random --steps 1" +
                                         flags + " --out " + (dir / "random").string());
  REQUIRE_MESSAGE(random.exit_code == 0, random.output);
  CHECK(random.contains("sfd: forget {0,9} -> random"));
  CHECK(ScoreModel::load((dir / "random" / "checkpoint.safetensors").string())
            ->metadata()
            .at("sfd.override") == "random");

  const CommandResult sid =
      run_lethe("distill sid --steps 1" + flags + " --out " + (dir / "sid").string());
  REQUIRE_MESSAGE(sid.exit_code == 0, sid.output);
  CHECK(sid.contains("sid: distil"));
  CHECK(read_text(dir / "sid" / "log.csv").find("\n1,") != std::string::npos);

  const CommandResult same = run_lethe("unlearn sfd --forget 0 --override 0" + flags);
  CHECK(same.exit_code != 0);
  CHECK(same.contains("override class 0 is also a forget class"));
  const CommandResult range = run_lethe("unlearn sfd --forget 0 --override 12" + flags);
  CHECK(range.exit_code != 0);
  CHECK(range.contains("'12'"));
  const CommandResult missing =
      run_lethe("unlearn sfd --forget 0 --teacher /nonexistent.safetensors");
  CHECK(missing.exit_code != 0);
  CHECK(missing.contains("--teacher: no checkpoint file '/nonexistent.safetensors'"));
  const CommandResult not_teacher =
      run_lethe("distill sid --steps 1 --teacher " + generator + " --out " + (dir / "x").string());
  CHECK(not_teacher.exit_code != 0);
  CHECK(not_teacher.contains("is a one-step generator; the teacher must be a score model"));
  const CommandResult zero = run_lethe("unlearn sfd --forget 0 --forget-weight 0" + flags);
  CHECK(zero.exit_code != 0);
  CHECK(zero.contains("use `lethe distill sid`"));
  REQUIRE(run_lethe("train --config mnist-xs --sde ve --steps 1 --batch 4 --out " +
                    (dir / "ve").string() + data)
              .exit_code == 0);
  const CommandResult ve =
      run_lethe("distill sid --teacher " + (dir / "ve" / "checkpoint.safetensors").string() +
                " --out " + (dir / "y").string());
  CHECK(ve.exit_code != 0);
  CHECK(ve.contains("uses the ve SDE"));
  CHECK(run_lethe("unlearn sfd --help").contains("--forget-weight-fake"));
  CHECK(run_lethe("distill").exit_code != 0);
  fs::remove_all(dir);
}

TEST_CASE("lethe experiment sfd-mnist runs, resumes and writes its table, curve, JSON and grids") {
  const fs::path dir = fresh_dir("sfd_mnist_experiment");
  for (const char* split : {"train", "t10k"}) testing::write_digit_fixture(dir, 40, split, 5);
  const std::string data = " --data " + dir.string();
  REQUIRE(
      run_lethe("train --config mnist-xs --steps 1 --batch 4 --out " + (dir / "m").string() + data)
          .exit_code == 0);
  const std::string flags =
      " --teacher " + (dir / "m" / "checkpoint.safetensors").string() + data + " --classifier " +
      std::string(LETHE_SOURCE_DIR) +
      "/weights/mnist-classifier.safetensors --batch 2 --lr 1e-4 --lr-fake 1e-4 --snapshots 0,1 "
      "--forget-samples 3 --per-class 2 --curve-samples 2 --sampler-steps 2 --speed-samples 1 "
      "--speed-sampler-steps 2 --out " +
      (dir / "report").string() + " --runs " + (dir / "runs").string();
  const CommandResult first = run_lethe("experiment sfd-mnist --steps 1" + flags);
  REQUIRE_MESSAGE(first.exit_code == 0, first.output);
  const CommandResult resumed = run_lethe("experiment sfd-mnist --steps 2" + flags);
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(resumed.contains("resumed"));
  const std::string markdown = read_text(dir / "report" / "sfd-mnist.md");
  for (const char* row :
       {"| teacher | 2 |", "| sid | 1 |", "| sfd | 1 |", "| teacher pc 2 (speed only) | 4 |"})
    CHECK_MESSAGE(markdown.find(row) != std::string::npos, row << "\n" << markdown);
  const std::string svg = read_text(dir / "report" / "ua-curve.svg");
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("sfd") != std::string::npos);
  const std::string json = read_text(dir / "report" / "sfd-mnist.json");
  // The override share of the 3 forget requests, from the shared evaluation, with its interval.
  const nlohmann::json teacher = nlohmann::json::parse(json)["models"][0];
  CHECK(teacher["forget_classified_as_override"]["n"].get<int64_t>() == 3);
  CHECK(teacher["forget_classified_as_override"]["ci95"].size() == 2);
  CHECK(json.find("\"curves\"") != std::string::npos);
  for (const char* grid : {"teacher.png", "sid.png", "sfd.png"})
    CHECK(fs::exists(dir / "report" / grid));
  CHECK(fs::exists(dir / "runs" / "sfd" / "snapshots" / "step-000001.safetensors"));
  const CommandResult random = run_lethe("experiment sfd-mnist --override random" + flags);
  CHECK(random.exit_code != 0);
  CHECK(random.contains("one override class, not a random one"));
  fs::remove_all(dir);
}
