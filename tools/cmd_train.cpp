// lethe train: trains a class-conditional U-Net score model on an IDX data set (from scratch or,
// with --init, fine-tuning a checkpoint), with checkpoints, --resume, progress and a CSV log.
#include "commands.h"
#include "score_training_run.h"

namespace lethe::tools {

void register_train(CLI::App& app) {
  auto run = std::make_shared<ScoreTrainingRun>();
  CLI::App* train = app.add_subcommand("train", "Train a class-conditional U-Net score model");
  add_score_training_flags(*train, *run);
  train->callback([run] { exit_if_interrupted(run_score_training(*run)); });
}

}  // namespace lethe::tools
