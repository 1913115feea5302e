// The loop behind `lethe unlearn rgd | rg | graddiff | finetune | salun | esd`, shared with
// `lethe experiment rgd-mnist`: progress, the per-step CSV log, checkpoints every N steps and on
// Ctrl-C, --resume.
#pragma once
#include <string>

#include "lethe/gradient_unlearning.h"

namespace lethe::tools {

struct GradientUnlearningRun {
  GradientUnlearningConfig config;
  std::string forget, retain_classes;  // class lists as given on the command line
  std::string init = "weights/mnist-s-vp.safetensors";
  std::string data_dir = "data/mnist";
  std::string out_dir;
  int64_t steps = 800;
  int64_t checkpoint_every = 100;
  bool resume = false;
  bool no_check = false;
};

// Runs (or resumes) to run.steps; OUT/checkpoint.safetensors and OUT/log.csv. Returns false when
// Ctrl-C stopped it first (the checkpoint is saved).
bool run_gradient_unlearning(GradientUnlearningRun run);

}  // namespace lethe::tools
