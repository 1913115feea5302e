// lethe train: trains a class-conditional U-Net score model on an IDX data set, with checkpoints
// every N steps and on Ctrl-C, bit-exact --resume, a progress line and a CSV log.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "commands.h"
#include "lethe/device.h"
#include "lethe/progress.h"
#include "lethe/score_training.h"
#include "parse_digits.h"

namespace lethe::tools {
namespace {

std::atomic<bool> stop_requested{false};

struct TrainOptions {
  ScoreTrainingConfig config;
  std::string data_dir = "data/mnist";
  std::string classes = "0,1,2,3,4,5,6,7,8,9";
  std::string out_dir = "runs/train";
  std::string device = "cpu";
  std::string kernels = "auto";
  int64_t steps = 20000;
  int64_t checkpoint_every = 1000;
  bool resume = false;
};

void run_train(TrainOptions options) {
  options.config.device = parse_device(options.device);
  set_gpu_kernels(options.kernels);
  options.config.classes = parse_digits(options.classes, "--classes");
  LETHE_CHECK(!options.config.classes.empty(), "--classes: no class given");
  UNetConfig::preset(options.config.unet);  // reject a bad flag before reading any data
  Sde::parse(options.config.sde);
  std::filesystem::create_directories(options.out_dir);
  const std::string checkpoint = options.out_dir + "/checkpoint.safetensors";
  const std::string log_path = options.out_dir + "/log.csv";
  ScoreTrainer trainer(options.config, load_idx_dataset(options.data_dir, "train"));
  if (options.resume) {
    trainer.load_checkpoint(checkpoint);
    std::printf("resumed %s at step %lld\n", checkpoint.c_str(),
                static_cast<long long>(trainer.step()));
  }
  const bool new_log = !options.resume || !std::filesystem::exists(log_path);
  std::ofstream log(log_path, new_log ? std::ios::trunc : std::ios::app);
  LETHE_CHECK(log.good(), "cannot write the training log '", log_path, "'");
  if (new_log) log << "step,loss,grad_norm,lr,elapsed_s\n";

  std::signal(SIGINT, [](int) { stop_requested = true; });
  std::printf(
      "training %s (%s SDE) on %s classes {%s}, %lld steps, batch %lld, %lld parameters, on %s\n",
      options.config.unet.c_str(), options.config.sde.c_str(), options.data_dir.c_str(),
      options.classes.c_str(), static_cast<long long>(options.steps),
      static_cast<long long>(options.config.batch),
      static_cast<long long>(trainer.model().parameter_count()),
      device_name(options.config.device));
  std::fflush(stdout);
  Progress progress("train", options.steps);
  while (trainer.step() < options.steps && !stop_requested) {
    const int64_t next_checkpoint = std::min(
        options.steps, (trainer.step() / options.checkpoint_every + 1) * options.checkpoint_every);
    trainer.train_until(
        next_checkpoint,
        [&](const TrainingStepReport& r) {
          log << r.step << ',' << r.loss << ',' << r.grad_norm << ',' << r.lr << ','
              << progress.elapsed_seconds() << '\n';
          progress.update(r.step, r.loss);
        },
        &stop_requested);
    log.flush();
    trainer.save_checkpoint(checkpoint);
  }
  progress.finish();
  std::printf("%s at step %lld: %s\n", stop_requested ? "interrupted, saved" : "saved",
              static_cast<long long>(trainer.step()), checkpoint.c_str());
}

}  // namespace

void register_train(CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  ScoreTrainingConfig& c = options->config;
  CLI::App* train = app.add_subcommand("train", "Train a class-conditional U-Net score model");
  train->add_option("--config", c.unet, "U-Net preset: mnist-s or mnist-xs")->capture_default_str();
  train->add_option("--sde", c.sde, "vp, subvp or ve")->capture_default_str();
  train->add_option("--data", options->data_dir, "IDX data directory")->capture_default_str();
  train->add_option("--classes", options->classes, "Classes to train on (e.g. 0,1,2,3,4,5,6,8,9)")
      ->capture_default_str();
  train->add_option("--steps", options->steps, "Total optimiser steps")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  train->add_option("--batch", c.batch, "Batch size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  train->add_option("--lr", c.lr, "Adam learning rate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  train->add_option("--warmup", c.warmup_steps, "Linear warm-up steps")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  train->add_option("--clip", c.grad_clip, "Global gradient-norm clip")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  train->add_option("--ema", c.ema_rate, "EMA rate")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  train->add_option("--p-uncond", c.p_uncond, "Label dropout probability (CFG)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  train->add_option("--seed", c.seed, "Random seed")->capture_default_str();
  train->add_option("--out", options->out_dir, "Run directory")->capture_default_str();
  train->add_option("--checkpoint-every", options->checkpoint_every, "Steps between checkpoints")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  train->add_flag("--likelihood-weighting", c.likelihood_weighting,
                  "Weight the DSM loss by g(t)^2 (likelihood weighting) instead of std(t)^2");
  train->add_flag("--resume", options->resume, "Continue from OUT/checkpoint.safetensors");
  train->add_option("--device", options->device, "cpu or cuda")->capture_default_str();
  train
      ->add_option("--kernels", options->kernels,
                   "GPU GEMM/conv: hand, vendor or auto (the faster measured)")
      ->capture_default_str();
  train->callback([options] { run_train(*options); });
}

}  // namespace lethe::tools
