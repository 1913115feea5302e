// The training loop shared by `lethe train` and the training-based unlearning commands (`lethe
// unlearn msgm`): checkpoints every N steps and on Ctrl-C, bit-exact --resume, a progress line and
// a CSV log (step, loss, desirable and undesirable loss, gradient norm, learning rate, time).
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "lethe/score_training.h"

namespace lethe::tools {

struct ScoreTrainingRun {
  ScoreTrainingConfig config;
  std::string data_dir = "data/mnist";
  std::string classes = "0,1,2,3,4,5,6,7,8,9";
  std::string out_dir = "runs/train";
  std::string device = "cpu";
  std::string kernels = "auto";
  std::string precision = "fp32";
  int64_t steps = 20000;
  int64_t checkpoint_every = 1000;
  bool resume = false;
};

// Adds the flags every U-Net training command takes (config, data, optimiser, run directory).
void add_score_training_flags(CLI::App& command, ScoreTrainingRun& run);
void run_score_training(ScoreTrainingRun run);

}  // namespace lethe::tools
