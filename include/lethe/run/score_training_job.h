// Training a U-Net score model (plain DSM, or with a moderation term such as MSGM's) as a
// resumable run: `lethe train` and `lethe unlearn msgm`. Log columns: loss,
// desirable_loss, undesirable_loss (empty on steps without moderation), grad_norm, lr.
#pragma once
#include <cstdint>
#include <string>

#include "lethe/diffusion/score_trainer.h"
#include "lethe/run/resumable_run.h"

namespace lethe {

class ScoreTrainingJob : public ResumableJob {
 public:
  // data: the training set (the trainer keeps config.classes of it); data_name names it in the
  // run's first line; total_steps is the run's length, for that line.
  ScoreTrainingJob(const ScoreTrainingConfig& config, ImageDataset data, std::string data_name,
                   int64_t total_steps);

  std::string name() const override { return "train"; }
  std::string log_columns() const override;
  std::string description() const override;
  int64_t step() const override { return trainer_.step(); }
  void run_until(int64_t final_step, const StepLog& log, const std::atomic<bool>& stop) override;
  void save_checkpoint(const std::string& path) override { trainer_.save_checkpoint(path); }
  void load_checkpoint(const std::string& path) override { trainer_.load_checkpoint(path); }

 private:
  ScoreTrainingConfig config_;
  ScoreTrainer trainer_;
  std::string data_name_;
  int64_t total_steps_;
};

// A run: the trainer's config, the data directory and where to run.
struct ScoreTrainingRun {
  ScoreTrainingConfig config;
  std::string data_dir = "data/mnist";
  std::string out_dir = "runs/train";
  int64_t steps = 20000;
  int64_t checkpoint_every = 1000;
  bool resume = false;
};

// Checks the request before reading any data, then runs (or resumes) it with run_resumable.
// Returns false when a signal stopped it first (the checkpoint is saved).
bool run_score_training(ScoreTrainingRun run);

}  // namespace lethe
