#include "lethe/run/score_training_job.h"

#include <filesystem>
#include <sstream>

#include "lethe/core/int_list.h"
#include "lethe/run/run_log.h"

namespace lethe {

ScoreTrainingJob::ScoreTrainingJob(const ScoreTrainingConfig& config, ImageDataset data,
                                   std::string data_name, int64_t total_steps)
    : config_(config),
      trainer_(config, std::move(data)),
      data_name_(std::move(data_name)),
      total_steps_(total_steps) {}

std::string ScoreTrainingJob::log_columns() const {
  return "loss,desirable_loss,undesirable_loss,grad_norm,lr";
}

std::string ScoreTrainingJob::description() const {
  std::ostringstream text;
  text << "training " << config_.unet << " (" << config_.sde << " SDE) on " << data_name_
       << " classes {" << join_ints(config_.classes) << "}, " << total_steps_ << " steps, batch "
       << config_.batch << ", " << trainer_.model().parameter_count() << " parameters, on "
       << device_name(config_.device);
  const ModerationTerm& moderation = config_.moderation;
  if (!config_.undesirable.empty())
    text << "\n"
         << moderation.description << ": undesirable classes moderated every " << moderation.every
         << " steps, weights " << moderation.desirable_weight << " / "
         << moderation.undesirable_weight;
  if (!config_.init_checkpoint.empty()) text << "\nstarting from " << config_.init_checkpoint;
  return text.str();
}

void ScoreTrainingJob::run_until(int64_t final_step, const StepLog& log,
                                 const std::atomic<bool>& stop) {
  trainer_.train_until(
      final_step,
      [&](const TrainingStepReport& r) {
        // undesirable_loss is NaN, an empty field, on steps without moderation.
        log(r.step,
            csv_number(r.loss) + ',' + csv_number(r.desirable_loss) + ',' +
                csv_number(r.undesirable_loss) + ',' + csv_number(r.grad_norm) + ',' +
                csv_number(r.lr),
            r.loss);
      },
      &stop);
}

bool run_score_training(ScoreTrainingRun options) {
  prepare_run_directory(options.out_dir);
  LETHE_CHECK(!options.config.classes.empty(), "training: no class to train on");
  UNetConfig::preset(options.config.unet);  // reject a bad request before reading any data
  Sde::parse(options.config.sde);
  const std::string& init = options.config.init_checkpoint;
  LETHE_CHECK(init.empty() || std::filesystem::is_regular_file(init),
              "training: no initial checkpoint file '", init, "'");
  ScoreTrainingJob job(options.config, load_idx_dataset(options.data_dir, "train"),
                       options.data_dir, options.steps);
  return run_resumable(job,
                       {options.out_dir, options.steps, options.checkpoint_every, options.resume});
}

}  // namespace lethe
