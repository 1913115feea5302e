#include "score_training_run.h"

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "lethe/device.h"
#include "lethe/progress.h"
#include "parse_digits.h"
#include "run_log.h"

namespace lethe::tools {

static std::atomic<bool> stop_requested{false};

void add_score_training_flags(CLI::App& command, ScoreTrainingRun& run) {
  command.add_option("--config", run.config.unet, "U-Net preset: mnist-s or mnist-xs")
      ->capture_default_str();
  command.add_option("--sde", run.config.sde, "vp, subvp or ve")->capture_default_str();
  command.add_option("--data", run.data_dir, "IDX data directory")->capture_default_str();
  command.add_option("--classes", run.classes, "Classes to train on (e.g. 0,1,2,3,4,5,6,8,9)")
      ->capture_default_str();
  command.add_option("--steps", run.steps, "Total optimiser steps")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command.add_option("--batch", run.config.batch, "Batch size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command.add_option("--lr", run.config.lr, "Adam learning rate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command.add_option("--warmup", run.config.warmup_steps, "Linear warm-up steps")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command.add_option("--clip", run.config.grad_clip, "Global gradient-norm clip")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command.add_option("--ema", run.config.ema_rate, "EMA rate")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  command.add_option("--p-uncond", run.config.p_uncond, "Label dropout probability (CFG)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  command.add_option("--seed", run.config.seed, "Random seed")->capture_default_str();
  command.add_option("--out", run.out_dir, "Run directory")->capture_default_str();
  command.add_option("--checkpoint-every", run.checkpoint_every, "Steps between checkpoints")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command.add_flag("--likelihood-weighting", run.config.likelihood_weighting,
                   "Weight the DSM loss by g(t)^2 (likelihood weighting) instead of std(t)^2");
  command.add_flag("--resume", run.resume, "Continue from OUT/checkpoint.safetensors");
  command.add_option("--device", run.device, "cpu or cuda")->capture_default_str();
  command
      .add_option("--kernels", run.kernels,
                  "GPU GEMM/conv: hand, vendor or auto (the faster measured)")
      ->capture_default_str();
  command
      .add_option("--precision", run.precision,
                  "GPU GEMM/conv math: fp32, or tf32 (tensor cores, operands rounded to TF32)")
      ->capture_default_str();
  command.add_option("--init", run.config.init_checkpoint,
                     "Fine-tune: start from this checkpoint's EMA weights");
}

void run_score_training(ScoreTrainingRun options) {
  options.config.device = parse_device(options.device);
  set_gpu_kernels(options.kernels, options.precision);
  options.config.classes = parse_digits(options.classes, "--classes");
  LETHE_CHECK(!options.config.classes.empty(), "--classes: no class given");
  UNetConfig::preset(options.config.unet);  // reject a bad flag before reading any data
  Sde::parse(options.config.sde);
  const std::string& init = options.config.init_checkpoint;
  LETHE_CHECK(init.empty() || std::filesystem::is_regular_file(init),
              "--init: no checkpoint file '", init, "'");
  std::filesystem::create_directories(options.out_dir);
  const std::string checkpoint = options.out_dir + "/checkpoint.safetensors";
  const std::string log_path = options.out_dir + "/log.csv";
  ScoreTrainer trainer(options.config, load_idx_dataset(options.data_dir, "train"));
  if (options.resume) {
    trainer.load_checkpoint(checkpoint);
    std::printf("resumed %s at step %lld\n", checkpoint.c_str(),
                static_cast<long long>(trainer.step()));
  }
  std::ofstream log =
      open_run_log(log_path, "step,loss,desirable_loss,undesirable_loss,grad_norm,lr,elapsed_s",
                   options.resume, trainer.step());

  std::signal(SIGINT, [](int) { stop_requested = true; });
  std::printf(
      "training %s (%s SDE) on %s classes {%s}, %lld steps, batch %lld, %lld parameters, on %s\n",
      options.config.unet.c_str(), options.config.sde.c_str(), options.data_dir.c_str(),
      options.classes.c_str(), static_cast<long long>(options.steps),
      static_cast<long long>(options.config.batch),
      static_cast<long long>(trainer.model().parameter_count()),
      device_name(options.config.device));
  if (!options.config.undesirable.empty())
    std::printf("MSGM %s: undesirable classes moderated every %lld steps, weights %g / %g\n",
                msgm_variant_name(options.config.msgm.variant).c_str(),
                static_cast<long long>(options.config.msgm.every),
                options.config.msgm.desirable_weight, options.config.msgm.undesirable_weight);
  if (!options.config.init_checkpoint.empty())
    std::printf("starting from %s\n", options.config.init_checkpoint.c_str());
  std::fflush(stdout);
  Progress progress("train", options.steps, trainer.step());
  while (trainer.step() < options.steps && !stop_requested) {
    const int64_t next_checkpoint = std::min(
        options.steps, (trainer.step() / options.checkpoint_every + 1) * options.checkpoint_every);
    trainer.train_until(
        next_checkpoint,
        [&](const TrainingStepReport& r) {
          log << r.step << ',' << r.loss << ',' << r.desirable_loss << ',';
          if (!std::isnan(r.undesirable_loss)) log << r.undesirable_loss;
          log << ',' << r.grad_norm << ',' << r.lr << ',' << progress.elapsed_seconds() << '\n';
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

}  // namespace lethe::tools
