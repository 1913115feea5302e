// Gradient-based class unlearning (RGD, RG, GradDiff, fine-tune, SalUn, ESD) as a resumable run:
// `lethe unlearn <method>` and the RGD experiment. Log columns: l_f, l_r, cos phi, whether the
// gradients conflicted, the first-order predictions of both losses' change against the measured
// change and whether each held, the method's own loss. At the end it prints how often the
// predictions held.
#pragma once
#include <string>

#include "lethe/run/resumable_run.h"
#include "lethe/unlearn/gradient_unlearner.h"

namespace lethe {

class GradientUnlearningJob : public ResumableJob {
 public:
  // init: the trained score model to unlearn from.
  GradientUnlearningJob(const GradientUnlearningConfig& config, const std::string& init,
                        ImageDataset data, int64_t total_steps);

  std::string name() const override { return unlearn_method_name(config_.method); }
  std::string progress_value_name() const override { return "l_f"; }
  std::string log_columns() const override;
  std::string description() const override;
  int64_t step() const override { return unlearner_.step(); }
  void run_until(int64_t final_step, const StepLog& log, const std::atomic<bool>& stop) override;
  void save_checkpoint(const std::string& path) override { unlearner_.save_checkpoint(path); }
  void load_checkpoint(const std::string& path) override { unlearner_.load_checkpoint(path); }
  void finish() override;

 private:
  GradientUnlearningConfig config_;
  std::string init_;
  GradientUnlearner unlearner_;
  int64_t total_steps_;
  // Since this start: steps whose predictions were checked, held for L_f / L_r, conflicts.
  int64_t checked_ = 0, forget_held_ = 0, retain_held_ = 0, conflicts_ = 0;
};

// A run: the unlearner's config, the model to start from, the data and where to run.
struct GradientUnlearningRun {
  GradientUnlearningConfig config;
  std::string init = "weights/mnist-s-vp.safetensors";
  std::string data_dir = "data/mnist";
  std::string out_dir;
  int64_t steps = 800;
  int64_t checkpoint_every = 100;
  bool resume = false;
  bool no_check = false;
};

// Runs (or resumes) to run.steps with run_resumable: OUT/checkpoint.safetensors, OUT/log.csv.
// Returns false when a signal stopped it first (the checkpoint is saved).
bool run_gradient_unlearning(GradientUnlearningRun run);

}  // namespace lethe
