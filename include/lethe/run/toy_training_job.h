// Training the 2-D toy score MLP (plain DSM, or MSGM with undesirable components) as a resumable
// run: `lethe toy train` and `lethe unlearn msgm --toy`. Log column: the loss (the whole
// objective).
#pragma once
#include <cstdint>
#include <string>

#include "lethe/diffusion/toy_trainer.h"
#include "lethe/run/resumable_run.h"

namespace lethe {

class ToyTrainingJob : public ResumableJob {
 public:
  explicit ToyTrainingJob(const ToyTrainingConfig& config);
  std::string name() const override;
  std::string log_columns() const override { return "loss"; }
  std::string description() const override;
  int64_t step() const override { return trainer_.step(); }
  void run_until(int64_t final_step, const StepLog& log, const std::atomic<bool>& stop) override;
  void save_checkpoint(const std::string& path) override { trainer_.save_checkpoint(path); }
  void load_checkpoint(const std::string& path) override { trainer_.load_checkpoint(path); }

 private:
  ToyTrainingConfig config_;
  ToyScoreTrainer trainer_;
};

// A run: the trainer's config (config.steps is the run's total) and where to run.
struct ToyTrainingRun {
  ToyTrainingConfig config;
  std::string out_dir = "runs/toy";
  int64_t checkpoint_every = 1000;
  bool resume = false;
};

// Runs (or resumes) to run.config.steps with run_resumable: OUT/checkpoint.safetensors,
// OUT/log.csv. Returns false when a signal stopped it first (the checkpoint is saved).
bool run_toy_training(const ToyTrainingRun& run);

}  // namespace lethe
