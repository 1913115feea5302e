#include "score_training_run.h"

#include "flag_values.h"

namespace lethe::tools {

void add_score_training_flags(CLI::App& command, ScoreTrainingRun& run) {
  command.add_option("--config", run.config.unet, "U-Net preset: mnist-s or mnist-xs");
  command.add_option("--sde", run.config.sde, "vp, subvp or ve");
  command.add_option("--data", run.data_dir, "IDX data directory");
  add_class_list_flag(command, "--classes", run.config.classes,
                      "Classes to train on (e.g. 0,1,2,3,4,5,6,8,9)");
  command.add_option("--steps", run.steps, "Total optimiser steps")->check(positive());
  command.add_option("--batch", run.config.batch, "Batch size")->check(positive());
  command.add_option("--lr", run.config.lr, "Adam learning rate")->check(positive());
  command.add_option("--warmup", run.config.warmup_steps, "Linear warm-up steps")
      ->check(non_negative());
  command.add_option("--clip", run.config.grad_clip, "Global gradient-norm clip")
      ->check(positive());
  command.add_option("--ema", run.config.ema_rate, "EMA rate")->check(in_range(0.0, 1.0));
  command.add_option("--p-uncond", run.config.p_uncond, "Label dropout probability (CFG)")
      ->check(in_range(0.0, 1.0));
  command.add_option("--seed", run.config.seed, "Random seed");
  add_run_directory_flags(command, run.out_dir, run.checkpoint_every, run.resume);
  command.add_flag("--likelihood-weighting", run.config.likelihood_weighting,
                   "Weight the DSM loss by g(t)^2 (likelihood weighting) instead of std(t)^2");
  add_device_flag(command, run.config.device);
  add_gpu_kernel_flags(command);
  add_checkpoint_flag(command, "--init", run.config.init_checkpoint,
                      "Fine-tune: start from this checkpoint's EMA weights");
}

}  // namespace lethe::tools
