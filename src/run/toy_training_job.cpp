#include "lethe/run/toy_training_job.h"

#include <sstream>

#include "lethe/core/int_list.h"
#include "lethe/run/run_log.h"

namespace lethe {

ToyTrainingJob::ToyTrainingJob(const ToyTrainingConfig& config)
    : config_(config), trainer_(config) {}

std::string ToyTrainingJob::name() const {
  return config_.undesirable.empty() ? "toy train" : "msgm toy";
}

std::string ToyTrainingJob::description() const {
  std::ostringstream text;
  if (config_.undesirable.empty()) {
    text << "training a 2-D score model on " << config_.preset;
    if (!config_.components.empty())
      text << " components {" << join_ints(config_.components) << "}";
  } else {
    text << config_.moderation.description << " on the toy " << config_.preset
         << ", undesirable components {" << join_ints(config_.undesirable) << "}";
  }
  text << ", " << config_.steps << " steps (" << config_.sde << " SDE)";
  if (!config_.init_checkpoint.empty()) text << "\nstarting from " << config_.init_checkpoint;
  return text.str();
}

void ToyTrainingJob::run_until(int64_t final_step, const StepLog& log,
                               const std::atomic<bool>& stop) {
  trainer_.train_until(
      final_step, [&](int64_t step, double loss) { log(step, csv_number(loss), loss); }, &stop);
}

bool run_toy_training(const ToyTrainingRun& run) {
  prepare_run_directory(run.out_dir);
  ToyTrainingJob job(run.config);
  return run_resumable(job, {run.out_dir, run.config.steps, run.checkpoint_every, run.resume});
}

}  // namespace lethe
