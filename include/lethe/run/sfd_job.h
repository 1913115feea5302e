// Score forgetting distillation (SFD) and plain SiD as a resumable run: `lethe unlearn sfd`,
// `lethe distill sid` and the SFD experiment. Log columns: fake_loss, generator_loss,
// forget_loss, generated_abs_mean. At the snapshot steps it also writes the generator's EMA
// weights to OUT/snapshots/step-NNNNNN.safetensors (the forgetting-speed curve).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "lethe/run/resumable_run.h"
#include "lethe/unlearn/score_forgetting_distillation.h"

namespace lethe {

class SfdJob : public ResumableJob {
 public:
  // teacher: the score model to distil; snapshots: the steps whose generator is kept.
  SfdJob(const SfdConfig& config, const std::string& teacher, std::vector<int64_t> snapshots,
         int64_t total_steps);

  std::string name() const override { return config_.forgets() ? "sfd" : "sid"; }
  std::string progress_value_name() const override { return "sid loss"; }
  std::string log_columns() const override;
  std::string description() const override;
  int64_t step() const override { return distiller_.step(); }
  void run_until(int64_t final_step, const StepLog& log, const std::atomic<bool>& stop) override;
  void save_checkpoint(const std::string& path) override { distiller_.save_checkpoint(path); }
  void load_checkpoint(const std::string& path) override { distiller_.load_checkpoint(path); }
  int64_t next_pause(int64_t step, int64_t final_step) const override;
  void at_pause(const std::string& out_dir) override;  // the snapshot of this step, if due

 private:
  SfdConfig config_;
  std::string teacher_;
  SfdDistiller distiller_;
  std::vector<int64_t> snapshots_;
  int64_t total_steps_;
};

// A run as the CLI and the experiments ask for it: class lists and snapshot steps as text.
struct SfdRun {
  SfdConfig config;
  std::string teacher = "weights/mnist-s-vp.safetensors";
  std::string out_dir;
  int64_t steps = 2000;
  int64_t checkpoint_every = 100;
  std::vector<int64_t> snapshots{0, 25, 50, 100, 200, 400, 800, 1600, 3200};
  bool resume = false;
};

// Checks the run (before any work): the teacher file exists.
void check_sfd_run(const SfdRun& run);
// Runs (or resumes) to run.steps: OUT/checkpoint.safetensors, OUT/log.csv,
// OUT/snapshots/step-NNNNNN.safetensors. Returns false when Ctrl-C stopped it first (the
// checkpoint is saved).
bool run_sfd(const SfdRun& run);

// The snapshots a run directory holds, ascending by step, with their files.
std::vector<std::pair<int64_t, std::string>> sfd_snapshots(const std::string& out_dir);

}  // namespace lethe
