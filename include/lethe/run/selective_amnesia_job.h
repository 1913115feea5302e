// Selective Amnesia as a resumable run: `lethe unlearn sa`. Before the first step the generated
// set (replay images and the diagonal Fisher) is drawn from the original model, or loaded when
// the set file already holds it for the same settings (a lambda sweep shares one), and its Fisher
// statistics go to OUT/fisher.json. Log columns: surrogate_loss, replay_loss, ewc, loss,
// grad_norm (the pixel-summed losses of lethe/unlearn/selective_amnesia.h).
#pragma once
#include <string>

#include "lethe/run/resumable_run.h"
#include "lethe/unlearn/selective_amnesia.h"

namespace lethe {

class SelectiveAmnesiaJob : public ResumableJob {
 public:
  SelectiveAmnesiaJob(const SelectiveAmnesiaConfig& config, const std::string& init, AmnesiaSet set,
                      int64_t total_steps);

  std::string name() const override { return "sa"; }
  std::string progress_value_name() const override { return "surrogate loss"; }
  std::string log_columns() const override {
    return "surrogate_loss,replay_loss,ewc,loss,grad_norm";
  }
  std::string description() const override;
  int64_t step() const override { return amnesia_.step(); }
  void run_until(int64_t final_step, const StepLog& log, const std::atomic<bool>& stop) override;
  void save_checkpoint(const std::string& path) override { amnesia_.save_checkpoint(path); }
  void load_checkpoint(const std::string& path) override { amnesia_.load_checkpoint(path); }
  FisherSummary fisher_summary() const { return amnesia_.fisher_summary(); }

 private:
  SelectiveAmnesiaConfig config_;
  std::string init_;
  SelectiveAmnesia amnesia_;
  int64_t total_steps_;
};

struct SelectiveAmnesiaRun {
  SelectiveAmnesiaConfig config;
  std::string init = "weights/mnist-s-vp.safetensors";
  std::string set_path;  // default OUT/amnesia-set.safetensors
  std::string out_dir = "runs/sa";
  int64_t steps = 1000;
  int64_t checkpoint_every = 100;
  bool resume = false;
};

// Makes or loads the set, then runs (or resumes) to run.steps: OUT/checkpoint.safetensors,
// OUT/log.csv, OUT/fisher.json. Returns false when a signal stopped it first (checkpoint saved).
bool run_selective_amnesia(SelectiveAmnesiaRun run);

}  // namespace lethe
